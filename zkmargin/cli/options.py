"""The values commands read from their options and arguments, and the options several commands share.

Amounts, whole numbers, durations, margin levels and account names are checked here as click
parses them, so a bad one is a usage error naming its option; --jobs and --scheduler also
pick where a batch is verified (`spread_executor`). They are kept apart from `common`, the
frame every command runs in (exit codes, errors, Ctrl-C, output), because they answer another
question: what a value on the command line may be. Nearly every command imports this module,
so it loads nothing heavy: Dask only once --scheduler is given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

import zkmargin as zm
from zkmargin.formats import check_label
from zkmargin.units import parse_decimal


def decimal_amount(_ctx: click.Context, param: click.Parameter, text: str) -> Decimal:
    try:
        value = parse_decimal(text)
    except zm.InputError:
        raise click.BadParameter(f"{text!r} is not a decimal number (digits 0-9, optional sign and point)", param=param) from None
    if not value.is_finite() or value < 0:
        raise click.BadParameter(f"{text!r} must be a finite amount ≥ 0", param=param)
    return value


_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


class AsciiInt(click.IntRange):
    """click's IntRange (`min`, `max` optional) over whole numbers written with the digits
    0-9: Python's int() also reads '1_0' as 10 and '５' as 5, which no amount zkmargin reads
    accepts (`parse_decimal`), so neither does a count."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not _ASCII_INTEGER.fullmatch(value.strip()):
            self.fail(f"{value!r} is not a whole number written with the digits 0-9", param, ctx)
        return super().convert(value, param, ctx)


MAX_DURATION = timedelta(days=36_500)
"""The longest --valid-for, --deadline or age accepted: a century, far inside the calendar's
range, so a time it is added to or taken from is always a date."""


DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


_DURATION_PART = re.compile(r"([0-9]+)([smhd])")


def any_duration(_ctx: click.Context | None, param: click.Parameter | None, text: str | None) -> timedelta | None:
    """`90s`, `30m`, `12h`, `7d`, or parts that add up (`1h30m`), in the digits 0-9, at most
    MAX_DURATION; zero included (`monitor run --deadline 0s`: the calls are overdue at once)."""
    if text is None:
        return None
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(count + unit for count, unit in parts) != text:
        raise click.BadParameter(f"{text!r} is not a duration like 90s, 30m, 12h, 7d or 1h30m", param=param)
    total = timedelta()
    try:
        for count, unit in parts:
            total += timedelta(**{DURATION_UNITS[unit]: int(count)})
    except (OverflowError, ValueError):  # ValueError: more digits than int() reads
        total = None
    if total is None or total > MAX_DURATION:
        raise click.BadParameter(f"{text!r} is longer than {MAX_DURATION.days // 365} years", param=param)
    return total


def duration(ctx: click.Context | None, param: click.Parameter | None, text: str | None) -> timedelta | None:
    """`any_duration` longer than zero: how long something holds or may be old (--valid-for, --max-*-age)."""
    span = any_duration(ctx, param, text)
    if span is not None and not span:
        raise click.BadParameter(f"{text!r} is not longer than zero", param=param)
    return span


def margin_level(_ctx: click.Context, _param: click.Parameter, text: str | None) -> str | None:
    """A --level as models name levels, in lower case whatever case was typed (`Initial`);
    whether the params define it is for the params to say, naming the levels they do."""
    return None if text is None else text.lower()


def account_name(_ctx: click.Context, param: click.Parameter, text: str) -> str:
    """An ACCOUNT argument spelled as account files spell it (`check_label`): a name that is
    not one — bytes that are not UTF-8, a control character — is refused before any query."""
    try:
        return check_label(text)
    except ValueError as error:
        raise click.BadParameter(f"{text!r} {error}", param=param) from None


# Options shared by several commands (click.option already returns a decorator).
params_option = click.option(
    "--params",
    "params_path",
    type=click.Path(path_type=Path),
    required=True,
    help="params.json published by the venue (zkmargin params build).",
)
portfolio_option = click.option(
    "--portfolio",
    "portfolio_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Your portfolio.json (zkmargin schema portfolio); it never leaves this machine.",
)
level_option = click.option(
    "--level",
    default="maintenance",
    show_default=True,
    callback=margin_level,
    help="Margin level of the params: maintenance or initial (any case).",
)
min_excess_option = click.option(
    "--min-excess",
    callback=decimal_amount,
    default="0",
    metavar="AMOUNT",
    help="Require equity − requirement ≥ AMOUNT as well (public threshold, currency units).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")

# The ledger commands (ledger, monitor, plot history) take the database the same way.
db_option = click.option(
    "--db",
    "database",
    metavar="PATH|URL",
    help="SQLite file or postgresql://user@host/db URL (default: $ZKMARGIN_DB, else ./zkmargin.db).",
)


_SCHEDULER = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):([0-9]{1,5})\Z")


def _scheduler_address(_ctx: click.Context, param: click.Parameter, text: str | None) -> str | None:
    """Refuse what Dask cannot parse before handing it over: its ValueError would escape as a
    traceback, and a failed Client leaves Dask unable to start another in the process."""
    if text is None:
        return None
    match = _SCHEDULER.match(text)
    if not match or int(match[3]) > 65535:
        raise click.BadParameter(f"{text!r} is not an address like tcp://HOST:PORT", param=param)
    return text


MAX_JOBS = 4 * (os.cpu_count() or 1)
"""A process pool forks all its workers at once: --jobs 100000 was a fork bomb."""


def spread_options(command):
    """--jobs N (a process pool on this machine) and --scheduler tcp://HOST:PORT (a Dask cluster)."""
    command = click.option(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        callback=_scheduler_address,
        help="Verify on a Dask distributed cluster (pip install 'zkmargin[dask]').",
    )(command)
    return click.option(
        "--jobs", type=AsciiInt(1, MAX_JOBS), metavar="N",
        help=f"Verify in N processes on this machine (at most {MAX_JOBS}: 4 per core).",
    )(command)


SCHEDULER_TIMEOUT = "10s"
"""How long --scheduler waits for the Dask scheduler to answer."""


@contextmanager
def spread_executor(jobs: int | None = None, scheduler: str | None = None) -> Iterator[Executor | None]:
    """A process pool of `jobs` workers, a Dask cluster at `scheduler`, or None (in process)."""
    if jobs is not None and scheduler is not None:
        raise zm.InputError("choose --jobs or --scheduler, not both")
    if scheduler is not None:
        try:
            from distributed import Client
        except ImportError:
            raise zm.InputError("--scheduler needs Dask: pip install 'zkmargin[dask]'") from None
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise zm.InputError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        with client:
            yield client.get_executor()
    elif jobs is not None and jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            yield pool
    else:
        yield None


def output_options(written: str) -> Callable[[Callable], Callable]:
    """`-o/--output` (the file `written`), `--force` and `--json`: what every writing command takes."""
    options = (
        click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
                     help=f"{written} to write."),
        click.option("--force", is_flag=True, help="Overwrite an existing output file."),
        json_option,
    )

    def decorate(command: Callable) -> Callable:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate
