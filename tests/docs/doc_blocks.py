"""The fenced blocks of the Markdown docs, classified, and the `zkmargin` command lines in them.

How a block is read is decided by the Markdown alone, never guessed:

- its language tag: `bash`/`sh` (shell commands), `console` (`$ ` command lines, each
  followed by the output the docs promise), `python`; `text`, `json` and `toml` are shown,
  never run (a json block must still be JSON); any other tag, or none, is an error;
- an HTML comment on the line right before the fence: `<!-- not run: REASON -->` keeps a
  shell, console or python block from running (its command lines are still parsed against
  the CLI), `<!-- raises: NAME -->` says a python block raises `zkmargin.NAME`.

Shell blocks may write synopses, which are parsed and never run: `[...]` for an optional
part, `a | b` inside brackets for alternatives, `x|y` for alternative values, `…` for
"repeatable", and an option's value written as its metavar (`--jobs N`) as a placeholder.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import click

SHELL = frozenset({"bash", "sh"})
CONSOLE = "console"
PYTHON = "python"
SHOWN = frozenset({"text", "json", "toml"})
RUNNABLE = SHELL | {CONSOLE, PYTHON}
MARKERS = ("not run", "raises")

_FENCE = re.compile(r"^(\s*)```(.*)$")
_MARKER = re.compile(r"^\s*<!--\s*([a-z ]+?)\s*:\s*(.*?)\s*-->\s*$")
_PROMPT = "$ "
_ELLIPSIS = "…"
_SYNOPSIS = re.compile(r"[\[\]…]|\S\|\S| \| ")


class DocError(AssertionError):
    """A block the docs check cannot classify, or a command that does not parse or run."""


@dataclass
class Block:
    doc: str
    line: int
    """Line of the opening fence, 1-based."""
    lang: str
    body: list[str]
    markers: dict[str, str] = field(default_factory=dict)
    indent: str = ""
    """The fence's indentation (a block inside a list item), taken off every line."""

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.lang in RUNNABLE and "not run" not in self.markers

    @property
    def source(self) -> str:
        """The body, padded so a traceback's line numbers are the document's."""
        return "\n" * self.line + "\n".join(self.body) + "\n"


@dataclass
class Command:
    block: Block
    line: int
    text: str
    output: list[str] = field(default_factory=list)
    """The lines a console block shows after the command."""

    @property
    def where(self) -> str:
        return f"{self.block.doc}:{self.line}"

    @property
    def words(self) -> list[str]:
        try:
            return shlex.split(self.text, comments=True)
        except ValueError as error:
            raise DocError(f"{self.where}: cannot split `{self.text}`: {error}") from None

    @property
    def is_synopsis(self) -> bool:
        return bool(_SYNOPSIS.search(self.text.split(" #")[0]))


def read_blocks(path: Path, root: Path) -> list[Block]:
    """Every fenced block of `path`, with the marker comments right before it."""
    doc = path.relative_to(root).as_posix()
    blocks: list[Block] = []
    pending: dict[str, str] = {}
    pending_line = 0
    current: Block | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fence = _FENCE.match(line)
        if current is not None:
            if fence and not fence.group(2).strip():
                blocks.append(current)
                current = None
            else:
                current.body.append(line.removeprefix(current.indent))
            continue
        if fence:
            current = Block(doc, number, fence.group(2).strip(), [], pending, fence.group(1))
            pending = {}
            continue
        marker = _MARKER.match(line)
        if marker:
            key, value = marker.groups()
            if key not in MARKERS or not value:
                raise DocError(f"{doc}:{number}: unknown marker {line.strip()!r}: use <!-- not run: REASON --> or <!-- raises: NAME -->")
            pending, pending_line = {**pending, key: value}, number
        elif pending and line.strip():
            raise DocError(f"{doc}:{pending_line}: a marker must sit on the line right before a ``` block")
    if current is not None:
        raise DocError(f"{current.where}: block never closed")
    if pending:
        raise DocError(f"{doc}:{pending_line}: a marker with no block after it")
    return blocks


def check_classified(block: Block) -> None:
    """Refuse a block whose tag or markers do not say how to treat it."""
    if block.lang not in RUNNABLE | SHOWN:
        raise DocError(
            f"{block.where}: block tagged {block.lang!r}: tag it bash, console or python (run), "
            f"or text, json or toml (shown only)"
        )
    if block.markers and block.lang in SHOWN:
        raise DocError(f"{block.where}: a {block.lang} block is never run: drop the marker")
    if "raises" in block.markers and block.lang != PYTHON:
        raise DocError(f"{block.where}: only a python block may say what it raises")
    if block.lang in SHOWN and any(_is_zkmargin_line(line.removeprefix(_PROMPT)) for line in block.body):
        raise DocError(f"{block.where}: a zkmargin command in a {block.lang} block: tag it bash or console")
    if block.lang == "json":
        try:
            json.loads("\n".join(block.body))
        except json.JSONDecodeError as error:
            raise DocError(f"{block.where}: not JSON: {error}") from None


def _is_zkmargin_line(line: str) -> bool:
    return line.startswith(("zkmargin ", "python -m zkmargin "))


def commands(block: Block) -> list[Command]:
    """The command lines of a shell or console block (`\\` continuations joined)."""
    found: list[Command] = []
    joining: Command | None = None
    for offset, line in enumerate(block.body, 1):
        number = block.line + offset
        if joining is not None:
            joining.text += " " + line.strip()
        elif block.lang == CONSOLE and not line.startswith(_PROMPT):
            if not found:
                raise DocError(f"{block.doc}:{number}: output before any `$ ` command line")
            found[-1].output.append(line)
            continue
        else:
            text = line.removeprefix(_PROMPT).strip() if block.lang == CONSOLE else line.strip()
            if not text or text.startswith("#"):
                continue
            joining = Command(block, number, text)
            found.append(joining)
        if joining.text.endswith("\\"):
            joining.text = joining.text[:-1].rstrip()
        else:
            joining = None
    return found


