"""Outside attack on today's library boundary (WrongParams, bad_input) and venue ledger
changes: which edits of a proof file a verifier reports as bad input (not judged) rather
than as a proof that fails."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

import zkmargin as zm
from tests.conftest import deliver
from tests.proofs.conftest import portfolio, small_params
from tests.review.test_book_version_attack import at, submit_pausing_after_its_read
from zkmargin.venue import monitor
from zkmargin.venue.schema import proofs

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


@pytest.mark.parametrize("field, value", EDITS_JUDGED_AS_INPUT)
def test_verify_batch_reports_an_edited_statement_invalid_not_bad_input_when_it_names_these_params(
    honest_proof_document, field, value
):
    [failure] = zm.verify_batch([edited_proof(honest_proof_document, field, value)], small_params()).failures
    assert failure.bad_input is False


@pytest.mark.parametrize("field, value", EDITS_JUDGED_AS_INPUT)
def test_verify_raises_invalid_proof_when_an_edited_statement_names_these_params(honest_proof_document, field, value):
    with pytest.raises(zm.InvalidProof):
        zm.verify(edited_proof(honest_proof_document, field, value), small_params())


def test_intake_stamps_its_proof_after_a_monitor_run_that_found_the_call_overdue_when_the_run_lands_while_its_chunk_is_verified(
    venue, venue_files, monkeypatch
):
    ledger, inbox = venue
    monitor.run(ledger, timedelta(hours=2), now=at(-1))  # alice's call is due at hour 1
    deliver(venue_files, inbox, "alice.first.proof.json")
    report = submit_pausing_after_its_read(
        ledger, inbox, monkeypatch, 0.9, lambda: monitor.run(ledger, timedelta(hours=2), now=at(1.1)), recorded_hours=1.2
    )
    assert [row.status for row in report.rows] == ["valid"]
    # the chunk started at 0.9, but the proof was recorded at 1.2, after the run found the call
    # overdue: the ledger says so, rather than holding an in-time proof beside an overdue call
    assert {call.account: call.status for call in monitor.list_calls(ledger)}["alice"] == "overdue"
    with ledger.transaction() as connection:
        received = connection.execute(select(proofs.c.received_at).where(proofs.c.account == "alice")).scalar_one()
    assert received == at(1.2)
