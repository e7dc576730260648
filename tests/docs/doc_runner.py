"""Running the docs' blocks: commands parsed against the click group, shell blocks typed into
one workspace, python blocks executed in one namespace (tests/docs/doc_blocks.py reads them)."""

from __future__ import annotations

import shutil
import traceback
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import zkmargin as zm
from tests.docs.doc_blocks import (
    CONSOLE,
    PYTHON,
    SHELL,
    Block,
    Command,
    DocError,
    check_classified,
    commands,
    output_problem,
    parse_with_click,
    split_sequence,
    zkmargin_argvs,
)

ENV_CLEARED = {"ZKMARGIN_TRUST": None, "ZKMARGIN_DB": None, "ZKMARGIN_BACKEND": None}
"""The developer's own settings must not leak into what a newcomer's shell would do."""


def command_problems(blocks: list[Block], group: click.Group) -> list[str]:
    """Every block that cannot be classified and every `zkmargin` line that does not parse,
    each naming the document, the line and the command."""
    problems = []
    for block in blocks:
        try:
            check_classified(block)
        except DocError as error:
            problems.append(str(error))
            continue
        if block.lang not in SHELL | {CONSOLE}:
            continue
        for command in commands(block):
            problems += line_problems(command, group, command.where)
    return problems


SHELL_OPERATORS = ("|", ">", ">>", "2>", "<")
"""Where a `zkmargin` call's own words end on a line (what follows goes to the shell)."""


def line_problems(command: Command, group: click.Group, where: str) -> list[str]:
    """Why each `zkmargin` call on a command line does not parse, each naming `where`."""
    try:
        argvs = zkmargin_argvs(command)
    except (DocError, ValueError) as error:
        return [f"{where}: {error}"]
    problems = []
    for argv in argvs:
        words = argv[: next((i for i, word in enumerate(argv) if word in SHELL_OPERATORS), len(argv))]
        try:
            parse_with_click(group, words)
        except click.UsageError as error:
            problems.append(f"{where}: `zkmargin {' '.join(words)}`: {error.format_message()}")
    return problems


class Shell:
    """The few shell words the docs use: `zkmargin` (run in this process, in the current
    directory), `export`, `cp` and `mkdir -p`; anything else belongs in a block marked not run."""

    def __init__(self, root: Path, group: click.Group) -> None:
        self.root = root
        self.group = group
        self.env: dict[str, str | None] = dict(ENV_CLEARED)
        self.runner = CliRunner()

    def run_blocks(self, blocks: list[Block]) -> None:
        for block in blocks:
            if block.runs and block.lang in SHELL | {CONSOLE}:
                for command in commands(block):
                    self.run(command)

    def run(self, command: Command) -> None:
        if command.is_synopsis:
            raise DocError(f"{command.where}: a synopsis cannot run: mark its block <!-- not run: REASON -->")
        for part in split_sequence(command.words):
            verb = part[0]
            if verb == "export" and len(part) == 2 and "=" in part[1]:
                name, value = part[1].split("=", 1)
                self.env[name] = value
            elif verb == "cp" and len(part) == 3:
                shutil.copy(self.root / part[1], self.root / part[2])
            elif verb == "mkdir" and part[1:2] == ["-p"]:
                for folder in part[2:]:
                    (self.root / folder).mkdir(parents=True, exist_ok=True)
            elif verb == "zkmargin" or part[:3] == ["python", "-m", "zkmargin"]:
                self._zkmargin(command, part[1:] if verb == "zkmargin" else part[3:])
            else:
                raise DocError(f"{command.where}: cannot run `{' '.join(part)}`: mark its block <!-- not run: REASON -->")

    def _zkmargin(self, command: Command, args: list[str]) -> None:
        result = self.runner.invoke(self.group, args, env=self.env, catch_exceptions=True)
        shown = f"`zkmargin {' '.join(args)}`"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            trace = "".join(traceback.format_exception(result.exception))
            raise DocError(f"{command.where}: {shown} raised:\n{trace}")
        if result.exit_code != 0:
            raise DocError(f"{command.where}: {shown} exited {result.exit_code}:\n{result.output}")
        if command.output:
            problem = output_problem(command.output, result.output)
            if problem:
                raise DocError(f"{command.where}: {shown}: {problem}\n--- output:\n{result.output}")


def run_python(blocks: list[Block]) -> None:
    """The runnable python blocks in order, in one namespace; a traceback names the
    document's own lines. A block marked `raises: NAME` must raise `zkmargin.NAME`."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks:
        if not (block.runs and block.lang == PYTHON):
            continue
        code = compile(block.source, block.doc, "exec")
        expected = block.markers.get("raises")
        if expected is None:
            exec(code, namespace)
            continue
        with pytest.raises(getattr(zm, expected)):
            exec(code, namespace)
