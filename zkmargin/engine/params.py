"""`RiskParams`: the public, integer-only margin parameters a venue publishes, and `build_params`.

A margin model (circuits/*.toml) run over a market or venue-supplied risk arrays gives the
generic form of docs/architecture.md ("params") in currency units; `build_params` rounds it
to money units and freezes it with the instrument universe, the fixed-point scales and the
margin levels. Everything a proof states about an account is a linear function of these
integers, so the requirement computed in the clear (`zkmargin.engine.assess`) and the one proved
come from the same numbers.

Rounding to money units (`zkmargin.engine.money_units`) is always against the holder of
the position: a long unit is worth `values_i`, a short unit −`values_short_i`, rounded so
that no rounding can favour a book, whichever side it holds. Params written without
`values_short` / `pnl_short` (integers from a venue's own tool) use the long numbers for
both sides.

`scenario_groups[s]` names the group of scenario s (for a market-built model, the one
underlying that moves in it). With aggregation `max` the requirement adds up each group's
worst loss, floored at 0; with `expected_shortfall` every scenario is in one group.

`digest()` is the SHA-256 (hex) of the canonical encoding: the JSON of every field
(`model_dump(mode="json")`) but the signature (`epoch` only when present, `intra_spreads`
only when not empty: `document`), keys sorted,
separators "," and ":" with no whitespace, non-ASCII characters kept, encoded as UTF-8.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from zkmargin.engine.market import Market
from zkmargin.engine.models.base import CalendarTiers, CreditTerms, Levels, market_values
from zkmargin.engine.models.spec import MarginModel
from zkmargin.engine.money_units import (
    MONEY_SCALE,
    POSITION_BITS,
    money_up,
    to_money_units,
)
from zkmargin.engine.param_tables import (
    DELTA_SCALE,
    Floor,
    GroupCredit,
    IntraSpread,
    LevelRates,
    Strategy,
)
from zkmargin.engine.params_epoch import ParamsEpoch, SignatureText
from zkmargin.engine.params_rules import require_consistent
from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.errors import InputError
from zkmargin.formats import Currency, JsonFile, Label, NotNull, StrictModel, Version1
from zkmargin.jsonio import dumps
from zkmargin.validation import did_you_mean

if TYPE_CHECKING:
    from zkmargin.engine.portfolio import Portfolio

CASH_BITS = 62
"""Cash in money units lies in [−2^62, 2^62)."""


class RiskParams(StrictModel, JsonFile):
    """The public margin parameters: integers only, with a stable digest.

    Construction and loading validate every field, and the rules between fields
    (`params_rules.py`); a problem is an `InputError` naming it.
    `load`, `from_json`, `to_json`, `save` and `json_schema` come from `JsonFile`; the file
    holds every field, defaults included, but those `document` leaves out so that params
    made before them keep their digest.
    """

    json_what = "risk params JSON"
    json_dump = {"mode": "json"}

    format: Literal["zkmargin-params"] = "zkmargin-params"
    version: Version1 = 1
    # Names are Labels (one printable line) because verify prints them to the venue's terminal.
    model: Label
    currency: Currency  # as in the market or risk arrays it is built from
    as_of: str | None
    money_scale: int = Field(gt=0)
    quantity_scale: int = Field(gt=0)
    instruments: list[Label] = Field(min_length=1)
    values: list[int]
    values_short: list[int] | None = None
    scenarios: list[str]
    scenario_groups: list[str]
    pnl: list[list[int]]
    pnl_short: list[list[int]] | None = None
    aggregation: Literal["max", "expected_shortfall"]
    es_confidence: str | None = None
    addon_long: list[int]
    addon_short: list[int]
    floors: list[Floor] = Field(default_factory=list)
    levels: Levels
    epoch: Annotated[ParamsEpoch | None, NotNull] = None
    """Issuer, key, epoch and validity window; absent in unsigned params."""
    signature: Annotated[SignatureText | None, NotNull] = None
    """Ed25519 signature (base64) by `epoch.key_id` over the digest: see zkmargin.anchors.signed_params."""
    level_rates: dict[str, LevelRates] = Field(default_factory=dict)
    group_credits: list[GroupCredit] = Field(default_factory=list)
    strategies: list[Strategy] = Field(default_factory=list)
    intra_spreads: list[IntraSpread] = Field(default_factory=list)

    @field_validator("as_of")
    @classmethod
    def _iso_date(cls, as_of: str | None) -> str | None:
        if as_of is not None:
            try:
                date.fromisoformat(as_of)
            except ValueError:
                raise ValueError(f"{as_of!r} is not an ISO date (YYYY-MM-DD)") from None
        return as_of

    @model_validator(mode="after")
    def _consistent(self) -> RiskParams:
        require_consistent(self)
        return self

    def group_floor_amounts(self, q: list[int]) -> dict[str, int]:
        """Group → the largest of its floors for positions q (fine units), groups with a floor only."""
        amounts: dict[str, int] = {}
        for floor in self.floors:
            if floor.group is not None:
                amounts[floor.group] = max(amounts.get(floor.group, 0), floor.amount(q))
        return amounts

    def credit_rates(self) -> list[tuple[GroupCredit, Fraction]]:
        """Every inter-group credit with its rate, exact."""
        return [(credit, Fraction(Decimal(credit.rate))) for credit in self.group_credits]

    def joint_scenarios(self, a: str, b: str) -> list[tuple[int, int]]:
        """The scenarios of groups a and b paired by position: the j-th move of each, which
        a market-built model makes the same move of both underlyings."""
        of = {group: [s for s, g in enumerate(self.scenario_groups) if g == group] for group in (a, b)}
        return list(zip(of[a], of[b]))

    @property
    def short_values(self) -> list[int]:
        """What one short unit owes in equity, money units (the long value if not given)."""
        return self.values if self.values_short is None else self.values_short

    @property
    def short_pnl(self) -> list[list[int]]:
        """Per scenario, the P&L of one long unit as a short unit is charged it (rounded up)."""
        return self.pnl if self.pnl_short is None else self.pnl_short

    # --- files ---------------------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        """Every field as JSON data; `epoch` and `signature` only when present, so unsigned
        params keep the digest they had before params could be signed, `intra_spreads`
        only when there are some (an intra spread's `scale` only when it is not 1), a
        floor's `group` only when it has one and a credit's `deltas` only when it has them, so
        params without calendar spreads, with account-wide floors or from before credit
        deltas keep theirs."""
        exclude: dict[str, Any] = {name: True for name in ("epoch", "signature") if getattr(self, name) is None}
        if not self.intra_spreads:
            exclude["intra_spreads"] = True
        elif unscaled := {n: {"scale"} for n, spread in enumerate(self.intra_spreads) if spread.scale == 1}:
            exclude["intra_spreads"] = unscaled
        account_wide = {n: {"group"} for n, floor in enumerate(self.floors) if floor.group is None}
        if account_wide:
            exclude["floors"] = account_wide
        without_deltas = {n: {"deltas"} for n, credit in enumerate(self.group_credits) if credit.deltas is None}
        if without_deltas:
            exclude["group_credits"] = without_deltas
        return self.model_dump(mode="json", exclude=exclude)

    def to_json(self) -> str:
        return dumps(self.document())

    def canonical_bytes(self) -> bytes:
        """The digest's input: sorted-key, whitespace-free JSON of every field except the
        signature (the epoch included), UTF-8."""
        document = self.document()
        document.pop("signature", None)
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def digest(self) -> str:
        """SHA-256 hex of `canonical_bytes()`: names these exact params in a proof."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    # --- an account against the params ---------------------------------------------------

    def addons(self, level: str) -> tuple[list[int], list[int]]:
        """(addon_long, addon_short) at `level`: its `level_rates` if it has some."""
        rates = self.level_rates.get(level)
        if rates is None:
            return self.addon_long, self.addon_short
        return rates.addon_long, rates.addon_short

    def level_factor(self, level: str) -> Fraction:
        """λ of a margin level, exactly (maintenance is 1)."""
        if level not in self.levels:
            raise InputError(
                f"level: unknown margin level {level!r}; model {self.model!r} defines "
                f"{', '.join(sorted(self.levels))}{did_you_mean(level, self.levels)}"
            )
        return Fraction(Decimal(self.levels[level]))

    def level_covers(self, proved: str, required: str) -> bool:
        """Whether a proof at level `proved` shows `required` margin too, for EVERY book.

        True when the levels are the same, or when every part of the requirement the
        compiler reads per level is at `proved` at least what it is at `required`:
        the factor λ, each instrument's add-on rate long and short (`addons`), and each
        strategy's rate (`Strategy.rate_at`). Nothing else depends on the level: values,
        scenario P&L, floors, credits and intra spreads are the same at every level, and
        the composite blocks (`proofs/pairing.py`) are derived from the strategy rates.

        Why these suffice. At level L a book's requirement is R_L = λ_L·B_L with
        B_L = S + A_L, S the level-free scenario part (Σ worst group losses ≥ 0 less
        credits, each at most the smaller of its two groups' terms and no group in two
        credits, plus intra spread charges ≥ 0; for expected shortfall max(ES, 0)) and
        A_L the add-on term: the minimum over the pairings n of the book's positions into
        strategies of Σ naked rate × what is left unpaired + Σ_j r_j,L·n_j. A pairing is
        the same set of choices at every level and, for a fixed one, each term at `proved`
        is ≥ the same term at `required` (rates are ≥ 0, the leftover is the same), so the
        minimum is too: A_proved ≥ A_required ≥ 0 — a strategy's rate enters only through
        its saving, which a higher rate can only shrink. With λ_proved ≥ λ_required ≥ 0 and
        B ≥ 0, R_proved ≥ R_required; floors F give E ≥ λ·F + X, which grows with λ. A
        valid proof shows E − X ≥ R_proved (each part), hence E − X ≥ R_required.

        Comparing the factors alone is wrong: `standard` has factor 1 at both levels and
        charges Reg T's 50% on stock only at initial, through per-level rates, while a
        deep in-the-money covered call costs more at maintenance than at initial. Then
        neither level covers the other and only the same level passes.
        """
        proved_factor, required_factor = self.level_factor(proved), self.level_factor(required)
        if proved == required:
            return True
        if proved_factor < required_factor:
            return False
        proved_rates = [rate for side in self.addons(proved) for rate in side]
        required_rates = [rate for side in self.addons(required) for rate in side]
        if any(p < r for p, r in zip(proved_rates, required_rates)):
            return False
        return all(strategy.rate_at(proved) >= strategy.rate_at(required) for strategy in self.strategies)

    def position_vector(self, portfolio: Portfolio) -> list[int]:
        """Quantities in quantity units over the universe, zeros included."""
        return portfolio.quantity_vector(self.instruments, self.quantity_scale, bits=POSITION_BITS)

    def cash_units(self, portfolio: Portfolio) -> int:
        """Cash in money units, rounded down."""
        return portfolio.cash_fixed(self.money_scale, bits=CASH_BITS)


def build_params(source: Market | RiskArrays, model: MarginModel) -> RiskParams:
    """The params of `model` over a market (scenarios generated) or risk arrays (supplied)."""
    if not isinstance(model, MarginModel):
        raise InputError(f"model: expected a MarginModel, got {type(model).__name__}")
    terms = model.terms(source)
    if isinstance(source, Market):
        values = market_values(source)
        as_of = source.as_of.isoformat()
    else:
        value_of = source.values()
        values = np.array([value_of[i] for i in source.instrument_ids()])
        as_of = source.as_of.isoformat() if source.as_of is not None else None
    instruments = source.instrument_ids()
    return RiskParams(
        model=model.name,
        currency=source.currency,
        as_of=as_of,
        money_scale=MONEY_SCALE,
        quantity_scale=10**source.quantity_decimals,
        instruments=instruments,
        values=to_money_units(values, "down", "values", instruments),
        values_short=to_money_units(values, "up", "values_short", instruments),
        scenarios=list(terms.scenarios),
        scenario_groups=list(terms.scenario_groups),
        pnl=to_money_units(terms.pnl, "down", "pnl", instruments),
        pnl_short=to_money_units(terms.pnl_short, "up", "pnl_short", instruments),
        aggregation=terms.aggregation,
        es_confidence=terms.es_confidence,
        addon_long=to_money_units(terms.addon_long, "up", "addon_long", instruments),
        addon_short=to_money_units(terms.addon_short, "up", "addon_short", instruments),
        floors=[
            Floor(
                name=floor.name,
                long=to_money_units(floor.long, "up", f"floors[{floor.name}].long", instruments),
                short=to_money_units(floor.short, "up", f"floors[{floor.name}].short", instruments),
                group=floor.group,
            )
            for floor in terms.floors
        ],
        levels=dict(model.levels),
        strategies=[
            Strategy(
                name=strategy.name,
                legs={instruments[row]: units for row, units in strategy.legs},
                rate=money_up(strategy.rate),
                level_rates={level: money_up(rate) for level, rate in strategy.level_rates.items()},
            )
            for strategy in terms.strategies
        ],
        group_credits=[GroupCredit(groups=[credit.a, credit.b], rate=credit.rate,
                                   deltas=credit_deltas(credit, instruments))
                       for credit in terms.group_credits],
        intra_spreads=[intra_spread_document(spread, instruments) for spread in terms.intra_spreads],
        level_rates={
            level: LevelRates(
                addon_long=to_money_units(long, "up", f"level_rates[{level}].addon_long", instruments),
                addon_short=to_money_units(short, "up", f"level_rates[{level}].addon_short", instruments),
            )
            for level, (long, short) in terms.level_addons.items()
        },
    )


def credit_deltas(credit: CreditTerms, instruments: list[str]) -> dict[str, dict[str, int]]:
    """Per group of the credit, its instruments' deltas in 1/`DELTA_SCALE` underlying units,
    rounded to the nearest; a delta that rounds to 0 is left out (it weighs nothing)."""
    return {
        group: {instrument: weight for instrument, delta in zip(instruments, deltas)
                if (weight := round(float(delta) * DELTA_SCALE))}
        for group, deltas in ((credit.a, credit.delta_a), (credit.b, credit.delta_b))
    }


def intra_spread_document(spread: CalendarTiers, instruments: list[str]) -> dict[str, Any]:
    """An intra spread as params data: each member's spread charge rounded up to the money
    unit (1/scale of one), and to one at least (a future of a sub-cent charge still counts),
    with its side's sign (validated, with the other fields, when the params are constructed)."""
    tiers = []
    for tier in spread.tiers:
        names = [instruments[member.row] for member in tier]
        charges = np.array([member.charge for member in tier]) * spread.scale
        sizes = to_money_units(charges, "up", "intra_spreads spread charge", names)
        tiers.append({name: member.side * max(size, 1) for name, member, size in zip(names, tier, sizes)})
    return {"group": spread.group, "tiers": tiers, "scale": spread.scale}
