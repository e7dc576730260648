"""The trader's side of attested books: add up what the custodians attested and opened.

Each custodian hands the trader an attestation (public) and its openings (secret: every
value and blinding). The proved book is the per-instrument sum of the attested values, and
its blindings are the sums of the blindings, so the prover's commitments are exactly the
sums of the attested commitments — which is what the verifier checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from zkmargin.anchors.attestation import Attestation, AttestationOpenings
from zkmargin.engine.params import RiskParams
from zkmargin.engine.portfolio import Portfolio
from zkmargin.errors import InputError
from zkmargin.hazmat.generators import PedersenGens
from zkmargin.hazmat.scalar import ORDER
from zkmargin.validation import validate
from zkmargin.proofs.account import AccountOpenings


@dataclass(frozen=True)
class AttestedBook:
    """The summed book (`portfolio`), its summed blindings (`openings`) and the attestations."""

    portfolio: Portfolio
    openings: AccountOpenings
    attestations: tuple[Attestation, ...]


def _require_opens(attestation: Attestation, openings: AttestationOpenings) -> None:
    """The openings must open every commitment of the attestation (a wrong file is caught here,
    before proving, rather than as an invalid proof at the venue)."""
    if openings.attestation != attestation.digest() or openings.account != attestation.account:
        raise InputError(f"these openings are not for the attestation by {attestation.custodian!r} (sequence {attestation.sequence})")
    pc_gens = PedersenGens()
    collateral, positions = attestation.points()
    pairs = [(collateral, openings.collateral)] + [(positions[name], openings.positions.get(name)) for name in positions]
    for point, opening in pairs:
        if opening is None or pc_gens.commit(opening.value % ORDER, int(opening.blinding, 16)) != point:
            raise InputError(f"the openings do not open the attestation by {attestation.custodian!r}")


def _require_one_per_custodian(pairs: list[tuple[Attestation, AttestationOpenings]]) -> None:
    """Refused here, before proving: the verifier refuses a proof that counts a custodian's book twice."""
    custodians = [attestation.custodian for attestation, _ in pairs]
    twice = sorted({name for name in custodians if custodians.count(name) > 1})
    if twice:
        raise InputError(f"two attestations by {', '.join(map(repr, twice))}: a custodian's book counts once; "
                         "give its latest attestation only")


def attested_book(pairs: list[tuple[Attestation, AttestationOpenings]], params: RiskParams) -> AttestedBook:
    """Sum one or several custodians' attested books (cross-venue portfolio margin)."""
    if not pairs:
        raise InputError("attested_book: give at least one attestation with its openings")
    accounts = {attestation.account for attestation, _ in pairs}
    if len(accounts) != 1:
        raise InputError(f"the attestations are for different accounts: {', '.join(map(repr, sorted(accounts)))}")
    _require_one_per_custodian(pairs)
    for attestation, openings in pairs:
        attestation.require_universe(params)
        _require_opens(attestation, openings)
    cash = sum(openings.collateral.value for _, openings in pairs)
    quantities = {name: sum(o.positions[name].value for _, o in pairs) for name in params.instruments}
    blinding = {name: sum(int(o.positions[name].blinding, 16) for _, o in pairs) % ORDER for name in params.instruments}
    account = accounts.pop()
    portfolio = validate(Portfolio, {
        "account": account,
        "cash": Decimal(cash) / params.money_scale,
        "positions": {name: Decimal(q) / params.quantity_scale for name, q in quantities.items() if q},
    }, "attested book")
    openings = AccountOpenings(
        account=account,
        collateral=format(sum(int(o.collateral.blinding, 16) for _, o in pairs) % ORDER, "x"),
        positions={name: format(value, "x") for name, value in blinding.items()},
    )
    return AttestedBook(portfolio, openings, tuple(attestation for attestation, _ in pairs))
