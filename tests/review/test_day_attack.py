"""Outside attack on today's library boundary (WrongParams, bad_input) and venue ledger
changes: which edits of a proof file a verifier reports as bad input (not judged) rather
than as a proof that fails."""

import json
from datetime import timedelta

import pytest

import zkmargin as zm
from tests.conftest import deliver
from tests.proofs.conftest import portfolio, small_params
from tests.review.test_book_version_attack import at, submit_pausing_after_its_read
from zkmargin.venue import monitor

EDITS_JUDGED_AS_INPUT = [
    # 17 digits pass the statement's 18-digit rule but overflow the params' fixed point
    pytest.param("threshold", "9" * 17, id="threshold-past-the-fixed-point"),
    # the digest matches these params, which define no such level: only an edit names it
    pytest.param("level", "nosuchlevel", id="level-the-params-lack"),
]


@pytest.fixture(scope="module")
def honest_proof_document():
    params = small_params()
    book = portfolio(10_000, account="alice", FUT=1)
    return json.loads(zm.prove(book, params).to_json())


def edited_proof(document, field, value):
    """The proof file as an attacker edits it: one statement field changed, read back."""
    edited = json.loads(json.dumps(document))
    edited["statement"][field] = value
    return zm.MarginProof.from_json(json.dumps(edited))


@pytest.mark.xfail(
    strict=True,
    reason="finding: an edited statement naming these params fails as bad input (FixedPointOverflow / "
    "unknown level, InputErrors), which a venue reads as 'not judged, fix your params' instead of invalid",
)
@pytest.mark.parametrize("field, value", EDITS_JUDGED_AS_INPUT)
def test_verify_batch_reports_an_edited_statement_invalid_not_bad_input_when_it_names_these_params(
    honest_proof_document, field, value
):
    [failure] = zm.verify_batch([edited_proof(honest_proof_document, field, value)], small_params()).failures
    assert failure.bad_input is False


@pytest.mark.xfail(
    strict=True,
    reason="finding: verify raises an InputError (CLI exit 2) for an edited statement naming these params, "
    "where the WrongParams contract promises InvalidProof (exit 1)",
)
@pytest.mark.parametrize("field, value", EDITS_JUDGED_AS_INPUT)
def test_verify_raises_invalid_proof_when_an_edited_statement_names_these_params(honest_proof_document, field, value):
    with pytest.raises(zm.InvalidProof):
        zm.verify(edited_proof(honest_proof_document, field, value), small_params())


@pytest.mark.xfail(
    strict=True,
    reason="finding: a monitor run between an intake's start and its record marks the call overdue; the proof, "
    "recorded as received before the deadline, then cannot meet it (compare-and-set keeps 'overdue')",
)
def test_intake_meets_the_call_when_a_monitor_run_past_the_deadline_lands_while_its_chunk_is_verified(
    venue, venue_files, monkeypatch
):
    ledger, inbox = venue
    monitor.run(ledger, timedelta(hours=2), now=at(-1))  # alice's call is due at hour 1
    deliver(venue_files, inbox, "alice.first.proof.json")
    report = submit_pausing_after_its_read(
        ledger, inbox, monkeypatch, 0.9, lambda: monitor.run(ledger, timedelta(hours=2), now=at(1.1))
    )
    assert [row.status for row in report.rows] == ["valid"]  # received (the chunk's clock) at hour 0.9
    assert {call.account: call.status for call in monitor.list_calls(ledger)}["alice"] == "met"
