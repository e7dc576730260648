"""`MarginModel`: a margin model spec read from a TOML file in circuits/.

A spec names the model, its family, a description and a citation, the margin levels
(maintenance "1" and e.g. initial "1.1") and one table of family parameters, named after
the family:

    name = "span"
    family = "span"
    description = "..."
    source = "..."
    [levels]
    maintenance = "1"
    initial = "1.1"
    [span]
    vol_scan_range = 0.25
    ...

Every key is required and unknown keys are errors, so the TOML file is the single place a
venue reads and changes a model's numbers.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal

import pydantic
from pydantic import Field, model_validator

from zkmargin.errors import InputError
from zkmargin.files import read_bounded
from zkmargin.formats import StrictModel
from zkmargin.jsonio import MAX_DEPTH, nested_too_deep
from zkmargin.validation import describe_validation_error
from zkmargin.engine.market import Market
from zkmargin.engine.models import crypto_pm as crypto_pm_family
from zkmargin.engine.models import expected_shortfall as expected_shortfall_family
from zkmargin.engine.models import portfolio_margin as portfolio_margin_family
from zkmargin.engine.models import scenario as scenario_family
from zkmargin.engine.models import span as span_family
from zkmargin.engine.models import standard as standard_family
from zkmargin.engine.models.crypto_pm import CryptoPmParameters
from zkmargin.engine.models.expected_shortfall import ExpectedShortfallParameters
from zkmargin.engine.models.portfolio_margin import PortfolioMarginParameters
from zkmargin.engine.models.scenario import ScenarioParameters
from zkmargin.engine.models.span import SpanParameters
from zkmargin.engine.models.standard import StandardParameters
from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.engine.models.base import Levels, MarginTerms, ParameterTable

Family = Literal["scenario", "span", "portfolio_margin", "standard", "crypto_pm", "expected_shortfall"]


@dataclass(frozen=True)
class FamilyCode:
    """What a family offers: terms from a market, and from supplied risk arrays if it can."""

    from_market: Callable[[Market, Any], MarginTerms]
    from_risk_arrays: Callable[[RiskArrays, Any], MarginTerms] | None


FAMILIES: dict[str, FamilyCode] = {
    "scenario": FamilyCode(scenario_family.from_market, scenario_family.from_risk_arrays),
    "span": FamilyCode(span_family.from_market, span_family.from_risk_arrays),
    "portfolio_margin": FamilyCode(portfolio_margin_family.from_market, None),
    "standard": FamilyCode(standard_family.from_market, None),
    "crypto_pm": FamilyCode(crypto_pm_family.from_market, None),
    "expected_shortfall": FamilyCode(
        expected_shortfall_family.from_market, expected_shortfall_family.from_risk_arrays
    ),
}


def _nearby_model(path: Path) -> str:
    """A hint for a model named the way people remember it (`span`, `span.toml`,
    `circuits/span`): the spec file by that name beside it or in ./circuits, when there is one."""
    stem = path.name.removesuffix(".toml")
    for candidate in (path.with_name(f"{stem}.toml"), Path("circuits") / f"{stem}.toml"):
        if candidate != path and candidate.is_file():
            return f"; did you mean {candidate}?"
    return "; a model is a TOML spec file, such as circuits/span.toml of the zkmargin repository"


class MarginModel(StrictModel):
    """A margin model: identity, levels, and the parameters of exactly one family."""

    name: str = Field(min_length=1)
    family: Family
    description: str
    source: str
    levels: Levels
    scenario: ScenarioParameters | None = None
    span: SpanParameters | None = None
    portfolio_margin: PortfolioMarginParameters | None = None
    standard: StandardParameters | None = None
    crypto_pm: CryptoPmParameters | None = None
    expected_shortfall: ExpectedShortfallParameters | None = None

    @model_validator(mode="after")
    def _one_family_table(self) -> MarginModel:
        present = [family for family in FAMILIES if getattr(self, family) is not None]
        if present != [self.family]:
            others = [family for family in present if family != self.family]
            if others:
                raise ValueError(
                    f"family is {self.family!r} but the file has a [{others[0]}] table; "
                    f"give only [{self.family}]"
                )
            raise ValueError(f"family {self.family!r} needs its [{self.family}] table")
        return self

    @property
    def parameters(self) -> ParameterTable:
        """The family's parameter table."""
        return getattr(self, self.family)

    @classmethod
    def load(cls, path: str | os.PathLike) -> MarginModel:
        """Read a spec from a TOML file; any problem is an `InputError` naming file and key."""
        path = Path(path)
        if not path.exists():
            raise InputError(f"no such margin model file: {path}{_nearby_model(path)}")
        try:
            text = read_bounded(path, str(path), "a margin model").decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: cannot read margin model: {error}") from None
        return cls.from_toml(text, what=str(path))

    @classmethod
    def from_toml(cls, text: str, what: str = "margin model") -> MarginModel:
        _check_depth(text, what)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{what}: malformed TOML: {error}") from None
        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as error:
            raise InputError(describe_validation_error(error, cls, what)) from None

    def terms(self, source: Market | RiskArrays) -> MarginTerms:
        """The model's requirement over `source` in the generic form (currency units)."""
        code = FAMILIES[self.family]
        if isinstance(source, Market):
            return code.from_market(source, self.parameters)
        if isinstance(source, RiskArrays):
            if code.from_risk_arrays is None:
                raise InputError(
                    f"model {self.name!r} ({self.family}) derives its scenarios and rates from "
                    "instrument terms, so it needs a market (market.json), not risk arrays; "
                    "the scenario, span and expected_shortfall families accept risk arrays"
                )
            return code.from_risk_arrays(source, self.parameters)
        raise InputError(
            f"margin params are built from a Market or RiskArrays, got {type(source).__name__}"
        )


_TOML_STRING_OR_COMMENT = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]++|\\.)*+"|\'[^\'\n]*\'|#[^\n]*')
_DEEP_KEY = re.compile(r'(?<![\w"-])(?:(?:[\w-]+|"")\s*\.\s*){%d}' % MAX_DEPTH)
"""MAX_DEPTH dotted parts in a row, each starting where a key can (so a long word is scanned once)."""


def _check_depth(text: str, what: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before tomllib sees it: its parser recurses once
    per bracket (a RecursionError, or worse once py_ecc has raised the recursion limit), and
    takes quadratic time over the parts of a dotted key (a.a.a… = 1)."""
    bare = _TOML_STRING_OR_COMMENT.sub(lambda match: "" if match[0].startswith("#") else '""', text)
    if _DEEP_KEY.search(bare):
        raise InputError(f"{what}: a dotted key of more than {MAX_DEPTH} parts")
    if nested_too_deep(bare):
        raise InputError(f"{what}: TOML nested deeper than {MAX_DEPTH} levels")
