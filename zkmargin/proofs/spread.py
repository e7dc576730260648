"""`verify_batch` spread over processes or machines through any `concurrent.futures.Executor`.

A batch of N proofs is cut into chunks; each chunk travels to a worker as text — the params
and the proofs as their JSON, the pinned commitments as theirs — because curve points of
the native backend cannot be pickled, and text is what a remote machine needs anyway. The
worker runs the ordinary `verifier.verify_batch` on its chunk: one MSM per 32 proofs, and
when one fails, bisection, so every bad proof is named exactly as in one process. The results are put
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
from dataclasses import replace
from datetime import datetime
from typing import Any

from zkmargin.anchors.keys import Trust
from zkmargin.engine.params import RiskParams
from zkmargin.hazmat import groups
from zkmargin.proofs import verifier
from zkmargin.proofs.account import AccountCommitments
from zkmargin.proofs.policy import Policy
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.verified import BatchFailure, BatchResult

CHUNKS_PER_WORKER = 2
"""Two chunks per worker, so a worker slowed by other load does not hold up the batch."""
MIN_CHUNK, MAX_CHUNK = 32, 5000
"""Every chunk pays once for params parsing and circuit compilation, so chunks are kept at
least one MSM group (verifier.MSM_GROUP) large; MAX_CHUNK bounds a worker's memory and lets
progress move on a million-account batch."""
DEFAULT_WORKERS = 8


def verify_batch(
    proofs: Iterable[MarginProof],
    params: RiskParams,
    *,
    commitments: Mapping[str, AccountCommitments] | None = None,
    challenges: Mapping[str, str] | None = None,
    policy: Policy | None = None,
    now: datetime | None = None,
    trust: Trust | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    chunk_size: int | None = None,
) -> BatchResult:
    """Verify many accounts' proofs against one params object; names every bad one.

    Returns a `BatchResult`: `statements[i]` is proof i's `VerifiedStatement`, or None when it
    failed; `failures` says which failed and why (`BatchFailure`); `ok` is true when none did.
    `commitments` (account label → the venue's pinned `AccountCommitments`; a proof whose
    account has none fails), `challenges`
    (account label → the nonce handed to it), `policy` and `now` work as in `verify`, for every
    proof; `trust` checks attestations when no `policy` gives keys. Proofs are checked in
    multi-scalar multiplications of `verifier.MSM_GROUP` (32), each scaled by a random weight;
    when one fails, its group is bisected until every bad proof is named.

    With `executor`, chunks of `chunk_size` proofs (default: two chunks per worker, 32 to 5,000
    proofs each) are verified on it: any `concurrent.futures.Executor` works (a
    `ProcessPoolExecutor`, a thread pool, or a Dask `distributed` client's `get_executor()`).
    `progress(done, total)` counts proofs (as their chunks come back, with an executor).
    """
    options = {"challenges": challenges, "policy": policy, "now": now, "trust": trust}
    if executor is None:
        return verifier.verify_batch(proofs, params, commitments=commitments, progress=progress, **options)
    proofs = verifier.batch_arguments(proofs, params, commitments, policy)
    if chunk_size is None:
        wanted = math.ceil(len(proofs) / (CHUNKS_PER_WORKER * _workers(executor)))
        chunk_size = min(MAX_CHUNK, max(MIN_CHUNK, wanted))
    params_json = params.to_json()
    backend = groups.current_backend()
    futures = {}
    for start in range(0, len(proofs), chunk_size):
        chunk = proofs[start : start + chunk_size]
        pinned = None
        if commitments is not None:
            pinned = {p.account: commitments[p.account].to_json() for p in chunk if p.account in commitments}
        texts = [proof.to_json() for proof in chunk]
        futures[executor.submit(verify_chunk, params_json, texts, pinned, backend, options)] = start

    statements: list = [None] * len(proofs)
    failures: list[BatchFailure] = []
    done = 0
    for future in as_completed(futures):
        start, result = futures[future], future.result()
        statements[start : start + len(result.statements)] = result.statements
        failures += [replace(failure, index=start + failure.index) for failure in result.failures]
        done += len(result.statements)
        if progress is not None:
            progress(done, len(proofs))
    result = BatchResult(tuple(statements), tuple(sorted(failures, key=lambda failure: failure.index)))
    # Each chunk refused its own repeats; two answers in different chunks meet only here.
    return verifier.refuse_second_answers(proofs, result) if challenges is not None else result


def _workers(executor: Executor) -> int:
    """How many tasks `executor` runs at once, when it says so; else DEFAULT_WORKERS.

    The standard pools keep it in `_max_workers`; a Dask client's executor asks its
    cluster. Neither is public API, hence the fallback: a wrong guess costs balance only.
    """
    count = getattr(executor, "_max_workers", None)
    client = getattr(executor, "_client", None)
    if count is None and client is not None:
        try:
            count = sum(client.nthreads().values())
        except Exception:  # a cluster that will not say: guess
            count = None
    return count if isinstance(count, int) and count > 0 else DEFAULT_WORKERS


def verify_chunk(
    params_json: str,
    proof_texts: list[str],
    commitments_json: dict[str, str] | None,
    backend: str,
    options: dict[str, Any],
) -> BatchResult:
    """One chunk, in a worker: everything arrives as text and is parsed and validated here.

    The backend is switched for this worker thread only: in a thread pool the caller's
    other threads keep theirs.
    """
    with groups.using(backend):
        params = RiskParams.from_json(params_json)
        pinned = None
        if commitments_json is not None:
            pinned = {name: AccountCommitments.from_json(text) for name, text in commitments_json.items()}
        proofs = [MarginProof.from_json(text) for text in proof_texts]
        return verifier.verify_batch(proofs, params, commitments=pinned, **options)
