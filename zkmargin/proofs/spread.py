"""`verify_batch` spread over processes or machines through any `concurrent.futures.Executor`.

A batch of N proofs is cut into chunks; each chunk travels to a worker as text — the params
and the proofs as their JSON, the pinned commitments as theirs — because curve points of
the native backend cannot be pickled, and text is what a remote machine needs anyway. The
worker runs the ordinary `verifier.verify_batch` on its chunk: one MSM, and when it fails,
bisection, so every bad proof is named exactly as in one process. The results are put
back in the caller's order.

Verification is embarrassingly parallel: chunk k's MSM shares nothing with chunk j's, so
the cost splits evenly over workers, up to the per-chunk fixed costs (params parsing,
circuit compilation, and on a worker's first chunk the Bulletproof generators, which the
generator cache makes a file read). Random batch weights are drawn in each worker, so a
bad proof passes its chunk with probability ~2^-128, as in one batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, as_completed

from zkmargin.engine.params import RiskParams
from zkmargin.hazmat import groups
from zkmargin.proofs import verifier
from zkmargin.proofs.account import AccountCommitments
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.verifier import BatchFailure, BatchResult

CHUNKS_PER_BATCH = 16
"""Chunks a batch is cut into: several per worker, so a slow chunk does not idle the rest."""
MIN_CHUNK = 8


def verify_batch(
    proofs: Iterable[MarginProof],
    params: RiskParams,
    *,
    commitments: Mapping[str, AccountCommitments] | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    chunk_size: int | None = None,
) -> BatchResult:
    """`verifier.verify_batch`, in chunks on `executor` when one is given.

    Any `concurrent.futures.Executor` works: a `ProcessPoolExecutor`, a thread pool, or a
    Dask `distributed` client's `get_executor()`. `progress(done, total)` counts proofs as
    their chunks come back.
    """
    proofs = list(proofs)
    if executor is None:
        return verifier.verify_batch(proofs, params, commitments=commitments, progress=progress)
    size = chunk_size or max(MIN_CHUNK, math.ceil(len(proofs) / CHUNKS_PER_BATCH))
    params_json = params.to_json()
    backend = groups.current_backend()
    futures = {}
    for start in range(0, len(proofs), size):
        chunk = proofs[start : start + size]
        pinned = None
        if commitments is not None:
            pinned = {p.account: commitments[p.account].to_json() for p in chunk if p.account in commitments}
        texts = [proof.to_json() for proof in chunk]
        futures[executor.submit(verify_chunk, params_json, texts, pinned, backend)] = start

    statements: list = [None] * len(proofs)
    failures: list[BatchFailure] = []
    done = 0
    for future in as_completed(futures):
        start, result = futures[future], future.result()
        statements[start : start + len(result.statements)] = result.statements
        failures += [BatchFailure(start + f.index, f.account, f.reason) for f in result.failures]
        done += len(result.statements)
        if progress is not None:
            progress(done, len(proofs))
    return BatchResult(tuple(statements), tuple(sorted(failures, key=lambda failure: failure.index)))


def verify_chunk(
    params_json: str, proof_texts: list[str], commitments_json: dict[str, str] | None, backend: str
) -> BatchResult:
    """One chunk, in a worker: everything arrives as text and is parsed and validated here."""
    groups.use(backend)
    params = RiskParams.from_json(params_json)
    pinned = None
    if commitments_json is not None:
        pinned = {name: AccountCommitments.from_json(text) for name, text in commitments_json.items()}
    return verifier.verify_batch([MarginProof.from_json(text) for text in proof_texts], params, commitments=pinned)
