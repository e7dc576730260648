"""Attack review of lean circuits (8caff52: implied range items left out), as an outsider.

The tests of a finding (L1 …) state the property the code should have. L1 (d537d6d), L2
and L3 (73320c6) were fixed on main during the review, L1b after it (SINGLE_ROW_BUDGET);
their tests pin the fixes. The passing tests after them pin attacks that held:
a cheating prover is simulated with `forge_proof` (tests/proofs/conftest.py), which rewrites
the honest witness and switches the prover's own checks off.
The property that whatever is left out is implied for any witness (both regimes of
`PAIR_SEARCH_BUDGET`) is tests/proofs/test_dominance.py's, next to its witness helper.

The params used most: `collinear()`, the small FUT/CALL risk arrays with the call's P&L half
the future's, so every scenario of the one group lies on one line. The lean circuit then
states only the crash and the rally (up and down are between them), leaves out m ≥ 0 (the
crash and the rally bracket zero) and anchors m and c (Q·S = 1): the most the compiler
leaves out of a small circuit.
"""

import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

import zkmargin as zm
from tests.proofs.conftest import ROOT, forge_proof, portfolio, small_params
from tests.proofs.test_circuit import make_params
from zkmargin.engine.assess import assess
from zkmargin.errors import InvalidProof
from zkmargin.proofs import dominance
from zkmargin.proofs import statement as statement_module
from zkmargin.proofs.compiler import compile_circuit
from zkmargin.proofs.statement import Statement, limb_count


def collinear():
    return small_params(CALL=[500.0, -500.0, -1500.0, 1250.0])


@pytest.fixture(scope="module")
def params():
    return collinear()


