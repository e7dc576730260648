"""SPAN XML risk parameter files (`.spn`, PC-SPAN / CME SPAN 4 "fileFormat 4.00") → risk.json.

The layout read here (one clearing organisation per point in time):

    <spanFile><pointInTime><date>20261127</date>
      <clearingOrg>
        <ccDef><cc>SP</cc><currency>USD</currency>          a combined commodity, and the
          <pfLink><exch>CME</exch><pfId>1</pfId><pfType>FUT</pfType></pfLink>   portfolios in it
          <intraTiers><tier><tn>1</tn><sPe>202612</sPe><ePe>202612</ePe></tier>…</intraTiers>
          <dSpread><spread>1</spread><rate><r>1</r><val>700</val></rate>   intra-commodity spreads
            <tLeg><cc>SP</cc><tn>1</tn><rs>A</rs><i>1</i></tLeg><tLeg>…<tn>2</tn><rs>B</rs>…</tLeg>
          </dSpread>                                         (or <pLeg> with <pe>: one period)
        </ccDef>
        <interSpreads><dSpread><spread>1</spread>            inter-commodity spread table
          <rate><r>1</r><val>0.5</val></rate>
          <tLeg><cc>SP</cc><rs>A</rs><i>1</i></tLeg><tLeg><cc>NQ</cc><rs>B</rs><i>1</i></tLeg>
        </dSpread></interSpreads>
        <exchange><exch>CME</exch>
          <phyPf>/<futPf>/<oofPf>/<oopPf>/<ooePf> with <pfId>, <pfCode>, <currency>, <cvf>
            <phy>/<fut> (or <series><pe>…<opt><o>C</o><k>4100</k>…</opt></series>) with
            <p> price, <pe> period, <cvf>, <scanRate><r>1</r><priceScan>…<volScan>…</scanRate>,
            <ra><r>1</r><a>…</a> ×16 <d>delta</d></ra>      (an option's <series> names its
                                                             future in <undC><pfId>…<cId>)

Sign convention: a SPAN risk array gives the LOSS of one long contract in each of the 16
scan scenarios (CME order, the two extreme moves already at their cover fraction), so a
loss is positive; risk.json's `pnl` is profit-positive, so `pnl = −a`. Each combined
commodity is a scenario group of 16 scenarios named "<cc> <scenario>", in which only its
own contracts move. A contract's `mark` is its price `p` (futures 0: their value is settled
into cash daily) and its `multiplier` the contract value factor `cvf`.

Intra-commodity spreads (a combined commodity's own <dSpread>s) become risk.json's
`intra_commodity_spreads`: the contracts of each tier (a contract belongs to the tier whose
<sPe>..<ePe> holds its period; an option to its underlying future's, named by <undC>) with
their composite delta <d> per contract, and one charge per delta spread, the highest
<rate><val> over the smaller side's sum of leg ratios <i> among the commodity's spreads.
zkmargin charges one rate for every pair of tiers (docs/margin-models.md, "Intra-commodity
spread charges"), so with several rates, or spreads between only some tiers, it charges at
least what SPAN's priority order would. Spreads written with <pLeg>s (periods) make one
tier per period.

The file is streamed through defusedxml's SAX parser with DTDs refused, so an entity bomb
or an external entity never expands; contracts are read as they end and dropped. Every
problem is an `InputError` naming the file, the line and the element.
"""

from __future__ import annotations

import math
import os
from datetime import date
import xml.sax
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml
import defusedxml.sax

from zkmargin.engine.models.scenario import scan_moves
from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.errors import InputError
from zkmargin.validation import validate

