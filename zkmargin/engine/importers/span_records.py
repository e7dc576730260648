"""The records the SPAN XML reader builds: elements as it streams them, contracts, spread
tables, and periods as the days they span (span_xml.py reads, span_tables.py resolves)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from zkmargin.errors import InputError

ContractKey = tuple[str, str, str]
"""(exchange, pfId, cId): how an option's <undC> names its underlying contract."""
Days = tuple[int, int]
"""A period as its first and last day, YYYYMMDD; a month YYYYMM runs from YYYYMM00 to YYYYMM99."""
OPEN_ENDS: Days = (0, 99999999)


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

    def for_requirement_one(self, tag: str, what: str) -> Node | None:
        """The child `tag` of requirement 1 (maintenance: <r>1</r>, or no <r>), None without
        one; a second one is refused rather than one of them chosen."""
        found = [c for c in self.children if c.tag == tag and c.text_of("r", what, default="1") == "1"]
        if len(found) > 1:
            raise InputError(f"{what}: line {found[1].line}: <{self.tag}> has a second <{tag}> with <r>1</r>")
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
