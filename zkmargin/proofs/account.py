"""Commitments a venue holds for an account, and the openings the trader keeps.

`open_account` commits to the collateral and every position of the universe once. The venue
keeps the `AccountCommitments` (public) and updates them homomorphically when it sees money
move (a deposit d: Com(c) + d·B opens to c + d under the same blinding) or a fill; the trader
keeps the `AccountOpenings` (secret blindings) and passes them to `prove`, whose proof then
carries exactly these commitments, which `verify(..., commitments=...)` pins.

The trader makes these commitments, so the book behind them is self-declared: pinning
shows that later proofs are about the same committed book (moved by what the venue saw),
not that the book is real. Custodian attestations (`zkmargin.anchors.attestation`) are what
vouch for a book.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

from zkmargin.errors import InputError, InvalidEncoding, UnknownInstrument
from zkmargin.hazmat.generators import PedersenGens
from zkmargin.hazmat.groups import Point
from zkmargin.hazmat.scalar import ORDER, random_scalar
from zkmargin.formats import JsonFile, Label, StrictModel
from zkmargin.proofs.circuit import Circuit
from zkmargin.proofs.proof_file import PointText, decode_base64
from zkmargin.units import number_argument, to_fixed

if TYPE_CHECKING:  # annotations only: the verifier, which imports this module, never loads the portfolio code
    from zkmargin.engine.params import RiskParams
    from zkmargin.engine.portfolio import Portfolio

COLLATERAL = "c"


def _position(name: str) -> str:
    return f"q[{name}]"


def in_words(variable: str) -> str:
    """A committed variable as a trader says it: "cash" for c, "position in 'X'" for q[X]."""
    if variable == COLLATERAL:
        return "cash"
    return f"position in {variable.removeprefix('q[').removesuffix(']')!r}"


class _Stored(StrictModel, JsonFile):
    json_indent = 1

    def require_account(self, account: str) -> None:
        """Refuse (`InputError`) to serve a book of another account than these files'."""
        if self.account != account:
            raise InputError(f"the {self.json_what} are for account {self.account!r}, the portfolio for account {account!r}")


class AccountCommitments(_Stored):
    """Public: Com(c) and Com(q_i) for every instrument of the universe, base64."""

    json_what = "account commitments"
    json_bytes_per_key = 32  # a position ("label": 64 base64 characters) spends 70 or more

    account: Label
    money_scale: Annotated[int, Field(gt=0)]
    quantity_scale: Annotated[int, Field(gt=0)]
    collateral: PointText
    positions: dict[str, PointText]

    def committed(self) -> dict[str, bytes]:
        """Pinned commitment bytes by circuit variable name."""
        pinned = {COLLATERAL: _decode_base64(self.collateral)}
        pinned.update({_position(name): _decode_base64(c) for name, c in self.positions.items()})
        return pinned

    def deposit(self, amount: object) -> "AccountCommitments":
        """Commitments after a public deposit (negative: a withdrawal); same blindings. The
        amount is a number (int, Decimal, float), never text; one that does not fit is named as
        the movement it is, at the size it was given."""
        value = number_argument(amount, "deposit")
        outflow = value < 0
        units = to_fixed(abs(value), self.money_scale, rounding="exact", what="withdrawal" if outflow else "deposit")
        moved = _decode_point(self.collateral) + (-units if outflow else units) * PedersenGens().B
        return self.model_copy(update={"collateral": _encode(moved)})

    def withdraw(self, amount: object) -> "AccountCommitments":
        """Commitments after a public withdrawal of `amount`; same blindings."""
        return self.deposit(-number_argument(amount, "withdrawal"))

    def trade(self, instrument: str, quantity: object) -> "AccountCommitments":
        """Commitments after a public fill of `quantity` (negative: sold) in `instrument`."""
        if instrument not in self.positions:
            raise UnknownInstrument(f"instrument {instrument!r} is not in this account's universe")
        units = to_fixed(number_argument(quantity, "quantity"), self.quantity_scale, rounding="exact", what="quantity")
        moved = _decode_point(self.positions[instrument], allow_identity=True)
        positions = dict(self.positions)
        positions[instrument] = _encode(moved + units * PedersenGens().B)
        return self.model_copy(update={"positions": positions})


def _scalar_text(text: str) -> str:
    _decode_scalar(text)  # InvalidEncoding is a ValueError, which pydantic reports
    return text


ScalarText = Annotated[str, AfterValidator(_scalar_text)]


class AccountOpenings(_Stored):
    """Secret: the blindings behind an account's commitments, written 0600; `load` refuses
    the file when other users may read it."""

    json_what = "account openings"
    json_secret = True

    account: Label
    collateral: ScalarText
    positions: dict[str, ScalarText]

    def blindings_by_variable(self, circuit: Circuit) -> dict[int, int]:
        """The blinding to use for each circuit variable these openings cover."""
        index = {variable.name: i for i, variable in enumerate(circuit.variables)}
        chosen = {index[COLLATERAL]: _decode_scalar(self.collateral)}
        for name, blinding in self.positions.items():
            if _position(name) not in index:
                raise UnknownInstrument(f"openings name instrument {name!r}, which is not in the params' universe")
            chosen[index[_position(name)]] = _decode_scalar(blinding)
        return chosen

    def commit(self, cash: int, quantities: dict[str, int]) -> dict[str, bytes]:
        """Commitment bytes by circuit variable name of this cash and these quantities (money
        and quantity units) under these blindings: `AccountCommitments.committed()` of the
        account whose book they are."""
        pc_gens = PedersenGens()
        committed = {COLLATERAL: pc_gens.commit(cash % ORDER, _decode_scalar(self.collateral)).to_bytes()}
        for name, blinding in self.positions.items():
            committed[_position(name)] = pc_gens.commit(quantities.get(name, 0) % ORDER, _decode_scalar(blinding)).to_bytes()
        return committed


def _encode(point: Point) -> str:
    return base64.b64encode(point.to_bytes()).decode()


def _decode_base64(text: str) -> bytes:
    return decode_base64(text, "account commitments: a commitment")


def _decode_point(text: str, allow_identity: bool = False) -> Point:
    return Point.from_bytes(_decode_base64(text), allow_identity=allow_identity)


def _decode_scalar(text: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        value = 0
    if not 0 < value < ORDER:
        raise InvalidEncoding("account openings: a blinding is not a nonzero hexadecimal scalar below r")
    return value


def open_account(portfolio: Portfolio, params: RiskParams) -> tuple[AccountCommitments, AccountOpenings]:
    """Commit to `portfolio`'s collateral and positions over `params`' whole universe."""
    pc_gens = PedersenGens()
    quantities = params.position_vector(portfolio)
    collateral_blinding = random_scalar()
    position_blindings = [random_scalar() for _ in params.instruments]
    commitments = AccountCommitments(
        account=portfolio.account,
        money_scale=params.money_scale,
        quantity_scale=params.quantity_scale,
        collateral=_encode(pc_gens.commit(params.cash_units(portfolio), collateral_blinding)),
        positions={
            name: _encode(pc_gens.commit(q, gamma))
            for name, q, gamma in zip(params.instruments, quantities, position_blindings)
        },
    )
    openings = AccountOpenings(
        account=portfolio.account,
        collateral=format(collateral_blinding, "x"),
        positions={name: format(gamma, "x") for name, gamma in zip(params.instruments, position_blindings)},
    )
    return commitments, openings
