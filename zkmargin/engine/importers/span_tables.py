"""A SPAN XML combined commodity's own tables — its intra-commodity (calendar) spreads and
short option minimums — read from its <ccDef> and resolved against the file's contracts
into risk.json data (span_xml.py's module docstring says what is read and how)."""

from __future__ import annotations

from zkmargin.engine.importers.span_records import (
    OPEN_ENDS,
    Contract,
    ContractKey,
    Days,
    IntraTable,
    Node,
    overlaps,
    period_days,
)
from zkmargin.errors import InputError

LEG_FIELDS = {"cc", "tn", "rs", "i", "pe"}
MAX_TIERS = 64
"""Tiers one table of a <ccDef> may hold; SPAN files use a handful, and every option is
looked up in every tier."""


class CommodityTables:
    """How SpanHandler reads a <ccDef>'s tables and a <dSpread>'s legs and rate; `what`
    names the file in errors."""

    what: str

    def tiers(self, commodity: Node, tag: str) -> list[Node] | None:
        """The <tier>s of a ccDef's table `tag` (<somTiers>, <intraTiers>), None without one."""
        tables = [c for c in commodity.children if c.tag == tag]
        if not tables:
            return None
        if len(tables) > 1:
            raise InputError(f"{self.what}: line {tables[1].line}: <ccDef> has a second <{tag}>")
        stray = next((c for c in tables[0].children if c.tag != "tier"), None)
        if stray is not None:
            raise InputError(f"{self.what}: line {stray.line}: unknown element <{stray.tag}> in <{tag}>")
        if len(tables[0].children) > MAX_TIERS:
            raise InputError(f"{self.what}: line {tables[0].line}: <{tag}> has more than {MAX_TIERS} tiers")
        return tables[0].children

    def tier_days(self, tier: Node, open_ends: bool) -> Days:
        """From the first day of a tier's <sPe> to the last of its <ePe>; with `open_ends` a
        missing one is unbounded."""
        first, last = (
            self.period(tier, tag)[end] if not open_ends or tier.present(tag, self.what, required=False)
            else OPEN_ENDS[end]
            for end, tag in enumerate(("sPe", "ePe"))
        )
        if first > last:
            raise InputError(f"{self.what}: line {tier.line}: <tier> <sPe> {tier.text_of('sPe', self.what)} "
                             f"comes after <ePe> {tier.text_of('ePe', self.what)}")
        return first, last

    def minimum_tier(self, tier: Node) -> tuple[Days, float]:
        """A short option minimum tier: its days and the charge per short option; a tier
        without <sPe> or <ePe> is open on that end."""
        charge = self.rate(tier).number("val", self.what)
        if charge < 0:
            raise InputError(f"{self.what}: line {tier.line}: <somTiers> <tier> <rate> <val> {charge:g} "
                             "is not a charge ≥ 0")
        return self.tier_days(tier, open_ends=True), charge

    def intra_table(self, commodity: Node, cc: str, spreads: list[Node]) -> IntraTable:
        """A ccDef's intra-commodity spreads as one charge per delta spread (the highest).

        n spreads of a kind consume n·Σ i of delta on each side, so a spread charging `val`
        costs at most val / min(Σ_A i, Σ_B i) per delta spread, whichever sides net."""
        what = self.what
        tiers = [(tier.text_of("tn", what), self.tier_days(tier, open_ends=False))
                 for tier in self.tiers(commodity, "intraTiers") or []]
        self.check_tiers_apart(commodity, tiers)
        charges, by_period = [], False
        for spread in spreads:
            found = self.rate(spread)
            rate = found.number("val", what)
            if rate <= 0:
                raise InputError(f"{what}: line {found.line}: intra-commodity <dSpread> <rate> <val> "
                                 f"{rate:g} is not a charge > 0")
            sides: dict[str, float] = {"A": 0.0, "B": 0.0}
            for leg, ratio, side in self.spread_legs(spread):
                sides[side] += ratio
                by_period = by_period or leg.tag == "pLeg"
                self.check_intra_leg(leg, cc, {name for name, _ in tiers})
            if not min(sides.values()) > 0:
                raise InputError(f"{what}: line {spread.line}: intra-commodity <dSpread> needs legs on "
                                 "both sides (<rs>A</rs> and <rs>B</rs>)")
            charges.append(rate / min(sides.values()))
        if not by_period and not tiers:
            raise InputError(f"{what}: line {commodity.line}: <ccDef> has intra-commodity spreads "
                             "between tiers but no <intraTiers>")
        return IntraTable(tiers, max(charges), by_period)

    def check_tiers_apart(self, commodity: Node, tiers: list[tuple[str, Days]]) -> None:
        """Every tier has its own number and days: a contract must fall in one tier at most."""
        names = [name for name, _ in tiers]
        repeated = next((name for name in names if names.count(name) > 1), None)
        if repeated is not None:
            raise InputError(f"{self.what}: line {commodity.line}: <intraTiers> numbers two tiers {repeated}")
        ordered = sorted(tiers, key=lambda tier: tier[1])
        clash = next(((a, b) for a, b in zip(ordered, ordered[1:]) if overlaps(a[1], b[1])), None)
        if clash is not None:
            raise InputError(f"{self.what}: line {commodity.line}: <intraTiers> tiers {clash[0][0]} and "
                             f"{clash[1][0]} share periods")

    def check_intra_leg(self, leg: Node, cc: str, tier_names: set[str]) -> None:
        """An intra-commodity leg is on this commodity, and on one of its tiers (when it has
        any: without, `intra_table` refuses tier legs) or a period."""
        if leg.text_of("cc", self.what, default=cc) != cc:
            raise InputError(f"{self.what}: line {leg.line}: <{leg.tag}> of an intra-commodity spread of "
                             f"{cc!r} names <cc> {leg.text_of('cc', self.what)!r}")
        if leg.tag == "tLeg" and tier_names and leg.text_of("tn", self.what) not in tier_names:
            raise InputError(f"{self.what}: line {leg.line}: <tLeg> <tn> {leg.text_of('tn', self.what)!r} "
                             "is no tier of <intraTiers>")
        if leg.tag == "pLeg":
            self.period(leg, "pe")

    def period(self, node: Node, tag: str) -> Days:
        """The period in child `tag`, YYYYMM or YYYYMMDD, as the days it spans."""
        text = node.text_of(tag, self.what)
        days = period_days(text)
        if days is None:
            raise InputError(f"{self.what}: line {node.line}: <{node.tag}> <{tag}> {text!r} is not a "
                             "period written YYYYMM or YYYYMMDD")
        return days

    def rate(self, spread: Node) -> Node:
        """A dSpread's or tier's <rate> for requirement 1 (maintenance)."""
        found = spread.for_requirement_one("rate", self.what)
        if found is None:
            raise InputError(f"{self.what}: line {spread.line}: <{spread.tag}> has no <rate> with <r>1</r>")
        return found

    def spread_legs(self, spread: Node) -> list[tuple[Node, float, str]]:
        """A dSpread's legs as (element, delta ratio <i> > 0, side A or B)."""
        what = self.what
        legs = []
        for leg in (c for c in spread.children if c.tag in ("tLeg", "pLeg")):
            unknown = next((c for c in leg.children if c.tag not in LEG_FIELDS), None)
            if unknown is not None:
                raise InputError(f"{what}: line {unknown.line}: unknown element <{unknown.tag}> in <{leg.tag}>")
            side = leg.text_of("rs", what).upper()
            if side not in ("A", "B"):
                raise InputError(f"{what}: line {leg.line}: <{leg.tag}> <rs> must be A or B, got {side!r}")
            ratio = leg.number("i", what)
            if not ratio > 0:
                raise InputError(f"{what}: line {leg.line}: <{leg.tag}> <i> must be > 0, got {ratio:g}")
            legs.append((leg, ratio, side))
        return legs


