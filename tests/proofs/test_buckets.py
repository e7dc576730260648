"""Isolated margin: one proof that every bucket of an account meets its own requirement.

The book: long 1 FUT and short 1 CALL of the small universe. Cross-margined they offset
(worst scenario "crash": requirement 2,000, equity cash − 1,250, so 3,250 of cash meets).
Isolated, FUT alone needs 3,000 (crash) and the short CALL alone 1,900 (rally) plus the
1,250 it owes at the mark: 3,000 and 3,150 of cash, 6,150 in all.
"""

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from tests.proofs.conftest import forge_proof, portfolio
from zkmargin.engine.assess import assess
from zkmargin.engine.bucket_count import padded_count
from zkmargin.engine.buckets import BucketedPortfolio
from zkmargin.errors import InputError, InsufficientMargin, InvalidProof, MalformedProof
from zkmargin.proofs.stacked import stacked
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.prover import prove
from zkmargin.proofs.statement import Statement, margin_transcript
from zkmargin.proofs.verifier import verify, verify_batch

FUT_CASH, CALL_CASH = Decimal("3000"), Decimal("3150")


def book(fut_cash, call_cash, account="alice"):
    return BucketedPortfolio.model_validate({
        "account": account,
        "buckets": [
            {"name": "fut", "cash": Decimal(str(fut_cash)), "positions": {"FUT": Decimal(1)}},
            {"name": "call", "cash": Decimal(str(call_cash)), "positions": {"CALL": Decimal(-1)}},
        ],
    })


@pytest.fixture(scope="module")
def funded(params):
    """Both buckets exactly funded, proved padded to 4."""
    return prove(book(FUT_CASH, CALL_CASH), params, pad_to=4)


def test_prove_shows_the_padded_bucket_count_when_buckets_are_funded(params, funded):
    assert [assess(p, params).excess for p in book(FUT_CASH, CALL_CASH).portfolios()] == [0, 0]
    assert funded.statement.buckets == 4
    statement = verify(MarginProof.from_json(funded.to_json()), params)
    assert (statement.account, statement.buckets) == ("alice", 4)
    single = prove(portfolio(FUT_CASH, FUT=1), params)
    assert len(funded.commitments) == 4 * len(single.commitments)


def test_prove_refuses_isolated_buckets_when_they_fail_separately_but_pass_cross_margined(params):
    cross = portfolio(Decimal("3250"), FUT=1, CALL=-1)
    assert verify(prove(cross, params), params).buckets == 1
    split = book(Decimal("2000"), Decimal("1250"))  # the same 3,250 of cash, split
    with pytest.raises(InsufficientMargin) as refused:
        prove(split, params)
    message = str(refused.value)
    assert "bucket 'fut': account 'alice' is short by 1,000.00 USD" in message
    assert "bucket 'call': account 'alice' is short by 1,900.00 USD" in message
    assert refused.value.shortfall == 2900


def test_prove_refuses_a_short_bucket_when_another_bucket_has_surplus(params):
    with pytest.raises(InsufficientMargin, match=r"^bucket 'call': .* short by 0\.01 USD") as refused:
        prove(book(FUT_CASH * 10, CALL_CASH - Decimal("0.01")), params, pad_to=4)
    assert refused.value.shortfall == Decimal("0.01")


@pytest.mark.parametrize("pad_to", [None, 4])
def test_verify_rejects_a_forged_bucket_proof_when_one_bucket_is_short_behind_surplus_or_padding(
    params, monkeypatch, pad_to
):
    # The call bucket is a cent short; the fut bucket holds 27,000 of excess and padding adds
    # empty buckets. A prover that skips its own checks proves anyway: the proof must fail.
    short_book = book(FUT_CASH * 10, CALL_CASH - Decimal("0.01"))
    forged = forge_proof(monkeypatch, lambda: prove(short_book, params, pad_to=pad_to))
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(forged, params)


def test_verify_rejects_a_forged_proof_when_a_padding_bucket_carries_the_shortfall(params, monkeypatch):
    # A cheating prover moves money between buckets in its witness: the real bucket (1,000 of
    # cash, 3,150 needed) claims a million more and the padding bucket's cash goes negative
    # by as much, so the buckets' cash still adds up.
    def move_cash(circuit, values):
        cash = [i for i, v in enumerate(circuit.variables) if v.role == "collateral"][0]
        if values[cash] == 0:  # padding: threshold 0, no positions
            values[cash] = -100_000_000
        else:
            values[cash] += 100_000_000

    forged = forge_proof(monkeypatch, lambda: prove(portfolio(1000, CALL=-1), params, pad_to=2), move_cash)
    with pytest.raises(InvalidProof, match="does not verify"):
        verify(forged, params)


