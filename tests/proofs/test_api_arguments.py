"""The public API refuses arguments of the wrong kind with one `InputError` line saying what
it takes and how to make it, rather than an `AttributeError` from deep inside; and its
refusals name the argument and the account they are about."""

from __future__ import annotations

import inspect
import json
from decimal import Decimal
from pathlib import Path

import pytest

import zkmargin as zm
from tests.proofs.conftest import portfolio
from tests.proofs.test_buckets import CALL_CASH, FUT_CASH, book
from tests.proofs.test_margin_proof import BOOK, REQUIRED_CASH
from zkmargin.anchors.keys import new_key

RICH = REQUIRED_CASH + 1_000


@pytest.fixture(scope="module")
def proof(params):
    return zm.prove(portfolio(RICH, **BOOK), params)


def refusal(call) -> str:
    with pytest.raises(zm.InputError) as caught:
        call()
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_verify_says_what_it_takes_when_given_a_path_for_the_proof(params):
    message = refusal(lambda: zm.verify(Path("proof.json"), params))
    assert message == "verify takes a MarginProof (MarginProof.load(path)), not a PosixPath"


def test_verify_says_what_it_takes_when_given_a_path_for_the_params(proof):
    assert refusal(lambda: zm.verify(proof, "params.json")) == "verify takes RiskParams as params (RiskParams.load(path)), not a str"


def test_verify_batch_points_to_verify_when_given_one_proof(proof, params):
    message = refusal(lambda: zm.verify_batch(proof, params))
    assert message.startswith("verify_batch takes a list of MarginProof, not one MarginProof: verify(proof, params)")


def test_verify_batch_names_the_index_when_a_list_holds_something_else(proof, params):
    message = refusal(lambda: zm.verify_batch([proof, "b.json"], params))
    assert message == "verify_batch (proofs[1]) takes a MarginProof (MarginProof.load(path)), not a str"


def test_verify_batch_says_commitments_are_a_mapping_when_given_a_list(proof, params):
    message = refusal(lambda: zm.verify_batch([proof], params, commitments=[]))
    assert message.startswith("verify_batch takes a mapping of account label to AccountCommitments")


def test_verify_batch_shows_its_keywords_when_its_signature_is_read():
    keywords = inspect.signature(zm.verify_batch).parameters
    assert {"commitments", "challenges", "policy", "now", "trust", "progress", "executor", "chunk_size"} <= set(keywords)
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in keywords.values())


def test_policy_takes_a_list_of_public_keys_as_trust_when_given_one():
    key = new_key("venue-a", "params").public()
    policy = zm.Policy(trust=[key])
    assert isinstance(policy.trust, zm.Trust) and key.key_id in policy.trust


def test_policy_says_how_to_read_keys_when_given_a_path_as_trust():
    message = refusal(lambda: zm.Policy(trust="pub.json"))
    assert message.startswith("Policy(trust=...) takes a Trust (Trust.load(paths)") and message.endswith("not a str")


def test_trust_holds_one_key_when_given_a_single_public_key():
    key = new_key("venue-a", "params").public()
    assert key.key_id in zm.Trust(key)


def test_trust_points_to_load_when_given_a_path():
    assert "Trust.load(paths)" in refusal(lambda: zm.Trust("pub.json"))


def test_margin_proof_load_points_to_from_json_when_given_json_text(proof):
    with pytest.raises(zm.MalformedProof) as caught:
        zm.MarginProof.load(proof.to_json())
    assert str(caught.value) == "MarginProof.load takes a path, and this is JSON text: read text with MarginProof.from_json(text)"


def test_margin_proof_load_says_it_takes_a_path_when_given_bytes():
    message = refusal(lambda: zm.MarginProof.load(b"proof.json"))
    assert message.startswith("MarginProof.load takes a path (a str or pathlib.Path), not a bytes")
    assert message.endswith("MarginProof.from_json(data)")


def test_bucketed_portfolio_load_any_points_to_from_json_when_given_json_text():
    message = refusal(lambda: zm.BucketedPortfolio.load_any('{"account": "a", "cash": 1}'))
    assert "BucketedPortfolio.from_json(text)" in message


