"""quizzer: an interview quiz and sandboxed coding judge for PyTorch.

The package is split into rooms (see README "Architecture"): `bank` reads and grades
the YAML question bank, `judge` runs untrusted solution files behind a sandbox,
`tui` is the Textual practice app, and `cli` is the only place that turns errors into
exit codes.
"""

__version__ = "0.1.0"
