"""`prove`: commit to the account and prove its margin statement with one range proof.

The prover commits to every circuit variable (W_i = w_i·B + γ_i·B_blinding). Each range
item a·w + b is then committed *without any new randomness*: its commitment
Σ a_i·W_i + b·B is a public function of the W_i, which the verifier recomputes. A 64-bit
item is split into two 32-bit limbs: the prover commits to the high limb (V_hi) and the low
limb's commitment is V_item − 2^32·V_hi. All limbs go into ONE aggregated Bulletproof of
32-bit ranges, or two or three consecutive ones when the limb count is a little past a power
of two (hazmat/range_proof_parts.py), verified as one equation. See docs/protocol.md.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from decimal import Decimal

from zkmargin.anchors.attestation import Attestation
from zkmargin.console import format_money
from zkmargin.proofs.account import AccountCommitments, AccountOpenings
from zkmargin.proofs.attested import summed_commitments
from zkmargin.engine.assess import assess
from zkmargin.engine.bucket_count import padded_count
from zkmargin.engine.buckets import BucketedPortfolio
from zkmargin.proofs.circuit import LIMB_BITS, Circuit
from zkmargin.errors import FixedPointOverflow, InputError, InsufficientMargin
from zkmargin.hazmat.partner import default_workers
from zkmargin.hazmat.range_proof_parts import create_range_proof
from zkmargin.hazmat.scalar import ORDER, random_scalar
from zkmargin.engine.params import RiskParams
from zkmargin.engine.portfolio import Portfolio
from zkmargin.proofs.pinned_buckets import fund_padding, require_opens, split_blindings
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.stacked import stacked
from zkmargin.proofs.statement import Statement, margin_transcript, parse_threshold, proof_generators
from zkmargin.proofs.witness import assign
from zkmargin.units import from_fixed, to_fixed
from zkmargin.validation import require_argument, require_count

LIMB_MASK = (1 << LIMB_BITS) - 1


def prove(
    portfolio: Portfolio | BucketedPortfolio,
    params: RiskParams,
    *,
    level: str = "maintenance",
    min_excess: object = 0,
    openings: AccountOpenings | None = None,
    workers: int | None = None,
    challenge: str | None = None,
    attestations: tuple[Attestation, ...] = (),
    pad_to: int | None = None,
    commitments: AccountCommitments | None = None,
) -> MarginProof:
    """Prove that `portfolio` meets `params`' requirement at `level` with excess ≥ `min_excess`.

    Raises `InsufficientMargin` (with the clear-text `shortfall` and the `account`) before any
    proving when it does not. `min_excess` is a number ≥ 0 (int, Decimal or float), never
    text, as amounts are in the JSON files. With `openings`, the collateral and position commitments reuse the blindings
    of `open_account`, so a venue that holds those commitments can pin them in `verify`.
    `workers` is how many processes this one proof may use, ≥ 1 (default: 2 on a machine
    with two cores or more; `prove_many` proves many accounts one process each).
    With `challenge` (the verifier's nonce, `new_challenge()`), the proof answers that one
    request only. Signed params' issuer and epoch are bound into the statement. With
    `attestations` (from `attested_book`, whose portfolio and openings must be passed too),
    the proof carries them and its commitments are their sums.

    A `BucketedPortfolio` is proved bucket by bucket in one proof: each bucket must meet
    the statement with its own positions and cash (isolated margin), and the proof shows
    `padded_count(buckets, pad_to)` buckets, the extra ones empty (holding the threshold in
    cash). A plain `Portfolio` is one bucket (cross margin). `InsufficientMargin` then
    names every bucket that falls short (in its message and `buckets`); its shortfall is their sum.

    With `openings` (pinned or attested) the buckets split the one book behind them: their
    cash and positions must add up to it (with `commitments`, the venue's `ledger export`,
    or with `attestations`, a book that does not is refused before proving, naming the
    variable), and the padding buckets' cash is taken out of the real buckets' excess,
    largest first (`pinned_buckets.fund_padding`; `InsufficientMargin` when it cannot be).
    """
    require_argument(
        portfolio, (Portfolio, BucketedPortfolio), "prove", "a Portfolio or BucketedPortfolio (Portfolio.load(path))"
    )
    require_argument(params, RiskParams, "prove", "RiskParams as params (RiskParams.load(path))")
    min_excess = parse_threshold(min_excess, "min_excess")
    if workers is not None:
        require_count(workers, "prove: workers")
    if attestations and openings is None:
        raise InputError("prove: attestations need the summed openings of `attested_book` too")
    if commitments is not None and openings is None:
        raise InputError("prove: pinned commitments need the account's openings too")
    books = portfolio.portfolios() if isinstance(portfolio, BucketedPortfolio) else [portfolio]
    count = padded_count(len(books), pad_to)
    if openings is not None:
        for given in (openings, commitments):
            if given is not None:
                given.require_account(portfolio.account)
        held = [(commitments, "the pinned commitments")] if commitments is not None else []
        if attestations:
            held.append((summed_commitments(list(attestations), params), "the sum of the attestations"))
        for pinned, source in held:
            require_opens(books, params, openings, pinned, source)
    statement = Statement.for_params(
        params, portfolio.account, level, min_excess, challenge=challenge,
        attestations=tuple(a.digest() for a in attestations), buckets=count,
    )
    # for_params named these very params: no digest to re-check
    single = statement.compile(params)
    # a bucket proof names the one-bucket circuit: its B copies follow from `buckets`
    statement = replace(statement, circuit_digest=single.digest())
    names = portfolio.names if isinstance(portfolio, BucketedPortfolio) else [None]
    pad_cash = _padding_cash(statement, params)
    if openings is not None:
        books = fund_padding(books, count - len(books), pad_cash, params, statement)
    padding = Portfolio(account=portfolio.account, cash=pad_cash, positions={})
    named = list(zip(names, books)) + [(None, padding)] * (count - len(books))
    witness = _bucket_witnesses(single, params, statement, named)
    circuit = single if count == 1 else stacked(single, count)
    blindings = split_blindings(single, count, openings)
    return _prove_witness(statement, circuit, witness, blindings, workers, attestations)


def _bucket_witnesses(
    circuit: Circuit, params: RiskParams, statement: Statement, named: list[tuple[str | None, Portfolio]]
) -> list[int]:
    """Each bucket's witness for the one-bucket `circuit`, one after the other.

    Refuses a false statement before any proving: `InsufficientMargin` naming every short
    bucket, with their shortfalls summed (an unnamed book — a plain portfolio — keeps the
    one-account message; a padding bucket cannot fall short).
    """
    witness: list[int] = []
    short: list[tuple[str, InsufficientMargin]] = []
    for name, book in named:
        values = assign(circuit, params, book, statement.level)
        try:
            _require_satisfied(circuit, values, book, params, statement)
        except InsufficientMargin as error:
            if name is None:
                raise
            short.append((name, error))
        witness += values
    if short:
        raise InsufficientMargin(
            "; ".join(f"bucket {name!r}: {error}" for name, error in short),
            sum(e.shortfall for _, e in short),
            account=statement.account,
            buckets=tuple(name for name, _ in short),
        )
    return witness


def _padding_cash(statement: Statement, params: RiskParams) -> Decimal:
    """A padding bucket's cash: the threshold rounded up to a money unit, so it meets the
    statement exactly as the circuit states it (requirement 0, excess ≥ threshold)."""
    return from_fixed(to_fixed(statement.threshold, params.money_scale, rounding="up"), params.money_scale)


def _prove_witness(
    statement: Statement,
    circuit: Circuit,
    witness: list[int],
    blindings: list[int],
    workers: int | None,
    attestations: tuple[Attestation, ...],
) -> MarginProof:
    """Commit to `witness` with `blindings` and prove every range item of `circuit` at once."""
    bp_gens, pc_gens = proof_generators(circuit)
    commitments = [pc_gens.commit(w, gamma) for w, gamma in zip(witness, blindings)]

    limb_values: list[int] = []
    limb_blindings: list[int] = []
    high_limbs: list[tuple[int, int]] = []
    for item, value in zip(circuit.range_items, circuit.evaluate(witness)):
        blinding = sum(coefficient * blindings[index] for index, coefficient in item.terms) % ORDER
        if item.bits == LIMB_BITS:
            limb_values.append(value)
            limb_blindings.append(blinding)
        else:
            high, high_blinding = value >> LIMB_BITS, random_scalar()
            limb_values.append(value & LIMB_MASK)
            limb_blindings.append((blinding - (high_blinding << LIMB_BITS)) % ORDER)
            high_limbs.append((high, high_blinding))
    limb_values.extend(high for high, _ in high_limbs)
    limb_blindings.extend(blinding for _, blinding in high_limbs)
    limb_commitments = [pc_gens.commit(high, blinding) for high, blinding in high_limbs]

    commitment_bytes = [c.to_bytes() for c in commitments]
    limb_bytes = [c.to_bytes() for c in limb_commitments]
    transcript = margin_transcript(statement, commitment_bytes, limb_bytes)
    workers = default_workers() if workers is None else workers
    proof = create_range_proof(bp_gens, pc_gens, transcript, limb_values, limb_blindings, LIMB_BITS, workers=workers)
    return MarginProof.build(statement, commitment_bytes, limb_bytes, proof, list(attestations))


def _require_satisfied(
    circuit: Circuit, witness: list[int], portfolio: Portfolio, params: RiskParams, statement: Statement
) -> None:
    """Refuse to prove a false statement, saying why in clear text."""
    failing = circuit.unsatisfied(witness)
    if not failing:
        return
    report = assess(portfolio, params, level=statement.level, threshold=statement.threshold)
    if not report.meets:
        money = functools.partial(format_money, currency=params.currency)
        if report.requirement:
            why = f"requirement {money(report.requirement)}, equity {money(report.equity)}, binding: {report.binding}"
        else:
            # No term binds a book that requires nothing: the equity (its cash) is what falls short.
            why = f"no requirement: nothing to margin, but equity is {money(report.equity)}"
        raise InsufficientMargin(
            f"account {portfolio.account!r} is short by {money(report.shortfall)} at the {statement.level} level ({why})",
            report.shortfall,
            account=portfolio.account,
        )
    raise FixedPointOverflow(
        f"account {portfolio.account!r} meets the requirement but {failing[0]} does not fit the "
        f"range it is proved in; the amounts are too large for this version's {LIMB_BITS * 2}-bit slacks"
    )

