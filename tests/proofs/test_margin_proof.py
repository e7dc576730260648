"""prove → verify end to end on a small universe (arkworks backend)."""

import base64
from decimal import Decimal

import pytest

from tests.proofs.conftest import forge_proof, portfolio, small_params
from zkmargin.engine.assess import assess
from zkmargin.errors import (
    InputError,
    InsufficientMargin,
    InvalidProof,
    MalformedProof,
    UnknownInstrument,
    UnsoundStatement,
    WrongParams,
)
from zkmargin.proofs.account import open_account
from zkmargin.proofs.circuit import Circuit
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.prover import prove
from zkmargin.proofs.verifier import verify, verify_batch

# Long 1 future, short 1 call: worst scenario "crash" loses 3,000 − 1,000 = 2,000 dollars;
# the call's mark (12.50 × 100) is owed, so equity = cash − 1,250.
BOOK = {"FUT": 1, "CALL": -1}
REQUIRED_CASH = Decimal("3250.00")


@pytest.fixture(scope="module")
def exact_proof(params):
    """One proof of the exactly funded BOOK for the tests that only read or copy it (proofs
    are frozen): each of them proving the same book again would only redo the same work."""
    return prove(portfolio(REQUIRED_CASH, **BOOK), params)


@pytest.fixture(scope="module")
def rich_proof(params):
    """A proof of BOOK with 1,000 of excess, shared like `exact_proof`."""
    return prove(portfolio(REQUIRED_CASH + 1_000, **BOOK), params)


def test_prove_round_trips_when_account_meets_requirement(params, exact_proof):
    statement = verify(MarginProof.from_json(exact_proof.to_json()), params)
    assert (statement.account, statement.model, statement.level) == ("alice", "scenario", "maintenance")
    assert statement.threshold == 0
    assert statement.params_digest == params.digest()


def test_prove_refuses_when_one_cent_short(params):
    report = assess(portfolio(REQUIRED_CASH, **BOOK), params)
    assert report.excess == 0 and report.meets
    with pytest.raises(InsufficientMargin) as refused:
        prove(portfolio(REQUIRED_CASH - Decimal("0.01"), **BOOK), params)
    assert refused.value.shortfall == Decimal("0.01")


def test_verify_raises_wrong_params_when_params_differ_in_one_risk_number(params, exact_proof):
    other = small_params(CALL=[600.0, -400.0, -1_000.0, 1_901.0])
    with pytest.raises(WrongParams, match=f"made for other params: it names params {params.digest()[:16]}…, these are {other.digest()[:16]}…"):
        verify(exact_proof, other)
    # even with the digest rewritten to match, the transcript no longer matches the proof: forged, not a wrong question
    relabelled = _with_statement(exact_proof, params_digest=other.digest())
    with pytest.raises(InvalidProof) as refused:
        verify(relabelled, other)
    assert not isinstance(refused.value, InputError)


def test_verify_batch_marks_a_proof_bad_input_when_it_was_made_for_other_params(params, exact_proof):
    other = small_params(CALL=[600.0, -400.0, -1_000.0, 1_901.0])
    relabelled = _with_statement(exact_proof, params_digest=other.digest())
    result = verify_batch([exact_proof, relabelled], other)
    assert [(f.index, f.bad_input, "made for other params" in f.reason) for f in result.failures] == [
        (0, True, True),
        (1, False, False),
    ]


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("model", "span", "model or currency differs"),
        ("currency", "EUR", "model or currency differs"),
        ("epoch", 3, "names params epoch 3"),
        ("limb_bits", 64, "unsupported limb width 64"),
        ("circuit_digest", "ab" * 32, "made for circuit abababab"),
    ],
)
def test_verify_raises_invalid_proof_when_a_statement_naming_these_params_is_edited(
    params, exact_proof, field, value, reason
):
    """The params digest fixes model, currency and epoch, so a statement that names these
    params but another of them was edited; another limb width or circuit cannot be told
    apart from an edit. Either way the proof is judged and fails, unlike `WrongParams`."""
    edited = _with_statement(exact_proof, **{field: value})
    with pytest.raises(InvalidProof, match=reason) as refused:
        verify(edited, params)
    assert not isinstance(refused.value, InputError)
    [failure] = verify_batch([edited], params).failures
    assert (failure.bad_input, reason in failure.reason) == (False, True)


@pytest.mark.parametrize(
    "field, value",
    [("level", "initial"), ("threshold", "100"), ("account", "mallory")],
)
def test_verify_rejects_proof_when_statement_is_changed(params, rich_proof, field, value):
    verify(rich_proof, params)
    with pytest.raises(InvalidProof):
        verify(_with_statement(rich_proof, **{field: value}), params)


def test_prove_meets_threshold_when_excess_is_enough(params):
    rich = portfolio(REQUIRED_CASH + 100, **BOOK)
    statement = verify(prove(rich, params, min_excess=Decimal("100")), params)
    assert statement.threshold == Decimal("100")
    with pytest.raises(InsufficientMargin):
        prove(rich, params, min_excess=Decimal("100.01"))