SCENARIOS = tuple(move.name for move in scan_moves(3)) + ("extreme up", "extreme down")
"""CME's 16 scan scenarios in file order."""
UP, DOWN = SCENARIOS.index("up 3/3, vol up"), SCENARIOS.index("down 3/3, vol up")
PORTFOLIOS = {"phyPf": "PHY", "futPf": "FUT", "oofPf": "OOF", "oopPf": "OOP", "ooePf": "OOE"}
CONTRACTS = {"phy", "fut", "opt"}
RISK_ARRAY_FIELDS = {"r", "a", "d"}
LEG_FIELDS = {"cc", "tn", "rs", "i", "pe"}
ContractKey = tuple[str, str, str]
"""(exchange, pfId, cId): how an option's <undC> names its underlying contract."""
Days = tuple[int, int]
"""A period as its first and last day, YYYYMMDD; a month YYYYMM runs from YYYYMM00 to YYYYMM99."""
OPEN_ENDS: Days = (0, 99999999)
MAX_DEPTH = 32
"""Deeper than any SPAN file nests (about 9 levels)."""
MAX_TEXT = 256
"""Characters of text one element may hold; every SPAN value is a short number or code."""
MAX_TIERS = 64
"""Tiers one table of a <ccDef> may hold; SPAN files use a handful, and every option is
looked up in every tier."""
INHERITED = {"exch", "pfId", "pfCode", "currency", "cvf", "pe", "undC", "scanRate"}
"""What a contract reads from its <exchange>, portfolio or <series>: it must come before
the contracts, which are read as they end."""


@dataclass
class Node:
    """An element read so far: its tag, the line it starts on, its text and kept children."""

    tag: str
    line: int
    text: str = ""
    children: list[Node] = field(default_factory=list)
    read: bool = False  # a contract inside has been read: what it inherits is settled

    def only(self, tag: str, what: str) -> Node | None:
        """The child `tag`, None without one; SPAN gives these once, so a second is refused
        rather than one of them chosen."""
        found = [c for c in self.children if c.tag == tag]
        if len(found) > 1:
            raise InputError(f"{what}: line {found[1].line}: <{self.tag}> has a second <{tag}>")
        return found[0] if found else None

    def present(self, tag: str, what: str, required: bool) -> Node | None:
        """The child `tag` if it has text; else None, or an error naming this element if required."""
        found = self.only(tag, what)
        if found is not None and found.text.strip():
            return found
        if required:
            raise InputError(f"{what}: line {self.line}: <{self.tag}> has no <{tag}>")
        return None

    def text_of(self, tag: str, what: str, default: str | None = None) -> str:
        found = self.present(tag, what, required=default is None)
        return default if found is None else found.text.strip()

    def number(self, tag: str, what: str, default: float | None = None) -> float:
        found = self.present(tag, what, required=default is None)
        return default if found is None else as_number(found, what)


def as_number(node: Node, what: str) -> float:
    try:
        value = float(node.text.strip())
    except ValueError:
        raise InputError(f"{what}: line {node.line}: <{node.tag}> {node.text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{what}: line {node.line}: <{node.tag}> {node.text.strip()!r} is not finite")
    return value


@dataclass(frozen=True)
class Contract:
    """One contract's risk array, already converted to profit of one long contract."""

    instrument: str
    link: tuple[str, str, str]  # (exchange, pfType, pfId): what a <pfLink> names
    currency: str
    mark: float
    multiplier: float
    pnl: tuple[float, ...]
    scan: tuple[float, float] | None
    line: int
    period: str = ""
    option: bool = False
    delta: float | None = None  # composite delta per contract, <ra><d> (or the contract's <d>)
    key: ContractKey | None = None
    underlyings: tuple[ContractKey, ...] = ()  # an option's future(s): <series><undC>, one per leg


@dataclass(frozen=True)
class Spread:
    """An inter-commodity spread: priority, credit rate, legs as (cc, delta ratio, side)."""

    priority: int
    rate: float
    legs: list[tuple[str, float, str]]


@dataclass(frozen=True)
class IntraTable:
    """A combined commodity's intra-commodity spreads: its tiers as (tn, days), the charge
    per delta spread, and whether the spreads name periods (<pLeg>)."""

    tiers: list[tuple[str, Days]]
    charge: float
    by_period: bool


def period_days(text: str) -> Days | None:
    """A SPAN period, YYYYMM or YYYYMMDD, as the days it spans; None if it is neither."""
    if len(text) not in (6, 8) or not text.isdigit():
        return None
    try:
        date(int(text[:4]), int(text[4:6]), int(text[6:] or 1))
    except ValueError:
        return None
    return (int(text), int(text)) if len(text) == 8 else (int(text) * 100, int(text) * 100 + 99)