def test_assess_says_how_to_assess_buckets_when_given_a_bucketed_portfolio(params):
    message = refusal(lambda: zm.assess(book(FUT_CASH, CALL_CASH), params))
    assert message.startswith("assess takes one Portfolio, not a BucketedPortfolio")
    assert "book.portfolios()" in message and "book.merged()" in message


@pytest.mark.parametrize(
    "call",
    [
        lambda params: zm.prove(portfolio(RICH, **BOOK), params, min_excess="100"),
        lambda params: zm.prove_many([portfolio(RICH, **BOOK)], params, min_excess="100"),
        lambda params: zm.Policy(min_excess="100"),
    ],
)
def test_min_excess_refuses_text_when_given_a_string_as_cash_is(params, call):
    assert refusal(lambda: call(params)).endswith("min_excess: expected a number, got the text '100'; pass Decimal('100')")


def test_assess_refuses_a_text_threshold_when_given_a_string(params):
    message = refusal(lambda: zm.assess(portfolio(RICH, **BOOK), params, threshold="0.5"))
    assert message == "threshold: expected a number, got the text '0.5'; pass Decimal('0.5')"


def test_account_commitments_refuse_a_text_deposit_when_given_a_string(params):
    commitments, _ = zm.open_account(portfolio(RICH, **BOOK), params)
    assert refusal(lambda: commitments.deposit("500")).startswith("deposit: expected a number, got the text '500'")


def test_prove_names_min_excess_when_it_is_negative(params):
    message = refusal(lambda: zm.prove(portfolio(RICH, **BOOK), params, min_excess=-1000))
    assert message == "min_excess: must be an amount ≥ 0, got -1000"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda book, params: zm.prove(book, params, workers=0), "prove: workers must be a whole number ≥ 1"),
        (lambda book, params: zm.prove_many([book], params, jobs=0), "prove_many: jobs must be a whole number ≥ 1"),
    ],
)
def test_prove_and_prove_many_refuse_zero_processes_when_asked_for_none(params, call, expected):
    assert refusal(lambda: call(portfolio(RICH, **BOOK), params)).startswith(expected)


def test_insufficient_margin_names_the_account_when_prove_refuses(params):
    with pytest.raises(zm.InsufficientMargin) as caught:
        zm.prove(portfolio(REQUIRED_CASH - 1, account="bob", **BOOK), params)
    assert (caught.value.account, caught.value.buckets, caught.value.shortfall) == ("bob", (), Decimal(1))


def test_insufficient_margin_names_the_account_when_a_prove_many_worker_refuses(params):
    books = [portfolio(RICH, account="alice", **BOOK), portfolio(REQUIRED_CASH - 1, account="bob", **BOOK)]
    with pytest.raises(zm.InsufficientMargin) as caught:
        zm.prove_many(books, params, jobs=2)
    assert (caught.value.account, caught.value.shortfall) == ("bob", Decimal(1))


def test_insufficient_margin_names_the_short_buckets_when_a_bucketed_book_falls_short(params):
    with pytest.raises(zm.InsufficientMargin) as caught:
        zm.prove(book(FUT_CASH, CALL_CASH - 1, account="carol"), params)
    assert (caught.value.account, caught.value.buckets) == ("carol", ("call",))


def test_prove_says_nothing_is_margined_when_an_empty_book_has_negative_cash(params):
    with pytest.raises(zm.InsufficientMargin) as caught:
        zm.prove(portfolio(-500, account="dora"), params)
    assert str(caught.value) == (
        "account 'dora' is short by 500.00 USD at the maintenance level "
        "(no requirement: nothing to margin, but equity is -500.00 USD)"
    )


def test_margin_proof_names_the_threshold_once_when_it_is_not_canonical(proof):
    data = json.loads(proof.to_json())
    data["statement"]["threshold"] = "-5"
    with pytest.raises(zm.MalformedProof) as caught:
        zm.MarginProof.from_json(json.dumps(data))
    assert str(caught.value).startswith("proof: statement.threshold: '-5' is not written canonically")


def test_verify_says_unsigned_params_when_the_proof_names_an_epoch_they_lack(proof, params):
    claimed = proof.model_copy(update={"statement": proof.statement.model_copy(update={"epoch": 5, "issuer": "venue-a"})})
    with pytest.raises(zm.InvalidProof) as caught:
        zm.verify(claimed, params)
    assert str(caught.value) == "the proof names params epoch 5 of 'venue-a'; these are unsigned params"