def test_verify_rejects_proof_when_any_commitment_byte_is_flipped(params, exact_proof):
    for field in ("commitments", "limb_commitments"):
        encoded = getattr(exact_proof, field)
        for index, text in enumerate(encoded):
            raw = base64.b64decode(text)
            for position in range(len(raw)):
                tampered = bytearray(raw)
                tampered[position] ^= 0x01
                changed = list(encoded)
                changed[index] = base64.b64encode(bytes(tampered)).decode()
                with pytest.raises(InvalidProof):
                    verify(exact_proof.model_copy(update={field: changed}), params)


def test_verify_rejects_proof_when_any_range_proof_byte_is_flipped(params, exact_proof):
    raw = exact_proof.range_proof_bytes
    for position in range(len(raw)):
        tampered = bytearray(raw)
        tampered[position] ^= 0x80 if position % 2 else 0x01
        forged = exact_proof.model_copy(update={"range_proof": base64.b64encode(bytes(tampered)).decode()})
        with pytest.raises(InvalidProof):
            verify(forged, params)


def test_verify_rejects_proof_when_commitments_are_swapped(params, exact_proof):
    swapped = list(exact_proof.commitments)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    with pytest.raises(InvalidProof):
        verify(exact_proof.model_copy(update={"commitments": swapped}), params)


def test_prove_draws_fresh_blindings_when_called_twice(params):
    book = portfolio(REQUIRED_CASH, **BOOK)
    first, second = prove(book, params), prove(book, params)
    assert first.commitments != second.commitments
    assert first.range_proof != second.range_proof


def test_proof_file_size_is_independent_of_positions_when_universe_is_shared(params):
    small = prove(portfolio(10, account="a"), params)
    big = prove(portfolio(9_000_000, account="b", FUT=-700, CALL=250), params)
    assert len(small.to_json()) == len(big.to_json())
    assert small.size == big.size


def test_proof_file_holds_no_quantity_when_saved(params):
    import json

    proof = prove(portfolio(REQUIRED_CASH + Decimal("123.45"), **BOOK), params)
    data = json.loads(proof.to_json())
    assert set(data) == {"format", "version", "statement", "commitments", "limb_commitments", "range_proof"}
    public = json.dumps(data["statement"])
    for secret in ("3373", "FUT", "CALL"):
        assert secret not in public
    assert len(data["commitments"]) == len(params.instruments) + 1 + len(set(params.scenario_groups))


def test_verify_pins_commitments_when_venue_holds_them(params):
    book = portfolio(REQUIRED_CASH, **BOOK)
    commitments, openings = open_account(book, params)
    proof = prove(book, params, openings=openings)
    verify(proof, params, commitments=commitments)
    with pytest.raises(InvalidProof, match="differs"):
        verify(prove(book, params), params, commitments=commitments)


def test_verify_accepts_topped_up_account_when_venue_applied_the_deposit(params):
    book = portfolio(REQUIRED_CASH - 500, **BOOK)
    commitments, openings = open_account(book, params)
    with pytest.raises(InsufficientMargin):
        prove(book, params, openings=openings)
    topped_up = portfolio(REQUIRED_CASH, **BOOK)
    after_deposit = commitments.deposit(Decimal("500"))
    proof = prove(topped_up, params, openings=openings)
    verify(proof, params, commitments=after_deposit)
    with pytest.raises(InvalidProof):
        verify(proof, params, commitments=commitments)


def test_verify_accepts_a_traded_account_when_venue_applied_the_fill(params):
    book = portfolio(REQUIRED_CASH, **BOOK)
    commitments, openings = open_account(book, params)
    after_fill = commitments.trade("FUT", -1)  # sold one future at its mark: cash unchanged
    proof = prove(portfolio(REQUIRED_CASH, FUT=0, CALL=-1), params, openings=openings)
    verify(proof, params, commitments=after_fill)
    with pytest.raises(InvalidProof, match="differs"):
        verify(proof, params, commitments=commitments)
    with pytest.raises(UnknownInstrument):
        commitments.trade("PUT", 1)


def test_verify_batch_names_the_tampered_proof_when_one_of_fifty_is_bad(params):
    proofs = [prove(portfolio(REQUIRED_CASH + i, account=f"acct{i}", **BOOK), params) for i in range(50)]
    assert verify_batch(proofs, params).ok
    raw = bytearray(proofs[17].range_proof_bytes)
    raw[-40] ^= 0x01  # inside the final scalar a: still canonical, wrong value
    proofs[17] = proofs[17].model_copy(update={"range_proof": base64.b64encode(bytes(raw)).decode()})
    proofs[33] = _with_statement(proofs[33], threshold="1")
    result = verify_batch(proofs, params)
    assert not result.ok
    assert [(f.index, f.account) for f in result.failures] == [(17, "acct17"), (33, "acct33")]
    assert result.statements[17] is None and result.statements[16].account == "acct16"


