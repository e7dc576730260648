"""Outside attack on today's library boundary (WrongParams, bad_input) and venue ledger
changes: which edits of a proof file a verifier reports as bad input (not judged) rather
than as a proof that fails."""

import json

import pytest

import zkmargin as zm
from tests.proofs.conftest import portfolio, small_params

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
