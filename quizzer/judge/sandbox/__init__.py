"""Sandboxes that run the judge's worker on untrusted code. `base` holds the contract;
each backend (`none`, `process`, `docker`) lives in its own module."""
