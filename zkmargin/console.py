"""Text for people, shared by the command line and the demo: money amounts and progress bars."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any


def format_money(amount: Decimal, currency: str) -> str:
    """`amount` with thousands separators and at least cents, never fewer digits than it has."""
    places = max(2, -int(amount.as_tuple().exponent))
    return f"{amount:,.{places}f} {currency}".rstrip()



def progress_callback(bar: Any) -> Callable[[int, int], None]:
    """Adapt verify_batch's `progress(done, total)` to click's incremental progress bar."""
    shown = 0

    def progress(done: int, _total: int) -> None:
        nonlocal shown
        if done > shown:
            bar.update(done - shown)
            shown = done

    return progress