def future_periods(contracts: list[Contract], what: str) -> dict[ContractKey, str]:
    """The period of every contract an option's <undC> may name (a future or a physical)."""
    periods: dict[ContractKey, str] = {}
    for contract in contracts:
        if contract.option or contract.key is None:
            continue
        if contract.key in periods:
            raise InputError(f"{what}: line {contract.line}: {contract.instrument}: contract "
                             f"{'/'.join(contract.key)} (exchange/pfId/cId) is defined twice")
        periods[contract.key] = contract.period
    return periods


def delivery_periods(contract: Contract, periods: dict[ContractKey, str], what: str) -> list[str]:
    """The periods a contract delivers in: an option's future's (SPAN assigns an option's
    delta to its future's month; a calendar spread option's, one per leg), else its own
    (an option on a physical included), "" without one (a stock)."""
    if not contract.underlyings:
        return [contract.period]
    unknown = next((key for key in contract.underlyings if key not in periods), None)
    if unknown is not None:
        raise InputError(f"{what}: line {contract.line}: {contract.instrument}: its <undC> "
                         f"{'/'.join(unknown)} names no future in the file")
    # an option on a physical (an index, a stock) delivers in its own month
    return [periods[key] or contract.period for key in contract.underlyings]


def days_of(period: str, contract: Contract, what: str) -> Days | None:
    """A contract's period as the days it spans; None without one."""
    if not period:
        return None
    days = period_days(period)
    if days is None:
        raise InputError(f"{what}: line {contract.line}: {contract.instrument}: period {period!r} is "
                         "not written YYYYMM or YYYYMMDD")
    return days


