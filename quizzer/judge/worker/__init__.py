"""The code that runs inside the sandbox: `harness.py` (the sandbox's entry: owns the
reply channel, the probes and the checks' untrusted halves), `modelhost.py` (imports
the submission and answers the harness's narrow requests) and `wire.py` (the frame
format both speak). Standalone: stdlib and torch only, so that a sandbox can load these
files by path without quizzer on its path."""
