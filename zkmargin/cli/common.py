"""The command line's frame, which every command runs in: exit codes, error handling, Ctrl-C,
--backend, opening the ledger, JSON and table output. The values options parse, and the options
commands share, are in `zkmargin.cli.options`."""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
import numpy as np

import zkmargin as zm
from zkmargin.console import shown
from zkmargin.errors import ALLOW_UNSIGNED_ADVICE, TRUST_KEY_ADVICE, new_key_advice

if TYPE_CHECKING:
    from zkmargin.venue.ledger import Ledger

EXIT_FALSE = 1
EXIT_BAD_INPUT = 2
_BACKENDS = ("arkworks", "py_ecc")
EXIT_INTERRUPTED = 130
"""Ctrl-C: the shell's convention (128 + SIGINT), so it is never mistaken for "short" (1)."""
JSON_FLAG = "--json"


class ZkMarginGroup(click.Group):
    """A click group that turns zkmargin's deliberate errors into one line and an exit code.

    Usage errors are one line too, pointing at the misused command's -h; with --json
    anywhere on the command line the line is a JSON document on stderr, usage errors included. Ctrl-C exits 130 (files are written atomically, so none is left
    half-written), and numpy's floating-point warnings stay off stderr: every amount that
    matters is checked for being finite where it is used.

    `lazy_commands` maps a command's name to the "module:attribute" defining it, imported
    only when that command runs or help lists it: `zkmargin verify` then never pays for the
    ledger's database layer, the plots or the demo.
    """

    def __init__(self, *args: Any, lazy_commands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as error:
            # click suggests among the commands loaded so far; the lazy ones are names until run
            raise click.exceptions.NoSuchCommand(error.command_name, possibilities=self.list_commands(ctx), ctx=ctx) from None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands and cmd_name not in self.commands:
            module, attribute = self.lazy_commands[cmd_name].split(":")
            self.add_command(getattr(import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any) -> click.Context:
        # Ctrl-C while the top-level options are parsed: no context is current yet, so say it here.
        as_json = JSON_FLAG in args
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt:
            report_interrupted(as_json)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except click.UsageError as error:  # a top-level option: `zkmargin --backnd x verify`
            _usage_error(error, as_json)

    def invoke(self, ctx: click.Context) -> Any:
        arguments = tuple(ctx.args)  # click empties ctx.args as it hands them to the subcommand
        ctx.meta["zkmargin.json"] = JSON_FLAG in arguments
        try:
            with np.errstate(all="ignore"):
                return super().invoke(ctx)
        except zm.ZkMarginError as error:
            if ctx.meta.get("zkmargin.debug"):
                raise
            code = (
                EXIT_FALSE
                if isinstance(error, (zm.InvalidProof, zm.InsufficientMargin))
                else EXIT_BAD_INPUT
            )
            fail(str(error), code, type(error).__name__)
        except OSError as error:
            if ctx.meta.get("zkmargin.debug"):
                raise
            where = f"{error.filename}: " if error.filename else ""
            fail(f"{where}{error.strerror or error}", EXIT_BAD_INPUT, type(error).__name__)
        except KeyboardInterrupt:
            fail("interrupted", EXIT_INTERRUPTED, "KeyboardInterrupt")
        except click.UsageError as error:
            if isinstance(error, click.NoSuchOption):
                _explain_negative_number(error, arguments)
            _usage_error(error, ctx.meta["zkmargin.json"])


def _usage_error(error: click.UsageError, as_json: bool) -> NoReturn:
    """A usage error as the one line every other error is, keeping click's pointer to the
    help of the command that was misused (its block is Usage:, Try, a blank line, Error:)."""
    if isinstance(error, click.exceptions.NoArgsIsHelpError) and not as_json:
        raise error  # `zkmargin ledger` alone: the help is what was asked for, as click shows it
    message = error.format_message()
    if not as_json and error.ctx is not None and error.ctx.help_option_names:
        message = f"{message.removesuffix('.')} (try '{error.ctx.command_path} {error.ctx.help_option_names[0]}' for help)"
    _error_line(message, error.exit_code, type(error).__name__, as_json)
    raise click.exceptions.Exit(error.exit_code)


_NEGATIVE = re.compile(r"-[0-9][0-9_.,]*\Z")


def _explain_negative_number(error: click.NoSuchOption, args: tuple[str, ...]) -> None:
    """`ledger deposit alice -100`: click reads -100 as options -1, -0, -0. The only numbers
    given as arguments are amounts of money moved, which are positive by design."""
    number = next((arg for arg in args if _NEGATIVE.match(arg) and arg.startswith(error.option_name)), None)
    if number is not None:
        error.message = f"{number} is not an option: amounts are positive (`deposit` puts money in, `withdraw` takes it out)"


def fail(message: str, code: int, kind: str | None = None) -> NoReturn:
    """One line on stderr — JSON under --json — and exit `code`; the JSON `type` is the
    class of error the library raises for the same case unless `kind` names another."""
    kind = kind or ("InputError" if code == EXIT_BAD_INPUT else "InvalidProof")
    ctx = click.get_current_context(silent=True)
    _error_line(message, code, kind, ctx is not None and bool(ctx.meta.get("zkmargin.json")))
    raise click.exceptions.Exit(code)


def in_cli_words(message: str) -> str:
    """`message` with the library's advice on what to pass instead (`Policy(...)`) replaced by
    the options and commands that do the same here: every refusal the command line shows,
    one-line errors and the reasons of a batch's or the ledger's verdicts, goes through this."""
    for library, command_line in _cli_advice().items():
        message = message.replace(library, command_line)
    return message


@functools.cache
def _cli_advice() -> dict[str, str]:
    # Built when the first message is shown, not at import: the key roles live with the
    # cryptography. Once: a batch's and a ledger's every reason goes through it.
    return {
        ALLOW_UNSIGNED_ADVICE: "or pass --allow-unsigned to accept params nobody vouches for",
        TRUST_KEY_ADVICE: "(on the command line --trust FILE, or $ZKMARGIN_TRUST)",
        **{new_key_advice(role): f"(make one with `zkmargin keys new --role {role}`)" for role in zm.KEY_ROLES},
    }


def _error_line(message: str, code: int, kind: str, as_json: bool) -> None:
    message = in_cli_words(message)
    if as_json:
        line = json.dumps({"error": {"type": kind, "message": message, "exit_code": code}})
    else:
        line = f"zkmargin: error: {shown(message)}"
    click.echo(line, err=True)


def load_trust(paths: Iterable[str | os.PathLike]) -> zm.Trust:
    """`zm.Trust.load`, naming on stderr each key whose file has no `roles` field: it is
    trusted for params and custody alike, which a custody key handed on without the field
    would silently gain."""
    trust = zm.Trust.load(tuple(paths))
    for key in trust.legacy_keys():
        click.echo(
            f"zkmargin: note: trusted key {key.key_id[:16]}… of {key.issuer!r} has no roles field, so it is "
            "trusted for params and custody; ask its owner for a file with roles (zkmargin keys show)",
            err=True,
        )
    return trust


def report_interrupted(as_json: bool) -> None:
    _error_line("interrupted", EXIT_INTERRUPTED, "KeyboardInterrupt", as_json)


_MAIN_PROCESS: int | None = None
"""The process running the command line (`run_interruptibly`); forked workers are not it."""


def _interrupt(_signal: int, _frame: Any) -> None:
    """SIGINT: KeyboardInterrupt in the command's process, a quiet exit in its workers.

    A Ctrl-C at the terminal reaches every process of the foreground group: the prover's
    partner and the --jobs pool, forked from this one, would each print a traceback. They
    write no files; this process reports once, shuts them down and exits 130.
    """
    if os.getpid() != _MAIN_PROCESS:
        os._exit(EXIT_INTERRUPTED)
    raise KeyboardInterrupt


def run_interruptibly(command: Callable[[], Any]) -> None:
    """Run the command line with Ctrl-C exiting 130 without a traceback, wherever it lands
    once the library is loaded: parsing, the command, or click's own code around them."""
    global _MAIN_PROCESS
    _MAIN_PROCESS = os.getpid()
    signal.signal(signal.SIGINT, _interrupt)
    try:
        command()
    except KeyboardInterrupt:
        report_interrupted(JSON_FLAG in sys.argv[1:])
        sys.exit(EXIT_INTERRUPTED)


def _select_backend(ctx: click.Context, _param: click.Parameter, name: str | None) -> None:
    if name is None:
        return
    import zkmargin.hazmat.groups as groups

    try:
        groups.use(name.lower())  # backends are named in lower case, as every choice is read in any case
    except zm.ZkMarginError as error:
        if ctx.meta.get("zkmargin.debug"):
            raise
        fail(f"--backend {name}: {error}", EXIT_BAD_INPUT)


backend_option = click.option(
    "--backend",
    metavar="|".join(_BACKENDS),
    callback=_select_backend,
    expose_value=False,
    help="Curve backend (default: $ZKMARGIN_BACKEND, else arkworks when installed).",
)


def set_debug(ctx: click.Context, _param: click.Parameter, debug: bool) -> None:
    ctx.meta["zkmargin.debug"] = debug


@contextmanager
def open_ledger(database: str | None) -> Iterator[Ledger]:
    """The ledger `--db` names, closed when the block ends."""
    # SQLAlchemy is paid for only by the commands that open a ledger.
    from zkmargin.venue.ledger import Ledger

    ledger = Ledger(database)
    try:
        yield ledger
    finally:
        ledger.close()


@contextmanager
def blame(path: Path) -> Iterator[None]:
    """Prefix an input error with the file it came from, when the message does not name it."""
    try:
        yield
    except zm.InputError as error:
        if str(path) in str(error):
            raise
        raise type(error)(f"{path}: {error}") from error


def refuse_existing(output: Path, force: bool) -> None:
    if output.exists() and not force:
        fail(f"{output} already exists; pass --force to overwrite it", EXIT_BAD_INPUT)


def interactive(stream: Any) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def emit_json(document: dict[str, Any]) -> None:
    click.echo(json.dumps(_json_ready(document), indent=2))


def respond(as_json: bool, document: dict[str, Any], text: str) -> None:
    """The command's answer: `document` as JSON with --json, else `text` for people."""
    if as_json:
        emit_json(document)
    else:
        click.echo(text)


def _json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    return value


def short_digest(digest: str) -> str:
    return f"{digest[:16]}…"


def table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]], align: str) -> str:
    """Columns padded to their widest cell; `align` has one "<" or ">" per column."""
    rows = [header, *rows]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = []
    for row in rows:
        cells = [
            cell.ljust(width) if side == "<" else cell.rjust(width)
            for cell, width, side in zip(row, widths, align)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
