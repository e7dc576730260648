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

import os
import xml.sax
from collections.abc import Callable
from pathlib import Path

import defusedxml
import defusedxml.sax

from zkmargin.engine.importers.span_records import (
    Contract,
    Days,
    IntraTable,
    Node,
    Spread,
    as_number,
)
from zkmargin.engine.importers.span_tables import (
    CommodityTables,
    calendar_tiers,
    future_periods,
    minimum_rates,
)
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
MAX_DEPTH = 32
"""Deeper than any SPAN file nests (about 9 levels)."""
MAX_TEXT = 256
"""Characters of text one element may hold; every SPAN value is a short number or code."""
INHERITED = {"exch", "pfId", "pfCode", "currency", "cvf", "pe", "undC", "scanRate"}
"""What a contract reads from its <exchange>, portfolio or <series>: it must come before
the contracts, which are read as they end."""


class SpanHandler(CommodityTables, xml.sax.handler.ContentHandler):
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
        # a future or physical is long delta; a call at least 0 (far out of the money), a put at most 0
        if delta is not None and (delta > 0 if put else delta < 0 if series else delta <= 0):
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

    def chosen_array(self, node: Node) -> Node:
        """The contract's risk array for requirement 1 (maintenance)."""
        chosen = node.for_requirement_one("ra", self.what)
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
        rate = node.for_requirement_one("scanRate", self.what)
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
                "mark": contract.mark, "multiplier": contract.multiplier, "pnl": pnl,
                **({} if contract.delta is None else {"delta": contract.delta})}
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

    def resolved(tables: dict, resolve: Callable) -> list[dict]:
        """Each imported commodity's table of `tables` against its contracts, where one applies."""
        return [entry for group in groups if group in tables
                and (entry := resolve(group, tables[group], by_group[group], periods, what)) is not None]

    return validate(RiskArrays, {
        "currency": currencies[0],
        "scenarios": [f"{group} {name}" for group in groups for name in SCENARIOS],
        "scenario_groups": [group for group in groups for _ in SCENARIOS],
        "instruments": instruments,
        "as_of": iso_date(handler.as_of, what),
        "scan_ranges": scan_ranges,
        "inter_commodity_spreads": spreads,
        "intra_commodity_spreads": resolved(handler.intra, calendar_tiers),
        "short_option_minimums": resolved(handler.minimums, minimum_rates),
    }, what)


def iso_date(text: str | None, what: str) -> str | None:
    """SPAN's YYYYMMDD as YYYY-MM-DD."""
    if text is None:
        return None
    if len(text) != 8 or not text.isdigit():
        raise InputError(f"{what}: <pointInTime> <date> {text!r} is not a date written YYYYMMDD")
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"
