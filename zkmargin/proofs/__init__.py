"""Proofs about margin: the circuit, statements, witnesses, the prover, the verifier, proof files, accounts.

May import: the engine, hazmat and the foundations. Never the cli. The verifier path
(verifier, proof_file, statement, circuit) never imports the portfolio or witness code.
"""
