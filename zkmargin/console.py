"""Text for people, shared by the command line and the demo: money amounts and progress bars."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TextIO

BAR_WIDTH = 20


def format_money(amount: Decimal, currency: str) -> str:
    """`amount` with thousands separators and at least cents, never fewer digits than it has."""
    places = max(2, -int(amount.as_tuple().exponent))
    return f"{amount:,.{places}f} {currency}".rstrip()


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 account`, `2 accounts`: a count with its noun in the number it takes."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def shown(label: str) -> str:
    """A label as printed: every non-printable character escaped (\\x1b, \\u202e, \\n).

    Labels are validated where they are read (`formats.Label`), so this changes nothing for
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


@contextmanager
def running_bar(label: str, stream: TextIO, delay: float = 1.0, interval: float = 0.1) -> Iterator[None]:
    """While the block runs longer than `delay` seconds, a live line on `stream`.

    The line is `label`, a block bouncing across a bar (the work has no known length: a
    proof is one indivisible computation) and the seconds elapsed, redrawn every
    `interval` and erased when the block ends, however it ends (Ctrl-C included). A block
    shorter than `delay` writes nothing.
    """
    done = threading.Event()
    started = time.perf_counter()
    drawn = [0]

    def draw() -> None:
        if done.wait(delay):
            return
        frame = 0
        while not done.is_set():
            position = frame % (2 * BAR_WIDTH - 2)
            position = position if position < BAR_WIDTH else 2 * BAR_WIDTH - 2 - position
            bar = " " * position + "█" + " " * (BAR_WIDTH - 1 - position)
            line = f"{label} [{bar}] {time.perf_counter() - started:.1f} s"
            stream.write("\r" + line)
            stream.flush()
            drawn[0] = len(line)
            frame += 1
            done.wait(interval)

    painter = threading.Thread(target=draw, daemon=True)
    painter.start()
    try:
        yield
    finally:
        done.set()
        painter.join()
        if drawn[0]:
            stream.write("\r" + " " * drawn[0] + "\r")
            stream.flush()