def counting(monkeypatch, module, name):
    """Wrap the real `module.name` so that its calls are counted (it still runs)."""
    real = getattr(module, name)
    calls = [0]

    def counted(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def one_group(scenarios, instruments, rated, seed=1):
    """Params of one scenario group with random (option-like: on no line) P&L; `rated`
    gives every instrument add-ons, so each has a short part (two coordinates)."""
    rng = random.Random(seed)
    pnl = [[rng.randint(-10**6, 10**6) for _ in range(scenarios)] for _ in range(instruments)]
    rate = [1 if rated else 0] * instruments
    return make_params(pnl, values=[1] * instruments, addon_long=rate, addon_short=rate)


# L1 (high, availability; FIXED on main by d537d6d, PAIR_SEARCH_BUDGET: these two pin it) —
# proofs/dominance.py `implied_items` as reviewed (8caff52): for each scenario the float
# screen built every pair of the group's other items over every coordinate, n³·W work and
# n²·W memory, on the prover and on every verifier. Measured at 8caff52: 100 scenarios × 100
# instruments with add-ons 11.8 s (full circuit 0.08 s); 200 × 100: 77 s and 573 MB (~940×);
# 600 × 100 in 1 GiB: a bare MemoryError. On historical-style arrays the search found
# nothing to leave out (benchmarks/lean_compile.py: 2 limbs saved of 306, c's range).
# With the budget the L1 case takes a tenth of a second; it took 77 s at 8caff52.
#
# L1b (medium, availability; failed on main at 73320c6) — past the budget, the single-row
# screen is still n²·W work per compile: one group of 1,500 scenarios × 100 instruments
# 4.0 s (full circuit 0.14 s, 28×); 2,500 × 100 10.3 s (32×), with add-ons 22.7 s (100×)
# (before 73320c6's int64 screen: 5.5 s, 26 s, 51 s). A venue's ten years of daily history
# (2,520 scenarios, max aggregation) costs 10–25 s per process that compiles it: every
# `zkmargin prove` and `verify` run, every `prove_many` worker (the cache is per process),
# and the search finds nothing to leave out in such arrays.
# Fix: past a second budget on n²·W, look for exact duplicates only (hash the rows, n·W).
# Fixed by SINGLE_ROW_BUDGET (equal rows only, by hashing). Stated as the search each group
# gets (its cost is n³·W, n²·W or n·W by construction) rather than timed:
# benchmarks/lean_compile.py reports the times.
@pytest.mark.parametrize(
    "scenarios, instruments, rated, search",
    [(200, 100, True, "single rows"), (1500, 100, False, "equal rows")],
    ids=["L1", "L1b"],
)
def test_compile_bounds_the_implied_item_search_when_a_group_is_large(monkeypatch, scenarios, instruments, rated, search):
    params = one_group(scenarios, instruments, rated)
    screens = []
    real_screen = dominance._screen
    monkeypatch.setattr(
        dominance, "_screen", lambda target, others, exact_only, pairs: screens.append(pairs) or real_screen(target, others, exact_only, pairs)
    )
    lean = compile_circuit(params, Fraction(1), 0)
    assert limb_count(lean) <= limb_count(compile_circuit(params, Fraction(1), 0, lean=False))
    assert {"single rows": screens and not any(screens), "equal rows": screens == []}[search]


MEMORY_LIMITED = """
import resource
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from fractions import Fraction
from tests.review.test_lean_attack import one_group
from zkmargin.errors import ZkMarginError
from zkmargin.proofs.compiler import compile_circuit
params = one_group(600, 100, rated=True)
compile_circuit(params, Fraction(1), 0, lean=False)
try:
    compile_circuit(params, Fraction(1), 0)
except ZkMarginError:
    pass
print("compiled or refused")
"""


# L1, memory: the full circuit of one group of 600 scenarios × 100 instruments with add-ons
# compiles in 1 GiB (a small verifier container) in 0.14 s; at 8caff52 the lean one died in
# under a second with a bare MemoryError (one 600 × 600 × 200 float array is 549 MiB).
@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS caps the address space on Linux only")
def test_compile_compiles_or_refuses_cleanly_when_a_group_is_large_and_memory_is_one_gib():
    run = subprocess.run(
        [sys.executable, "-c", MEMORY_LIMITED], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
    )
    assert run.returncode == 0 and "compiled or refused" in run.stdout, run.stderr[-400:]


# L2 (medium, DoS amplifier; FIXED on main by 73320c6, which caches the search on the P&L and
# the short parts; this test pins it) — proofs/verifier.py `_Circuits._one` at 94f9295: the
# lean circuit, and with it the dominance search, was compiled once per (level, threshold),
# and the threshold is whatever the proof's statement says. A batch of N proofs (valid or junk: the search
# runs before any equation is checked) naming N thresholds makes the venue run the search
# N times, although which items are implied depends on the params and the level only.
# Measured at the pair-search budget's edge (risk arrays of 100 instruments × 42 scenarios,
# benchmarks.margin_proof.scenario_arrays): verify_batch of 20 junk proofs (one real proof,
# threshold edited) takes 0.26 s when they name one threshold and 5.44 s when they name 20
# (21×); 20 VALID proofs take 2.84 s. A junk file costs the venue ~2 valid verifications
# (before 8caff52: a ~3 ms compile), and costs its sender nothing. Every `verify` call,
# `prove` / `prove_many` account and `verify_batch(executor=…)` chunk searches again too.
# Fix: cache the implied items per (params digest, level), apart from the threshold.
def test_verify_batch_searches_implied_items_once_when_proofs_name_many_thresholds(params, monkeypatch):
    proof = zm.prove(portfolio(5000, FUT=-1), params)
    edited = [
        proof.model_copy(update={"statement": proof.statement.model_copy(update={"threshold": str(t)})})
        for t in range(1, 9)
    ]
    searches = counting(monkeypatch, dominance, "implied_items")
    result = zm.verify_batch([proof] + edited, params)
    assert result.statements[0] is not None and len(result.failures) == 8
    assert searches[0] <= 1  # one group, one level (0: an earlier test of this process searched)


# L3 (medium, params-driven DoS; FIXED on main by 73320c6: exact int64 screen, at most
# EXACT_CHECKS_PER_ITEM exact checks; this test pins it) — dominance.py at 94f9295: the float
# screen is meant to pass only the few candidates worth an exact check, but rows that differ
# only below the float's resolution (P&L near 2^61, differences < 256: valid params, every
# entry < 2^62) all look alike, so EVERY candidate of EVERY item goes to the exact Fraction
# check, W coordinates each in Python: n³/2 checks under PAIR_SEARCH_BUDGET (42 scenarios ×
# 100 instruments: 37,884 checks, 1.67 s against 3 ms for the full circuit), n² above it,
# single rows (800 × 60: 639,200 checks, 5.8 s against 0.09 s; 1,500 × 60: 26 s against
# 0.12 s, growing as n²·W). A params file built this way stalls every prover and verifier
# that compiles it, once per threshold (L2). Needs whoever publishes the params.
# Fix: screen in exact integer arithmetic (the rows are ints) or cap the exact checks per item.
@pytest.mark.parametrize("scenarios, instruments", [(40, 20), (300, 30)], ids=["pairs", "single-rows"])
def test_compile_checks_few_candidates_exactly_when_rows_differ_below_float_resolution(monkeypatch, scenarios, instruments):
    rng = random.Random(2)
    base = 1 << 61
    pnl = [[base] * scenarios for _ in range(instruments - 3)]
    pnl += [[base + rng.randrange(256) for _ in range(scenarios)] for _ in range(3)]
    params = make_params(pnl, values=[1] * instruments, addon_long=[0] * instruments, addon_short=[0] * instruments)
    exact = counting(monkeypatch, dominance, "_between")
    compile_circuit(params, Fraction(1), 0)
    assert exact[0] <= 10 * (scenarios + 1), f"{exact[0]} exact checks for {scenarios + 1} items"


# ---------------------------------------------------------------------------------------
# What held. Each of these attacks fails on the reviewed code, as it should.


def test_collinear_params_leave_out_what_this_file_attacks(params):
    # the premise of the tests below: m ≥ 0 and the up and down moves are left out, m and c anchored
    lean = compile_circuit(params, Fraction(1), 0)
    assert [item.name for item in lean.range_items] == [
        "range(q[CALL])", "range(q[FUT])", "scenario(crash)", "scenario(rally)", "scenarios"
    ]
    assert {v.name for v in lean.variables if not v.own_range} == {"c", "m[all]"}


def _lower_worst_loss(to=None, by=0, cash=None):
    """Tamper: in the bucket whose c is `cash` (every bucket when None), claim the worst loss
    m = `to`, or m lowered by `by` fine units: what pays for missing equity in the
    requirement item if nothing else holds m up."""

    def tamper(circuit, values):
        names = [v.name for v in circuit.variables]
        if cash is None or values[names.index("c")] == cash:
            m = names.index("m[all]")
            values[m] = to if to is not None else values[m] - by

    return tamper


def test_verify_refuses_negative_worst_loss_when_the_lean_circuit_leaves_out_m_at_least_zero(params, monkeypatch):
    # no positions, one cent short of the threshold; m = −1 would pay for the cent
    book = portfolio("999.99")
    assert not assess(book, params, threshold=Decimal(1000)).meets
    forged = forge_proof(monkeypatch, lambda: zm.prove(book, params, min_excess=1000), _lower_worst_loss(to=-1))
    assert forged.statement.circuit_digest == Statement.for_params(params, "alice", "maintenance", 1000).compile(params).digest()
    with pytest.raises(InvalidProof, match="does not verify"):
        zm.verify(forged, params)


def test_verify_refuses_worst_loss_below_a_left_out_move_when_the_book_is_short_the_future(params, monkeypatch):
    # short 1 FUT loses 2,500 in the rally (stated) and 1,000 in the up move (left out): any m
    # below the rally's loss breaks the rally's item, so the left-out move buys nothing
    book = portfolio(3499, FUT=-1)
    assert not assess(book, params, threshold=Decimal(1000)).meets
    forged = forge_proof(monkeypatch, lambda: zm.prove(book, params, min_excess=1000), _lower_worst_loss(by=100))
    with pytest.raises(InvalidProof, match="does not verify"):
        zm.verify(forged, params)


def test_verify_refuses_a_lowered_worst_loss_when_one_isolated_bucket_of_a_lean_stack_claims_it(params, monkeypatch):
    # bucket "short" is one dollar short on its own; only its m is lowered
    book = zm.BucketedPortfolio.model_validate({"account": "alice", "buckets": [
        {"name": "funded", "cash": Decimal(5000), "positions": {"CALL": Decimal(1)}},
        {"name": "short", "cash": Decimal(3499), "positions": {"FUT": Decimal(-1)}},
    ]})
    forged = forge_proof(
        monkeypatch, lambda: zm.prove(book, params, min_excess=1000), _lower_worst_loss(by=100, cash=349900)
    )
    assert forged.statement.buckets == 2
    with pytest.raises(InvalidProof, match="does not verify"):
        zm.verify(forged, params)


def test_verify_refuses_an_anchored_position_when_it_leaves_its_anchor_range(monkeypatch):
    # with add-ons every q has a short part: q is anchored by long_part (q + u ∈ [0, 2^32)).
    # A long 2^32 units more than held is outside that anchor, as a field element and as an integer.
    rated = zm.RiskParams(**{**small_params().document(), "addon_long": [1, 1], "addon_short": [1, 1]})
    lean = Statement.for_params(rated, "alice", "maintenance").compile(rated)
    assert not lean.variables[lean.indices("position")[0]].own_range

    def tamper(circuit, values):
        values[[v.name for v in circuit.variables].index("q[CALL]")] += 1 << 32

    forged = forge_proof(monkeypatch, lambda: zm.prove(portfolio(5000, CALL=1), rated), tamper)
    with pytest.raises(InvalidProof, match="does not verify"):
        zm.verify(forged, rated)


@pytest.mark.parametrize("qs, factor", [(100, Fraction(1)), (1, Fraction(11, 10))])
def test_compile_keeps_the_collateral_range_when_its_coefficient_is_not_one(qs, factor):
    # c is anchored only through a requirement item holding it with coefficient ±1 (Q·S = 1)
    params = make_params([[5, -5]], values=[1], addon_long=[0], addon_short=[0], qs=qs)
    lean = compile_circuit(params, factor, 0)
    assert lean.variables[lean.indices("collateral")[0]].own_range


def test_compile_keeps_a_scenario_when_floats_round_it_onto_another_near_2_62():
    # as floats s1 = s0 = [2^62, 2^62]; exactly, s1 = s0 − (1, 0) on two free coordinates,
    # which no combination of s0 and m ≥ 0 gives: the exact check must keep s1
    top = (1 << 62) - 1
    params = make_params([[top, top - 1], [top, top]], values=[1, 1], addon_long=[0, 0], addon_short=[0, 0])
    lean = compile_circuit(params, Fraction(1), 0)
    assert "scenario(s1)" in {item.name for item in lean.range_items}
    names = [v.name for v in lean.variables]
    witness = [0] * len(names)
    witness[names.index("q[I0]")], witness[names.index("q[I1]")], witness[names.index("c")] = 1, -1, 10**6
    assert lean.unsatisfied(witness) == ["scenario(s1)"]  # m = 0 meets m ≥ 0 and s0, not s1


@pytest.fixture(scope="module")
def lean_and_full(params):
    """One book proved on the lean circuit and on the one with every item stated (as proofs
    made before 8caff52 were)."""
    book = portfolio(5000, FUT=-1)
    lean = zm.prove(book, params, min_excess=1000)
    full_compile = statement_module.Statement.compile
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(statement_module.Statement, "compile", lambda self, p, lean=True: full_compile(self, p, lean=False))
        full = zm.prove(book, params, min_excess=1000)
    assert lean.statement.circuit_digest != full.statement.circuit_digest
    return lean, full


def _naming(proof, digest):
    return proof.model_copy(update={"statement": proof.statement.model_copy(update={"circuit_digest": digest})})


def test_verify_refuses_a_lean_proof_body_when_its_statement_names_the_full_circuit(params, lean_and_full):
    lean, full = lean_and_full
    with pytest.raises(InvalidProof, match="limb commitments"):
        zm.verify(_naming(lean, full.statement.circuit_digest), params)
    with pytest.raises(InvalidProof, match="limb commitments"):
        zm.verify(_naming(full, lean.statement.circuit_digest), params)
    with pytest.raises(InvalidProof):
        zm.verify(_naming(lean, None), params)


@pytest.mark.parametrize("edit, refusal", [
    ({"threshold": "2000"}, "made for circuit"),  # another circuit: the constant moves
    ({"level": "initial"}, "made for circuit"),  # λ = 11/10: c keeps its range, P·m grows
    ({"account": "bob"}, "does not verify"),  # same circuit: the transcript differs
])
def test_verify_refuses_a_lean_proof_when_its_statement_is_edited_and_its_digest_kept(params, lean_and_full, edit, refusal):
    lean, _ = lean_and_full
    edited = lean.model_copy(update={"statement": lean.statement.model_copy(update=edit), **(
        {"account": edit["account"]} if "account" in edit else {})})
    with pytest.raises(InvalidProof, match=refusal):
        zm.verify(edited, params)


def test_verify_batch_reports_each_circuit_when_lean_full_and_forged_proofs_are_mixed(params, lean_and_full, monkeypatch):
    lean, full = lean_and_full
    forged = forge_proof(
        monkeypatch, lambda: zm.prove(portfolio("999.99"), params, min_excess=1000), _lower_worst_loss(to=-1)
    )
    result = zm.verify_batch([lean, forged, full], params)
    assert [f.index for f in result.failures] == [1]
    assert result.statements[0].circuit_digest == lean.statement.circuit_digest
    assert result.statements[2].circuit_digest == full.statement.circuit_digest


def test_verify_accepts_a_pinned_lean_proof_only_with_the_commitments_the_venue_holds(params):
    # c is anchored (no range item of its own): pinning still reads its commitment by name
    commitments, openings = zm.open_account(portfolio(5000, FUT=-1), params)
    proof = zm.prove(portfolio(5000, FUT=-1), params, min_excess=1000, openings=openings)
    assert zm.verify(proof, params, commitments=commitments).account == "alice"
    with pytest.raises(InvalidProof, match="the committed cash differs from what the venue holds"):
        zm.verify(proof, params, commitments=commitments.deposit(1))


def test_verify_refuses_an_attested_lean_proof_when_the_anchored_cash_is_raised(monkeypatch):
    # with add-ons and Q·S = 1 both q and c are anchored; the committed book must still be
    # the custodian's: 10,000 of cash more than attested is refused by name, not by range
    rated = zm.RiskParams(**{**collinear().document(), "addon_long": [1, 1], "addon_short": [1, 1]})
    lean = Statement.for_params(rated, "alice", "maintenance").compile(rated)
    assert {v.name for v in lean.variables if not v.own_range} >= {"c", "q[CALL]", "q[FUT]"}
    now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    custodian = zm.new_key("custodian-lean", "custody")
    pair = zm.attest(custodian, rated, portfolio(3000, FUT=-1), sequence=1, time=now - timedelta(hours=1))
    summed = zm.attested_book([pair], rated)
    policy = zm.Policy(trust=zm.Trust([custodian.public()]), allow_unsigned_params=True, attested_only=True)

    def prove_attested():
        return zm.prove(summed.portfolio, rated, openings=summed.openings, attestations=summed.attestations)

    assert zm.verify(prove_attested(), rated, policy=policy, now=now).attestations

    def tamper(circuit, values):
        values[[v.name for v in circuit.variables].index("c")] += 1_000_000

    with pytest.raises(InvalidProof, match="the committed cash differs from the sum of the attestations$"):
        zm.verify(forge_proof(monkeypatch, prove_attested, tamper), rated, policy=policy, now=now)


def test_verify_refuses_a_credited_group_when_its_anchored_worst_loss_and_credit_are_lowered_together(monkeypatch):
    # SPAN index futures (tests/models/test_credits.py): long ES, short SOXF needs 55,200 less
    # a 35% credit of 8,400. The lean circuit leaves out both groups' m ≥ 0 and all but their
    # extreme moves. Lowering m[SPX] by 1,000 and the credit by 350 (so credit(SPX) still holds)
    # would pay for 650 of missing equity; the stated extreme move of SPX holds m up.
    from tests.models.conftest import account, model
    from tests.models.test_credits import index_futures

    spans = zm.build_params(index_futures(), model("span"))
    lean = Statement.for_params(spans, "test", "maintenance").compile(spans)
    assert {"m[SPX]", "m[SOX]"} <= {v.name for v in lean.variables if not v.own_range}
    book = account(Decimal(46_799), {"ES": 1, "SOXF": -1})
    assert not assess(book, spans).meets

    def tamper(circuit, values):
        names = [v.name for v in circuit.variables]
        values[names.index("m[SPX]")] -= 100_000
        values[names.index("x[SPX|SOX]")] -= 35_000

    forged = forge_proof(monkeypatch, lambda: zm.prove(book, spans), tamper)
    with pytest.raises(InvalidProof, match="does not verify"):
        zm.verify(forged, spans)