def test_prove_pads_with_the_threshold_rounded_up_when_min_excess_has_sub_cent_digits(params):
    rich = book(FUT_CASH + Decimal("100.01"), CALL_CASH + Decimal("100.01"))
    statement = verify(prove(rich, params, min_excess=Decimal("100.001"), pad_to=4), params)
    assert (statement.threshold, statement.buckets) == (Decimal("100.001"), 4)
    with pytest.raises(InsufficientMargin, match="bucket 'fut'"):
        prove(book(FUT_CASH + 100, CALL_CASH + 101), params, min_excess=Decimal("100.001"))


def test_prove_reads_a_one_bucket_portfolio_as_cross_margin_when_not_padded(params):
    one = BucketedPortfolio.model_validate(
        {"account": "alice", "buckets": [{"name": "all", "cash": Decimal(3250), "positions": {"FUT": 1, "CALL": -1}}]}
    )
    proof = prove(one, params)
    assert "buckets" not in json.loads(proof.to_json())["statement"]
    assert verify(proof, params).buckets == 1


@pytest.mark.parametrize("edit, error, reason", [
    ({"buckets": 2}, InvalidProof, "16 commitments; 2 buckets of 4 variables need 8"),
    ({"buckets": 8}, InvalidProof, "16 commitments; 8 buckets of 4 variables need 32"),
    # refused on the count, before 64 copies of the circuit are built
    ({"buckets": 64}, InvalidProof, "16 commitments; 64 buckets of 4 variables need 256"),
    ({"buckets": 65}, InvalidProof, "at most 64"),
    ({"buckets": 1}, MalformedProof, "greater than or equal to 2"),
    ({"buckets": None}, MalformedProof, "null"),
])
def test_verify_rejects_a_bucket_proof_when_its_bucket_count_is_edited(params, funded, edit, error, reason):
    data = json.loads(funded.to_json())
    data["statement"].update(edit)
    with pytest.raises(error, match=reason):
        verify(MarginProof.from_json(json.dumps(data)), params)


def test_verify_rejects_a_bucket_proof_when_its_bucket_count_is_removed(params, funded):
    data = json.loads(funded.to_json())
    del data["statement"]["buckets"]
    with pytest.raises(InvalidProof, match="16 commitments, the circuit 4 variables"):
        verify(MarginProof.from_json(json.dumps(data)), params)


def test_margin_transcript_differs_when_only_the_bucket_count_differs(params):
    one = Statement.for_params(params, "alice", "maintenance")
    four = replace(one, buckets=4)
    assert "buckets" not in one.to_dict() and four.to_dict()["buckets"] == 4
    commitments = [bytes(48)] * 2
    challenges = [
        margin_transcript(s, commitments, []).challenge_scalar(b"x") for s in (one, four, replace(one, buckets=2))
    ]
    assert len(set(challenges)) == 3


def test_stacked_keeps_every_constraint_on_its_own_buckets_variables_when_copied(params):
    single = Statement.for_params(params, "alice", "maintenance").compile(params)
    width = len(single.variables)
    stack = stacked(single, 3)
    assert len(stack.variables) == 3 * width and len(stack.constraints) == 3 * len(single.constraints)
    for k in range(3):
        own = stack.constraints[k * len(single.constraints):(k + 1) * len(single.constraints)]
        assert all(k * width <= index < (k + 1) * width for c in own for index, _ in c.terms)
        assert all(c.name.startswith(f"bucket {k}: ") for c in own)
    assert stack.soundness_budget() == single.soundness_budget()


def test_verify_batch_reports_each_proofs_bucket_count_when_cross_and_isolated_are_mixed(params, funded):
    cross = prove(portfolio(Decimal("3250"), account="bob", FUT=1, CALL=-1), params)
    result = verify_batch([funded, cross, funded], params)
    assert result.ok
    assert [s.buckets for s in result.statements] == [4, 1, 4]


@pytest.mark.parametrize("real, pad_to, shown", [(1, None, 1), (2, None, 2), (3, None, 4), (5, None, 8),
                                                 (3, 8, 8), (1, 4, 4), (5, 2, 8), (64, None, 64)])
def test_padded_count_rounds_up_to_a_power_of_two_or_pad_to_when_given(real, pad_to, shown):
    assert padded_count(real, pad_to) == shown


@pytest.mark.parametrize("real, pad_to", [(1, 0), (1, 65), (1, True), (1, 2.0), (0, None), (65, None)])
def test_padded_count_refuses_when_the_count_is_out_of_range(real, pad_to):
    with pytest.raises(InputError):
        padded_count(real, pad_to)


def test_verify_names_the_one_bucket_circuit_and_refuses_another_when_the_digest_is_edited(params, funded):
    single = Statement.for_params(params, "alice", "maintenance").compile(params)
    assert funded.statement.circuit_digest == single.digest()
    data = json.loads(funded.to_json())
    data["statement"]["circuit_digest"] = stacked(single, 4).digest()
    with pytest.raises(InvalidProof, match="the proof was made for circuit"):
        verify(MarginProof.from_json(json.dumps(data)), params)
