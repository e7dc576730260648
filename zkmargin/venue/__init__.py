"""The venue's side: a ledger on a real database, proof intake and the margin-call monitor.

`Ledger` (ledger.py) keeps accounts, idempotent money movements and params epochs;
`submit` (intake.py) verifies proof files in batch and records one row per file; the
monitor (monitor.py) issues margin calls for missing proofs and tracks their deadlines;
anchoring.py opens attested accounts and issues the challenges intake consumes once;
history.py draws an account's recorded proofs over time; verdicts.py names what intake
records for each file.
"""
