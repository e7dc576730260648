"""Value at risk beside expected shortfall: the Rockafellar–Uryasev threshold and the tail.

Over N equiprobable scenario losses and a confidence α, with K = N(1 − α):

    VaR_α = the ⌈K⌉-th largest loss          (the optimal threshold t of ES's minimum)
    ES_α  = VaR_α + Σ_s max(loss_s − VaR_α, 0) / K   ≥ VaR_α

and the tail is the ⌈K⌉ worst scenarios. For the expected-shortfall model these are the
numbers the requirement comes from (ES is proved; VaR only bounds it from below). For
scenario models, whose requirement is a worst loss per group, the same measures over all
their scenarios, taken as equiprobable at `INFORMATION_CONFIDENCE`, are information about
the loss distribution, not part of the requirement. docs/margin-models.md ("VaR beside
ES") says why a proof covers ES and not VaR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from zkmargin.engine.models.expected_shortfall import expected_shortfall, parse_confidence
from zkmargin.engine.params import RiskParams
from zkmargin.units import from_fixed

INFORMATION_CONFIDENCE = "0.975"
"""α of the VaR and ES shown for models whose requirement is not an ES (Basel/Prisma's 97.5%)."""


@dataclass(frozen=True)
class ValueAtRisk:
    """VaR_α and ES_α of the scenario losses (currency units; a negative loss is a gain).

    `scenario` is the VaR scenario; `tail` the ⌈N(1 − α)⌉ worst scenarios with their
    losses, worst first; `in_requirement` says whether ES_α is the requirement's core
    (the expected-shortfall model) or information only.
    """

    confidence: str
    var: Decimal
    expected_shortfall: Decimal
    scenario: str
    tail: tuple[tuple[str, Decimal], ...]
    in_requirement: bool


def value_at_risk(params: RiskParams, losses: list[int]) -> ValueAtRisk | None:
    """VaR and ES of `losses` (fine units) at the model's confidence, or the information one.

    None when the params have no scenarios (the standard model).
    """
    if not losses:
        return None
    in_requirement = params.aggregation == "expected_shortfall"
    confidence = params.es_confidence if in_requirement else INFORMATION_CONFIDENCE
    shortfall, threshold = expected_shortfall(losses, confidence)
    count = math.ceil(len(losses) * (1 - parse_confidence(confidence)))
    worst = sorted(range(len(losses)), key=lambda s: (-losses[s], s))[:count]
    fine = params.money_scale * params.quantity_scale
    return ValueAtRisk(
        confidence=confidence,
        var=from_fixed(threshold, fine),
        expected_shortfall=from_fixed(-((-shortfall.numerator) // shortfall.denominator), fine),
        scenario=params.scenarios[worst[-1]],
        tail=tuple((params.scenarios[s], from_fixed(losses[s], fine)) for s in worst),
        in_requirement=in_requirement,
    )