def overlaps(a: Days, b: Days) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


class SpanHandler(xml.sax.handler.ContentHandler):
    """Builds elements as they stream by; hands each contract, ccDef and dSpread over when it ends."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what
        self.stack: list[Node] = []
        self.locator: xml.sax.xmlreader.Locator | None = None
        self.as_of: str | None = None
        self.contracts: list[Contract] = []
        self.links: dict[tuple[str, str, str], str] = {}
        self.spreads: list[Spread] = []
        self.intra: dict[str, IntraTable] = {}
        self.minimums: dict[str, list[tuple[Days, float]]] = {}
        self.commodities: set[str] = set()

    def setDocumentLocator(self, locator: xml.sax.xmlreader.Locator) -> None:  # noqa: N802 (SAX API)
        self.locator = locator

    def startElement(self, name: str, attrs: object) -> None:  # noqa: N802
        line = self.locator.getLineNumber() if self.locator else 0
        if len(self.stack) >= MAX_DEPTH:
            raise InputError(f"{self.what}: line {line}: <{name}> nested deeper than {MAX_DEPTH} levels")
        if not self.stack and name != "spanFile":
            raise InputError(f"{self.what}: line {line}: root element is <{name}>, expected <spanFile>")
        self.stack.append(Node(name, line))

    def characters(self, content: str) -> None:
        # Leading whitespace (the indentation between elements) is dropped as it comes, so
        # neither it nor an oversized value can grow without bound.
        top = self.stack[-1]
        text = (top.text + content).lstrip()
        if len(text) > MAX_TEXT:
            raise InputError(f"{self.what}: line {top.line}: <{top.tag}> holds more than {MAX_TEXT} characters")
        top.text = text

    def endElement(self, name: str) -> None:  # noqa: N802
        node = self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        if node.tag in CONTRACTS:
            self.contracts.append(self.contract(node))
        elif node.tag == "ccDef":
            self.commodity(node)
        elif node.tag == "dSpread" and parent is not None and parent.tag == "interSpreads":
            self.spreads.append(self.spread(node))
        elif parent is not None:
            if parent.read and node.tag in INHERITED:
                raise InputError(f"{self.what}: line {node.line}: <{node.tag}> of <{parent.tag}> comes after "
                                 "contracts that inherit it; it must come before them")
            if node.tag == "date" and parent.tag == "pointInTime":
                self.as_of = node.text.strip()
            parent.children.append(node)

    # --- records -------------------------------------------------------------------------

    def ancestor(self, tags: set[str] | dict[str, str], node: Node) -> Node:
        found = next((n for n in reversed(self.stack) if n.tag in tags), None)
        if found is None:
            raise InputError(f"{self.what}: line {node.line}: <{node.tag}> is outside any "
                             f"<{'>/<'.join(sorted(tags))}>")
        return found

    def contract(self, node: Node) -> Contract:
        what = self.what
        portfolio = self.ancestor(PORTFOLIOS, node)
        exchange_node = self.ancestor({"exchange"}, node)
        exchange = exchange_node.text_of("exch", what)
        code = portfolio.text_of("pfCode", what)
        series = None
        if node.tag == "opt":
            series = self.ancestor({"series"}, node)
            period = series.text_of("pe", what)
        else:  # a future delivers in its period; a physical has none
            period = node.text_of("pe", what, default="" if node.tag == "phy" else None)
        for holder in (exchange_node, portfolio, series):
            if holder is not None:
                holder.read = True
        scale = node.number("sc", what, default=1.0)
        if scale != 1:
            raise InputError(f"{what}: line {node.line}: <{node.tag}> <sc> {scale:g} is not supported "
                             "(risk arrays must be per one contract, <sc>1</sc>)")
        array = self.chosen_array(node)
        loss = self.risk_array(array)
        instrument = " ".join(part for part in (code, period) if part)
        put = False
        if node.tag == "opt":
            right = node.text_of("o", what).upper()
            if right not in ("C", "P"):
                raise InputError(f"{what}: line {node.line}: <opt> <o> must be C or P, got {right!r}")
            instrument += f" {right} {node.text_of('k', what)}"
            put = right == "P"
        self.check_direction(node, instrument, loss, put)
        delta = self.composite_delta(array, node)
        if delta is not None and (delta > 0 if put else delta < 0 or (delta == 0 and node.tag != "opt")):
            # like a negated array, a delta of the wrong sign would put a long position on
            # the short side of its tier, and net a calendar spread away
            raise InputError(f"{what}: line {node.line}: <{node.tag}> {instrument}: composite delta <d> "
                             f"{delta:g} is not the sign of a {'put' if put else 'call' if series else 'long position'}")
        inherited = portfolio.number("cvf", what, default=1.0)
        if series is not None:
            inherited = series.number("cvf", what, default=inherited)
        multiplier = node.number("cvf", what, default=inherited)
        if multiplier <= 0:
            raise InputError(f"{what}: line {node.line}: <{node.tag}> <cvf> must be > 0, got {multiplier:g}")
        price = node.number("p", what)
        if price < 0:
            raise InputError(f"{what}: line {node.line}: <{node.tag}> <p> must be ≥ 0, got {price:g}")
        pf_id, contract_id = portfolio.text_of("pfId", what), node.text_of("cId", what, default="")
        legs = [c for c in series.children if c.tag == "undC"] if series is not None else []
        return Contract(
            instrument=instrument,
            link=(exchange, PORTFOLIOS[portfolio.tag], pf_id),
            currency=portfolio.text_of("currency", what),
            mark=0.0 if node.tag == "fut" else price,
            multiplier=multiplier,
            pnl=tuple(-value + 0.0 for value in loss),
            scan=self.scan_range(node) or (self.scan_range(series) if series else None),
            line=node.line,
            period=period,
            option=node.tag == "opt",
            delta=delta,
            key=(exchange, pf_id, contract_id) if contract_id else None,
            underlyings=tuple(
                (leg.text_of("exch", what, default=exchange), leg.text_of("pfId", what), leg.text_of("cId", what))
                for leg in legs
            ),
        )

    def for_requirement_one(self, node: Node, tag: str) -> Node | None:
        """The child `tag` of requirement 1 (maintenance: <r>1</r>, or no <r>), None without
        one; a second one is refused rather than one of them chosen."""
        found = [c for c in node.children if c.tag == tag and c.text_of("r", self.what, default="1") == "1"]
        if len(found) > 1:
            raise InputError(f"{self.what}: line {found[1].line}: <{node.tag}> has a second <{tag}> with <r>1</r>")
        return found[0] if found else None

    def chosen_array(self, node: Node) -> Node:
        """The contract's risk array for requirement 1 (maintenance)."""
        chosen = self.for_requirement_one(node, "ra")
        if chosen is None:
            raise InputError(f"{self.what}: line {node.line}: <{node.tag}> has no <ra> with <r>1</r>")
        return chosen

    def risk_array(self, chosen: Node) -> list[float]:
        unknown = next((c for c in chosen.children if c.tag not in RISK_ARRAY_FIELDS), None)
        if unknown is not None:
            raise InputError(f"{self.what}: line {unknown.line}: unknown element <{unknown.tag}> in <ra>")
        values = [as_number(c, self.what) for c in chosen.children if c.tag == "a"]
        if len(values) != len(SCENARIOS):
            raise InputError(f"{self.what}: line {chosen.line}: <ra> has {len(values)} <a> values, "
                             f"expected {len(SCENARIOS)} (one per scan scenario)")
        return values

    def composite_delta(self, array: Node, node: Node) -> float | None:
        """Delta per contract: the risk array's <d>, else the contract's own."""
        found = array.present("d", self.what, required=False) or node.present("d", self.what, required=False)
        return None if found is None else as_number(found, self.what)

    def check_direction(self, node: Node, instrument: str, loss: list[float], put: bool) -> None:
        # A long future, stock or call loses more when the price falls its full range than
        # when it rises it (same vol); a long put the other way. An array that says otherwise
        # was almost surely negated already (profit-positive), and importing it would flip
        # every position's sign.
        falls, rises = loss[DOWN], loss[UP]
        if (rises > falls) if not put else (falls > rises):
            raise InputError(
                f"{self.what}: line {node.line}: <{node.tag}> {instrument}: risk array loses "
                f"{rises if not put else falls:g} where a long {'put' if put else 'position'} gains; "
                "SPAN counts a loss as positive (was the array negated?)"
            )

    def scan_range(self, node: Node) -> tuple[float, float] | None:
        rate = self.for_requirement_one(node, "scanRate")
        if rate is None:
            return None
        return rate.number("priceScan", self.what), rate.number("volScan", self.what, default=0.0)

    def commodity(self, node: Node) -> None:
        cc = node.text_of("cc", self.what)
        if cc in self.commodities:
            raise InputError(f"{self.what}: line {node.line}: <ccDef> {cc!r} is defined twice")
        self.commodities.add(cc)
        for link in (c for c in node.children if c.tag == "pfLink"):
            key = (link.text_of("exch", self.what), link.text_of("pfType", self.what).upper(),
                   link.text_of("pfId", self.what))
            scale = link.number("sc", self.what, default=1.0)
            if scale != 1:
                raise InputError(f"{self.what}: line {link.line}: <pfLink> <sc> {scale:g} is not supported "
                                 "(deltas must count in the commodity's own contracts, <sc>1</sc>)")
            if self.links.setdefault(key, cc) != cc:
                raise InputError(f"{self.what}: line {link.line}: <pfLink> {'/'.join(key)} is in "
                                 f"<ccDef> {self.links[key]!r} and {cc!r}")
        spreads = [c for c in node.children if c.tag == "dSpread"]
        if spreads:
            self.intra[cc] = self.intra_table(node, cc, spreads)
        minimums = self.tiers(node, "somTiers")
        if minimums is not None:
            self.minimums[cc] = [self.minimum_tier(tier) for tier in minimums]

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
        found = self.for_requirement_one(spread, "rate")
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

    def spread(self, node: Node) -> Spread:
        what = self.what
        found = self.rate(node)
        rate = found.number("val", what)
        if not 0 < rate <= 1:
            raise InputError(f"{what}: line {found.line}: <dSpread> <rate> <val> {rate:g} is not a "
                             "credit fraction in (0, 1]")
        legs = [(leg.text_of("cc", what), ratio, side) for leg, ratio, side in self.spread_legs(node)]
        if len(legs) < 2:
            raise InputError(f"{what}: line {node.line}: <dSpread> has {len(legs)} legs, needs at least 2")
        priority = node.text_of("spread", what)
        if not priority.isdigit() or int(priority) < 1:
            raise InputError(f"{what}: line {node.line}: <dSpread> <spread> {priority!r} is not a priority ≥ 1")
        return Spread(int(priority), rate, legs)


