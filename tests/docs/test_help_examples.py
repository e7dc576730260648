"""The examples every `--help` shows: each `zkmargin` line of each command's help text and
epilog parses against the real click group, as the docs' command lines do
(tests/docs/test_docs_run.py). A value written as its option's metavar (`--challenge HEX`)
is a placeholder; `# …` starts a comment."""

from __future__ import annotations

import re

import click
import pytest

from tests.cli.conftest import every_command
from tests.docs.doc_blocks import (
    Block,
    commands,
)
from tests.docs.doc_runner import line_problems
from zkmargin.cli import cli

_EXAMPLE = re.compile(r"^\s*(?:[A-Z][\w ]*:\s+)?(?:\$ )?(zkmargin\s.*)$")
"""An example line: `zkmargin …`, maybe after a prompt or a label such as `Venue:`."""


def example_lines(text: str) -> list[str]:
    """The example command lines of a help text, `\\` continuations joined."""
    lines, joining = [], False
    for line in text.splitlines():
        if joining:
            lines[-1] = lines[-1][:-1].rstrip() + " " + line.strip()
        else:
            found = _EXAMPLE.match(line)
            if found is None:
                continue
            lines.append(found.group(1).rstrip())
        joining = lines[-1].endswith("\\")
    return lines


def help_problems(name: str, command: click.Command) -> list[str]:
    """Every example line of `command`'s help that does not parse, naming the command."""
    text = "\n".join(part for part in (command.help, command.epilog) if part)
    block = Block(doc=f"zkmargin {name} --help".replace("  ", " "), line=0, lang="sh", body=example_lines(text))
    return [problem for example in commands(block) for problem in line_problems(example, cli, block.doc)]


EVERY_COMMAND = pytest.mark.parametrize(
    ("name", "command"), [pytest.param(name, command, id=name or "zkmargin") for name, command in [("", cli), *((" ".join(path), command) for path, command in every_command(cli))]]
)


@EVERY_COMMAND
def test_help_examples_parse_when_read_from_each_command(name: str, command: click.Command) -> None:
    assert not help_problems(name, command), "\n".join(help_problems(name, command))


@EVERY_COMMAND
def test_help_shows_an_example_when_a_command_is_listed(name: str, command: click.Command) -> None:
    assert example_lines("\n".join(part for part in (command.help, command.epilog) if part)), f"zkmargin {name} --help shows no example"


def test_example_lines_join_continuations_and_skip_prose_when_help_mixes_them() -> None:
    text = "Examples:\n  zkmargin prove --params p.json \\\n      -o proof.json\nThe venue's key.\nVenue:   zkmargin verify x.json"
    assert example_lines(text) == ["zkmargin prove --params p.json -o proof.json", "zkmargin verify x.json"]


def test_help_problems_name_the_command_and_option_when_an_example_drifts() -> None:
    drifted = click.Command("prove", epilog="  zkmargin prove --params p.json --portfolio f.json --no-such-option -o proof.json")
    (problem,) = help_problems("prove", drifted)
    assert problem.startswith("zkmargin prove --help: `zkmargin prove --params p.json") and "--no-such-option" in problem
