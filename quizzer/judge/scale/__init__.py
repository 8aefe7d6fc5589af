"""Judging batches across machines: a backend seam, a durable ledger, and Ray.

Called by `quizzer judge` (`--backend`, `--ledger`, `--resume`), `quizzer screen grade`
and the judge service. `work` holds the plain data a submission travels as and the
task packs the bank is shipped in; `ledger` the SQLite record that survives a driver's
death; `local` and `ray_backend` the two backends (`backends.open_backend` picks one);
`actor` the thin shell a Ray worker holds; `batch` ties ledger and backend together.
Ray is imported only by `ray_backend` and `actor`, and only when `--backend ray` is
chosen: everything else works without Ray installed.
"""
