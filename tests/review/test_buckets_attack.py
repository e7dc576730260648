"""Attack review of isolated margin buckets (branch buckets): one failing test per finding.

The book of tests/proofs/test_buckets.py: long 1 FUT in one bucket (3,000 of cash meets it
alone) and short 1 CALL in another (3,150), proved through the public API and read back
through the CLI as a venue would. They fail on the reviewed code and pass once the finding
is fixed.
"""

from decimal import Decimal

import pytest
from click.testing import CliRunner

import zkmargin as zm
from tests.proofs.conftest import small_params
from zkmargin.cli import cli


@pytest.fixture(scope="module")
def two_buckets_shown_as_four(tmp_path_factory):
    """Two funded buckets proved with pad_to=4: the venue is shown 4, two of them padding."""
    root = tmp_path_factory.mktemp("buckets-attack")
    params = small_params()
    params.save(root / "params.json")
    book = zm.BucketedPortfolio.model_validate({"account": "alice", "buckets": [
        {"name": "fut", "cash": Decimal(3000), "positions": {"FUT": Decimal(1)}},
        {"name": "call", "cash": Decimal(3150), "positions": {"CALL": Decimal(-1)}},
    ]})
    zm.prove(book, params, pad_to=4).save(root / "proof.json")
    return root


# B1 (low) — cli/verify_view.py `format_statement` (and verify-batch's "buckets" column): the proof shows a PADDED count, yet verify says "alice meets … in each of
# 4 isolated buckets", which a venue reads as "alice keeps 4 isolated books". Two of them are
# empty padding the prover added; the output states more than the proof shows. It should say
# the count is padded (e.g. "in each of 4 isolated buckets (padded: some may be empty)").
def test_verify_says_the_bucket_count_is_padded_when_the_proof_has_isolated_buckets(two_buckets_shown_as_four):
    root = two_buckets_shown_as_four
    arguments = ["verify", "--params", str(root / "params.json"), "--allow-unsigned", str(root / "proof.json")]
    result = CliRunner(env={"ZKMARGIN_TRUST": None}).invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    [claim] = [line for line in result.stdout.splitlines() if "isolated buckets" in line]
    assert "padded" in claim, f"verify states 4 isolated buckets as if all were real: {claim!r}"