def zkmargin_argvs(command: Command) -> list[list[str]]:
    """The argument vectors of every `zkmargin` call on the line (after `&&` too), synopses
    expanded into each variant they allow."""
    argvs = []
    for words in split_sequence(command.words):
        if words[:1] == ["zkmargin"]:
            args = words[1:]
        elif words[:3] == ["python", "-m", "zkmargin"]:
            args = words[3:]
        else:
            continue
        argvs.extend(_variants(args))
    return argvs


def split_sequence(words: list[str]) -> list[list[str]]:
    """The simple commands of a line: its words cut at `&&` and `;`."""
    parts: list[list[str]] = [[]]
    for word in words:
        if word in ("&&", ";"):
            parts.append([])
        else:
            parts[-1].append(word)
    return [part for part in parts if part]


def _variants(words: list[str]) -> list[list[str]]:
    """Every optional part included; one variant per alternative (`[a | b]`, `x|y`)."""
    tokens: list[str] = []
    for word in words:
        opened = len(word) - len(word.lstrip("["))
        closed = len(word) - len(word.rstrip("]"))
        core = word[opened:len(word) - closed]
        tokens += ["["] * opened + ([core] if core and core != _ELLIPSIS else []) + ["]"] * closed
    choices, rest = _sequence(tokens, 0)
    if rest != len(tokens):
        raise ValueError(f"unbalanced brackets in {' '.join(words)!r}")
    return choices


def _sequence(tokens: list[str], at: int) -> tuple[list[list[str]], int]:
    """Variants of the tokens from `at` up to a closing `]` or `|` of the enclosing group."""
    variants: list[list[str]] = [[]]
    while at < len(tokens) and tokens[at] not in ("]", "|"):
        if tokens[at] == "[":
            options, at = _sequence(tokens, at + 1)
            while at < len(tokens) and tokens[at] == "|":
                more, at = _sequence(tokens, at + 1)
                options += more
            if at == len(tokens):
                raise ValueError("a [ is never closed")
            at += 1
        else:
            options = [[value] for value in _values(tokens[at])]
            at += 1
        variants = [head + tail for head, tail in itertools.product(variants, options)]
    return variants, at


def _values(word: str) -> list[str]:
    """`x|y` is two alternative values; a URL or a metavar such as `PATH|URL` is kept whole
    (metavars are recognised by the parser)."""
    if "|" in word and word.upper() != word and "://" not in word:
        return word.split("|")
    return [word]


def parse_with_click(group: click.Group, args: list[str]) -> None:
    """Parse `args` as the command line would, down to the leaf command, without running it:
    unknown commands and options, missing values and required options, and values their type
    or callback refuses raise click's usage errors. A value written as its option's own
    metavar is a placeholder and is not converted."""
    command: click.Command = group
    parent: click.Context | None = None
    name = "zkmargin"
    while True:
        ctx = click.Context(command, info_name=name, parent=parent)
        parser = command.make_parser(ctx)
        values, rest, _order = parser.parse_args(list(args))
        for param in command.get_params(ctx):
            if getattr(param, "is_eager", False) and values.get(param.name):
                return  # --help, --version: click prints and exits there
            if _is_placeholder(param, values.get(param.name), ctx):
                continue
            param.handle_parse_result(ctx, values, [])
        if not isinstance(command, click.Group):
            if rest:
                raise click.UsageError(f"unexpected extra arguments: {' '.join(rest)}", ctx)
            return
        if not rest:
            raise click.UsageError("missing command", ctx)
        name, args = rest[0], rest[1:]
        sub = command.get_command(ctx, name)
        if sub is None:
            raise click.UsageError(f"no such command {name!r}", ctx)
        command, parent = sub, ctx


def _is_placeholder(param: click.Parameter, value, ctx: click.Context) -> bool:
    if value is None:
        return False
    metavar = param.metavar or param.make_metavar(ctx)
    written = value if isinstance(value, (list, tuple)) else [value]
    return any(str(item).rstrip(".") == metavar.rstrip(".") for item in written)


def output_problem(expected: list[str], actual: str) -> str | None:
    """Why `actual` does not show what the docs promise, or None.

    Lines are compared with runs of spaces collapsed. A line starting with `…` stands for
    any number of lines; between such gaps the shown lines must appear together and in
    order, and without a gap at either end the output must start (or end) there too.
    """
    got = [_squeeze(line) for line in actual.splitlines()]
    pieces: list[list[str]] = [[]]
    for line in expected:
        if line.lstrip().startswith(_ELLIPSIS):
            pieces.append([])
        else:
            pieces[-1].append(_squeeze(line))
    at = 0
    for index, piece in enumerate(pieces):
        if not piece:
            continue
        anchored_start = index == 0
        anchored_end = index == len(pieces) - 1
        starts = [at] if anchored_start else range(at, len(got) - len(piece) + 1)
        found = next((s for s in starts if got[s:s + len(piece)] == piece), None)
        if found is None or (anchored_end and found + len(piece) != len(got)):
            return _first_difference(piece, got[at:])
        at = found + len(piece)
    return None


def _squeeze(line: str) -> str:
    return " ".join(line.split())


def _first_difference(piece: list[str], got: list[str]) -> str:
    missing = next((line for line in piece if line not in got), None)
    if missing is not None:
        return f"the docs show {missing!r}, the output has no such line"
    return f"the docs show these lines together and in this order, the output does not: {piece}"
