"""How the demo speaks: step headings, wrapped paragraphs, facts, code, pauses."""

from __future__ import annotations

import inspect
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import click

from zkmargin.console import format_money


@dataclass
class Narrator:
    """Prints the story: step headings, wrapped paragraphs, indented facts, pauses."""

    pause_seconds: float = 0.0
    width: int = 88
    echo: Callable[[str], None] = click.echo

    def heading(self, number: int, total: int, title: str) -> None:
        self.echo("")
        self.echo(click.style(f"Step {number} of {total} · {title}", bold=True))
        self.echo(click.style("─" * min(self.width, len(title) + 14), dim=True))

    def say(self, text: str) -> None:
        self.echo(textwrap.fill(" ".join(text.split()), width=self.width))

    def facts(self, rows: Sequence[tuple[str, Any]]) -> None:
        label_width = max(len(label) for label, _ in rows)
        for label, value in rows:
            self.echo(f"    {label.ljust(label_width)}  {value}")

    def code(self, text: str) -> None:
        for line in inspect.cleandoc(text).splitlines():
            self.echo(click.style(f"    >>> {line}", fg="cyan"))

    def pause(self) -> None:
        if self.pause_seconds:
            time.sleep(self.pause_seconds)

    def progress(self, length: int, label: str) -> Any:
        # On stderr, like every progress bar: stdout stays the story (or `demo --json`'s document).
        return click.progressbar(length=length, label=f"    {label}", show_pos=True, width=30,
                                 file=click.get_text_stream("stderr"))


def money(amount: Decimal, currency: str = "USD") -> str:
    return format_money(amount, currency)