def test_verify_batch_names_every_bad_proof_when_they_sit_in_both_halves_of_a_group_and_past_it(params):
    honest = prove(portfolio(REQUIRED_CASH, **BOOK), params)
    raw = bytearray(honest.range_proof_bytes)
    raw[-40] ^= 0x01  # inside the final scalar a: still canonical, wrong value
    forged = honest.model_copy(update={"range_proof": base64.b64encode(bytes(raw)).decode()})
    bad = [0, 15, 16, 17, 31, 32, 40]  # groups of 32 (MSM_GROUP): both halves, adjacent, the next group
    result = verify_batch([forged if i in bad else honest for i in range(41)], params)
    assert [f.index for f in result.failures] == bad
    assert sum(s is not None for s in result.statements) == 41 - len(bad)


def test_proof_load_reports_malformed_when_file_is_truncated(exact_proof, tmp_path):
    text = exact_proof.to_json()
    path = tmp_path / "proof.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(MalformedProof):
        MarginProof.load(path)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(version=2),
        lambda d: d.update(extra="field"),
        lambda d: d["commitments"].__setitem__(0, "not base64!"),
        lambda d: d["commitments"].__setitem__(0, base64.b64encode(b"short").decode()),
    ],
)
def test_proof_load_reports_malformed_when_structure_is_wrong(exact_proof, edit):
    import json

    data = json.loads(exact_proof.to_json())
    edit(data)
    with pytest.raises(MalformedProof):
        MarginProof.from_json(json.dumps(data))


def test_prove_refuses_statement_when_level_factor_could_wrap(params):
    wrapping = _with_level(params, "1." + "0" * 70 + "1")
    with pytest.raises(UnsoundStatement, match="soundness budget"):
        prove(portfolio(REQUIRED_CASH * 2, **BOOK), wrapping, level="initial")


def test_verify_refuses_statement_when_level_factor_could_wrap(params, monkeypatch):
    wrapping = _with_level(params, "1." + "0" * 70 + "1")
    with monkeypatch.context() as patched:
        patched.setattr(Circuit, "check_soundness", lambda self: None)
        # an empty account: every slack is 0, so it fits even with the huge factor
        proof = prove(portfolio(0), wrapping, level="initial")
    with pytest.raises(UnsoundStatement):
        verify(proof, wrapping)


def _with_level(params, factor):
    return params.model_copy(update={"levels": {**params.levels, "initial": factor}})


def _with_statement(proof, **changes):
    return proof.model_copy(update={"statement": proof.statement.model_copy(update=changes)})


def test_verify_rejects_forged_proof_when_prover_skips_the_margin_check(params, monkeypatch):
    short = portfolio(REQUIRED_CASH - 1_000, **BOOK)
    forged = forge_proof(monkeypatch, lambda: prove(short, params))
    with pytest.raises(InvalidProof):
        verify(forged, params)


def test_verify_rejects_forged_proof_when_witness_understates_the_short_part(params, monkeypatch):
    # $500 add-on per short CALL: the book needs 500 more than without it
    rates = [50_000 if name == "CALL" else 0 for name in params.instruments]
    with_addon = params.model_copy(update={"addon_short": rates})
    book = portfolio(REQUIRED_CASH + 200, **BOOK)
    with pytest.raises(InsufficientMargin):
        prove(book, with_addon)

    def understate(circuit, values):
        values[[v.name for v in circuit.variables].index("u[CALL]")] = 0

    forged = forge_proof(monkeypatch, lambda: prove(book, with_addon), understate)
    with pytest.raises(InvalidProof):
        verify(forged, with_addon)


def test_verify_batch_pins_each_account_when_venue_passes_its_commitments(params):
    books = {name: portfolio(REQUIRED_CASH, account=name, **BOOK) for name in ("ann", "bob", "cy")}
    opened = {name: open_account(book, params) for name, book in books.items()}
    held = {name: commitments for name, (commitments, _) in opened.items()}
    proofs = [prove(books[name], params, openings=opened[name][1]) for name in books]
    assert verify_batch(proofs, params, commitments=held).ok
    proofs[1] = prove(books["bob"], params)  # fresh blindings: not the commitments the venue holds
    del held["cy"]
    result = verify_batch(proofs, params, commitments=held)
    assert [(f.index, f.account) for f in result.failures] == [(1, "bob"), (2, "cy")]
    assert "no commitments" in result.failures[1].reason


@pytest.mark.parametrize("field", ["commitments", "limb_commitments"])
@pytest.mark.parametrize("change", ["drop_last", "repeat_first"])
def test_verify_rejects_proof_when_a_commitment_list_has_the_wrong_length(params, exact_proof, field, change):
    listed = list(getattr(exact_proof, field))
    listed = listed[:-1] if change == "drop_last" else listed + listed[:1]
    with pytest.raises(InvalidProof, match="commitments"):
        verify(exact_proof.model_copy(update={field: listed}), params)
