"""verify_batch spread over executors: a process pool, a thread pool, a Dask LocalCluster."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import zkmargin as zm
from tests.proofs.conftest import portfolio, small_params
from zkmargin.hazmat import groups
from zkmargin.proofs.spread import verify_chunk

PARAMS = small_params()


@pytest.fixture(scope="module")
def batch():
    """Eight proofs of three pinned accounts; #2 and #3 (one chunk of 4) and #6 are tampered."""
    books = [portfolio(cash, account=name, FUT=1) for name, cash in (("alice", 10_000), ("bob", 8_000), ("carol", 6_000))]
    opened = [zm.open_account(book, PARAMS) for book in books]
    proofs = [zm.prove(book, PARAMS, openings=openings) for book, (_, openings) in zip(books, opened)]
    commitments = {c.account: c for c, _ in opened}
    good = [proofs[n % 3] for n in range(8)]
    good[2] = tamper(good[2])
    good[3] = zm.MarginProof.from_json(good[3].to_json().replace(good[3].commitments[0], proofs[1].commitments[0]))
    good[6] = tamper(good[6])
    return good, commitments


def tamper(proof):
    data = json.loads(proof.to_json())
    raw = bytearray(base64.b64decode(data["range_proof"]))
    raw[-1] ^= 1  # the last scalar of the inner-product argument
    data["range_proof"] = base64.b64encode(bytes(raw)).decode()
    return zm.MarginProof.from_json(json.dumps(data))


def expected(batch):
    proofs, commitments = batch
    return zm.verify_batch(proofs, PARAMS, commitments=commitments)


def test_verify_batch_names_every_bad_proof_when_done_in_process(batch):
    result = expected(batch)
    assert [(f.index, f.account) for f in result.failures] == [(2, "carol"), (3, "alice"), (6, "alice")]
    assert [s is not None for s in result.statements] == [True, True, False, False, True, True, False, True]


@pytest.mark.parametrize("pool", [ProcessPoolExecutor, ThreadPoolExecutor])
def test_verify_batch_matches_one_process_when_spread_over_an_executor(batch, pool):
    proofs, commitments = batch
    seen = []
    with pool(2) as executor:
        result = zm.verify_batch(
            proofs, PARAMS, commitments=commitments, executor=executor, chunk_size=4, progress=lambda d, t: seen.append((d, t))
        )
    assert result == expected(batch)
    assert sorted(seen) == [(4, 8), (8, 8)]


def test_verify_batch_fails_proof_when_its_account_is_not_pinned_on_a_worker(batch):
    proofs, commitments = batch
    with ProcessPoolExecutor(2) as executor:
        result = zm.verify_batch(proofs[:3], PARAMS, commitments={"alice": commitments["alice"]}, executor=executor, chunk_size=1)
    assert [(f.index, f.reason) for f in result.failures] == [
        (1, "the venue holds no commitments for account 'bob'"),
        (2, "the venue holds no commitments for account 'carol'"),
    ]


# Worker processes take ~12 s to start and import the curve library: the default suite runs
# the two workers in this process (Dask still schedules the chunks); -m slow runs both.
@pytest.mark.parametrize("processes", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_verify_batch_matches_one_process_when_run_on_a_dask_cluster(batch, processes):
    distributed = pytest.importorskip("distributed")
    proofs, commitments = batch
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            result = zm.verify_batch(proofs, PARAMS, commitments=commitments, executor=client.get_executor(), chunk_size=3)
    assert result == expected(batch)


def test_verify_batch_fails_the_second_answer_to_a_challenge_when_the_answers_sit_in_different_chunks():
    book = portfolio(10_000, account="alice", FUT=1)
    commitments, openings = zm.open_account(book, PARAMS)
    challenge = zm.new_challenge()
    proofs = [zm.prove(book, PARAMS, openings=openings, challenge=challenge) for _ in range(2)]
    with ThreadPoolExecutor(2) as executor:
        result = zm.verify_batch(
            proofs, PARAMS, commitments={"alice": commitments}, challenges={"alice": challenge}, executor=executor, chunk_size=1
        )
    assert [s is not None for s in result.statements] == [True, False]
    assert [(f.index, f.reason) for f in result.failures] == [(1, "replayed: proof 1 of the batch already answered the challenge of 'alice'")]


def test_verify_chunk_keeps_the_process_backend_when_run_on_a_worker_thread():
    outside = groups.current_backend()
    other = next(name for name in groups.BACKEND_NAMES if name != outside)
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(verify_chunk, PARAMS.to_json(), [], None, other, {}).result()
    assert (result.statements, result.failures, groups.current_backend()) == ((), (), outside)
