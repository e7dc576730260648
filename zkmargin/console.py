"""Text for people, shared by the command line and the demo: money amounts and progress bars."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any


def format_money(amount: Decimal, currency: str) -> str:
    """`amount` with thousands separators and at least cents, never fewer digits than it has."""
    places = max(2, -int(amount.as_tuple().exponent))
    return f"{amount:,.{places}f} {currency}".rstrip()


def shown(label: str) -> str:
    """A label as printed: every non-printable character escaped (\\x1b, \\u202e, \\n).

    Labels are validated where they are read (`jsonio.Label`), so this changes nothing for
    them; it guarantees that a string from anywhere else can never move the cursor, recolour
    the terminal, reorder the line or start a new one.
    """
    if label.isprintable():
        return label
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in label)

def progress_callback(bar: Any) -> Callable[[int, int], None]:
    """Adapt verify_batch's `progress(done, total)` to click's incremental progress bar."""
    shown = 0

    def progress(done: int, _total: int) -> None:
        nonlocal shown
        if done > shown:
            bar.update(done - shown)
            shown = done

    return progress