def minimum_rates(
    group: str, tiers: list[tuple[Days, float]], contracts: list[Contract], periods: dict[ContractKey, str], what: str
) -> dict | None:
    """One combined commodity's short option minimum per option, or None when none is charged.

    An option takes the highest rate of the tiers touching its own period or its future's:
    charging the higher never charges less than SPAN, whichever it uses."""
    rates = {}
    for contract in (c for c in contracts if c.option):
        spans = {days_of(period, contract, what) for period in (contract.period, *delivery_periods(contract, periods, what))}
        charge = max((rate for days, rate in tiers if any(span and overlaps(span, days) for span in spans)), default=0.0)
        if charge > 0:
            rates[contract.instrument] = charge
    return {"group": group, "rates": rates} if rates else None


def calendar_tiers(
    group: str, table: IntraTable, contracts: list[Contract], periods: dict[ContractKey, str], what: str
) -> dict | None:
    """One combined commodity's tiers as risk.json data, or None with fewer than two.

    A contract sits in the tier of its delivery period: an option in its future's (a serial
    option expiring in February on the March future spreads as March), a contract whose
    period is in no tier in none, and one without a period (a stock) in none."""
    tiers: dict[str, dict[str, float]] = {}
    for contract in contracts:
        if contract.option and len(contract.underlyings) != 1:
            raise InputError(f"{what}: line {contract.line}: {contract.instrument}: its <series> has "
                             f"{len(contract.underlyings) or 'no'} <undC>, where the intra-commodity tiers "
                             f"of {group!r} need the one future it is on")
        (period,) = delivery_periods(contract, periods, what)
        days = days_of(period, contract, what)
        if days is None:
            continue
        tier = period if table.by_period else tier_of(days, table.tiers, contract, what)
        if tier is None:
            continue
        if contract.delta is None:
            raise InputError(f"{what}: line {contract.line}: {contract.instrument}: no <d> (composite delta) "
                             f"in its <ra>, which the intra-commodity spreads of {group!r} need")
        if contract.delta:
            tiers.setdefault(tier, {})[contract.instrument] = contract.delta
    if len(tiers) < 2:
        return None
    return {"group": group, "charge": table.charge, "tiers": [tiers[name] for name in sorted(tiers)]}


def tier_of(days: Days, tiers: list[tuple[str, Days]], contract: Contract, what: str) -> str | None:
    """The tier holding a contract's period, None when no tier touches it; a period that
    straddles a tier's edge is refused (it would net in a tier it only partly belongs to)."""
    touching = [(name, span) for name, span in tiers if overlaps(days, span)]
    if not touching:
        return None
    name, span = touching[0]
    if len(touching) > 1 or not (span[0] <= days[0] and days[1] <= span[1]):
        raise InputError(f"{what}: line {contract.line}: {contract.instrument}: its delivery period "
                         "straddles the edge of an <intraTiers> tier")
    return name
