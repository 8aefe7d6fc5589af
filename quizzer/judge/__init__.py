"""The judge: task specs -> checks run on untrusted submissions behind a sandbox ->
verdicts computed on the trusted side -> reports."""
