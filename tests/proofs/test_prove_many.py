"""prove_many: many accounts, one process per proof, same proofs as prove."""

import pytest

import zkmargin as zm
from tests.proofs.conftest import portfolio


def books():
    return [portfolio(50_000, account=f"acct-{k}", FUT=k % 3 - 1, CALL=k % 2) for k in range(4)]


def test_prove_many_returns_verifying_proofs_in_order_when_run_in_two_jobs(params):
    portfolios = books()
    seen = []
    proofs = zm.prove_many(portfolios, params, jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert [proof.account for proof in proofs] == [p.account for p in portfolios]
    assert zm.verify_batch(proofs, params).ok
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_prove_many_pins_each_account_when_given_openings(params):
    portfolios = books()[:2]
    opened = [zm.open_account(p, params) for p in portfolios]
    proofs = zm.prove_many(portfolios, params, jobs=2, openings={o.account: o for _, o in opened})
    result = zm.verify_batch(proofs, params, commitments={c.account: c for c, _ in opened})
    assert result.ok and len(result.statements) == 2


def test_prove_many_raises_insufficient_margin_with_the_shortfall_when_a_worker_account_is_short(params):
    short = portfolio(10, account="short", FUT=-5)
    with pytest.raises(zm.InsufficientMargin) as caught:
        zm.prove_many([books()[0], short], params, jobs=2)
    assert "short" in str(caught.value) and caught.value.shortfall > 0


def test_prove_many_raises_input_error_when_openings_miss_an_account(params):
    with pytest.raises(zm.InputError, match="no openings for account 'acct-0' and 1 more"):
        zm.prove_many(books()[:2], params, openings={})


def test_prove_many_raises_input_error_when_jobs_is_not_positive(params):
    with pytest.raises(zm.InputError, match="jobs must be"):
        zm.prove_many(books(), params, jobs=0)