def read_span_xml(path: str | os.PathLike, commodities: list[str] | None = None) -> RiskArrays:
    """The risk arrays of a SPAN XML file, one scenario group per combined commodity.

    `commodities` keeps only those combined commodities (SPAN `cc` codes); a full clearing
    house file holds thousands of contracts, and a venue imports the ones it lists.
    """
    path = Path(path)
    what = str(path)
    handler = SpanHandler(what)
    try:
        with path.open("rb") as stream:
            defusedxml.sax.parse(stream, handler, forbid_dtd=True)
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{what}: is a directory, not a SPAN XML file") from None
    except xml.sax.SAXParseException as error:
        raise InputError(f"{what}: line {error.getLineNumber()}: malformed XML: {error.getMessage()}") from None
    except defusedxml.DTDForbidden:
        raise InputError(f"{what}: refusing a DTD (<!DOCTYPE>): SPAN files have none, and a DTD can "
                         "declare entity bombs or external entities") from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as error:
        raise InputError(f"{what}: refusing entity declaration or external reference: {error}") from None
    except OSError as error:
        raise InputError(f"{what}: cannot read: {error.strerror}") from None
    except LookupError as error:  # the XML declaration names an encoding Python does not know
        raise InputError(f"{what}: malformed XML: {error}") from None
    return risk_arrays_of(handler, commodities, what)


