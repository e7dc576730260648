"""The docs run: README.md and docs/*.md, as a newcomer would type them.

Every `zkmargin` command line of every shell or console block is parsed against the real
click group; each document's runnable shell blocks then run in order in one fresh
workspace (a copy of examples/ and circuits/), and its python blocks in order in one
namespace in another. What runs and what is only shown is said by the Markdown itself
(tests/docs/doc_blocks.py).
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

import zkmargin as zm
from tests.docs.doc_blocks import CONSOLE, PYTHON, SHELL, Block, read_blocks
from tests.docs.doc_runner import Shell, command_problems, run_python
from zkmargin.cli import cli
from zkmargin.demo import scenery

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SLOW = {
    ("README.md", "python"): "proves a 28-instrument span book three ways, one of them in 4 buckets",
}
"""Sessions left to `-m slow`, with why; every other session runs by default."""


def _blocks(doc: Path) -> list[Block]:
    return read_blocks(doc, REPO)


def _session(doc: Path, kind: str):
    name = doc.relative_to(REPO).as_posix()
    marks = [pytest.mark.slow] if (name, kind) in SLOW else []
    return pytest.param(doc, marks=marks, id=name)


def _runs(doc: Path, kind: str) -> bool:
    langs = SHELL | {CONSOLE} if kind == "shell" else {PYTHON}
    return any(block.runs and block.lang in langs for block in _blocks(doc))


@pytest.mark.parametrize("doc", DOCS, ids=[doc.relative_to(REPO).as_posix() for doc in DOCS])
def test_docs_commands_parse_when_read_from_each_document(doc: Path) -> None:
    problems = command_problems(_blocks(doc), cli)
    assert not problems, "\n".join(problems)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch) -> Path:
    """A fresh directory holding examples/ and circuits/, as the current directory."""
    for folder in ("examples", "circuits"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


SHELL_DOCS = [_session(doc, "shell") for doc in DOCS if _runs(doc, "shell")]
PYTHON_DOCS = [_session(doc, "python") for doc in DOCS if _runs(doc, "python")]


@pytest.mark.parametrize("doc", SHELL_DOCS)
def test_docs_shell_blocks_run_in_order_when_typed_into_one_workspace(doc: Path, workspace: Path) -> None:
    Shell(workspace, cli).run_blocks(_blocks(doc))


@pytest.mark.parametrize("doc", PYTHON_DOCS)
def test_docs_python_blocks_run_in_order_when_executed_in_one_namespace(doc: Path, workspace: Path) -> None:
    run_python(_blocks(doc))


def test_walkthrough_portfolio_file_holds_the_demo_traders_book_when_loaded() -> None:
    book = zm.Portfolio.load(REPO / "examples" / "portfolio_walkthrough.json")
    assert (book.account, book.cash) == (scenery.TRADER, scenery.TRADER_CASH)
    assert {name: Decimal(quantity) for name, quantity in book.positions.items()} == scenery.TRADER_POSITIONS


def test_docs_slow_sessions_name_a_session_that_runs_when_listed() -> None:
    names = {doc.relative_to(REPO).as_posix(): doc for doc in DOCS}
    assert all(name in names and _runs(names[name], kind) for name, kind in SLOW)