def risk_arrays_of(handler: SpanHandler, commodities: list[str] | None, what: str) -> RiskArrays:
    """Lay the contracts out as risk.json: one block of 16 scenarios per combined commodity."""
    by_group: dict[str, list[Contract]] = {}
    for contract in handler.contracts:
        cc = handler.links.get(contract.link)
        if cc is None:
            raise InputError(f"{what}: line {contract.line}: {contract.instrument}: portfolio "
                             f"{'/'.join(contract.link)} is in no <ccDef> <pfLink>")
        by_group.setdefault(cc, []).append(contract)
    if not by_group:
        raise InputError(f"{what}: no contract with a risk array (<phy>, <fut> or <opt>)")
    if commodities:
        missing = next((cc for cc in commodities if cc not in by_group), None)
        if missing is not None:
            raise InputError(f"{what}: no contracts for combined commodity {missing!r}; the file "
                             f"has {', '.join(sorted(by_group))}")
        by_group = {cc: by_group[cc] for cc in commodities}
    groups = sorted(by_group)
    currencies = sorted({c.currency for group in groups for c in by_group[group]})
    if len(currencies) > 1:
        raise InputError(f"{what}: contracts in {', '.join(currencies)}, but risk.json holds one "
                         "currency: choose combined commodities of one currency")
    width = len(SCENARIOS)
    instruments: dict[str, dict] = {}
    for block, group in enumerate(groups):
        for contract in by_group[group]:
            if contract.instrument in instruments:
                raise InputError(f"{what}: line {contract.line}: contract {contract.instrument!r} "
                                 "appears twice")
            pnl = [0.0] * (width * len(groups))
            pnl[block * width:(block + 1) * width] = contract.pnl
            instruments[contract.instrument] = {
                "mark": contract.mark, "multiplier": contract.multiplier, "pnl": pnl}
    scan_ranges = {}
    for group in groups:
        scans = [contract.scan for contract in by_group[group] if contract.scan is not None]
        if scans:
            scan_ranges[group] = {"price": max(s[0] for s in scans), "vol": max(s[1] for s in scans)}
    spreads = [
        {"priority": spread.priority, "credit_rate": spread.rate,
         "legs": [{"group": cc, "ratio": ratio, "side": side} for cc, ratio, side in spread.legs]}
        for spread in sorted(handler.spreads, key=lambda spread: spread.priority)
        if all(cc in by_group for cc, _, _ in spread.legs)
    ]
    periods = future_periods(handler.contracts, what)
    minimums = [
        minimum
        for group in groups
        if group in handler.minimums
        and (minimum := minimum_rates(group, handler.minimums[group], by_group[group], periods, what)) is not None
    ]
    intra = [
        spread
        for group in groups
        if group in handler.intra
        and (spread := calendar_tiers(group, handler.intra[group], by_group[group], periods, what)) is not None
    ]
    return validate(RiskArrays, {
        "currency": currencies[0],
        "scenarios": [f"{group} {name}" for group in groups for name in SCENARIOS],
        "scenario_groups": [group for group in groups for _ in SCENARIOS],
        "instruments": instruments,
        "as_of": iso_date(handler.as_of, what),
        "scan_ranges": scan_ranges,
        "inter_commodity_spreads": spreads,
        "intra_commodity_spreads": intra,
        "short_option_minimums": minimums,
    }, what)


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
    delta to its future's month; a calendar spread option's, one per leg), else its own,
    "" without one (a stock)."""
    if not contract.underlyings:
        return [contract.period]
    unknown = next((key for key in contract.underlyings if key not in periods), None)
    if unknown is not None:
        raise InputError(f"{what}: line {contract.line}: {contract.instrument}: its <undC> "
                         f"{'/'.join(unknown)} names no future in the file")
    return [periods[key] for key in contract.underlyings]


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


def iso_date(text: str | None, what: str) -> str | None:
    """SPAN's YYYYMMDD as YYYY-MM-DD."""
    if text is None:
        return None
    if len(text) != 8 or not text.isdigit():
        raise InputError(f"{what}: <pointInTime> <date> {text!r} is not a date written YYYYMMDD")
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"
