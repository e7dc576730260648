"""The examples every `--help` shows, run: each help's example lines in order, in a fresh
workspace holding what a reader of that help has — the repository's examples/ and
circuits/, the venue's key pair and its signed params.json (trusted through
$ZKMARGIN_TRUST), alice's portfolio.json, her bucketed account pinned at the venue, a shocked
market, and a ledger holding the params, her account and a proof.

A line runs when every file it reads is there (in the workspace, or written by an earlier
line of the same help) and it would not overwrite one of the workspace's own files; it
must then exit 0. Reading is told from writing by the option's help ("… to write"). A line
with a placeholder value (`--challenge HEX`) or a server URL, and the demo
(tests/cli/test_demo.py), are left out; the lines newcomers tried must run. Every file under examples/ or circuits/ that any example names must exist.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import zkmargin as zm
from tests.cli.conftest import every_command
from tests.docs.doc_blocks import Block, _is_placeholder, commands, zkmargin_argvs
from tests.docs.doc_runner import ENV_CLEARED, SHELL_OPERATORS
from tests.docs.test_help_examples import example_lines
from zkmargin.cli import cli
from zkmargin.demo.scenery import CRASH_FACTOR

REPO = Path(__file__).resolve().parents[2]
FILE_SUFFIXES = {".json", ".toml", ".spn", ".xml", ".db", ".png", ".svg"}
REPO_FOLDERS = ("examples/", "circuits/")
NOT_RUN = {"demo"}
"""Commands whose examples only parse here: the demo takes a minute and is tested on its own."""
LISTED = (
    "XYZ", "XYZ 2026-12-18 80 P", "XYZ 2026-12-18 85 P", "XYZ 2027-03-19 90 P",
    "ES 2026-12-18", "SPX 2026-12-18 5800 P", "CL 2027-02", "CL 2027-02 65 P",
)
"""The venue's products: those the example portfolios hold, so their proofs take seconds."""
MUST_RUN = {
    "prove": "prove --params params.json --portfolio examples/portfolio.json --level initial --min-excess 400 -o proof.json",
    "monitor stress": "monitor stress --params stressed.json --trust venue-a.pub.json",
}
"""Lines a newcomer found broken: they must not drop out of the run unnoticed."""


def help_argvs(command: click.Command) -> list[list[str]]:
    """Every `zkmargin` call among the examples of `command`'s help, in order, each cut
    where the shell takes over (`> file`)."""
    text = "\n".join(part for part in (command.help, command.epilog) if part)
    block = Block(doc="help", line=0, lang="sh", body=example_lines(text))
    argvs = [argv for line in commands(block) for argv in zkmargin_argvs(line)]
    return [argv[: next((i for i, word in enumerate(argv) if word in SHELL_OPERATORS), len(argv))] for argv in argvs]


def leaf(argv: list[str]) -> tuple[click.Command, click.Context, list[str]]:
    """The command an argument vector runs, a context for it, and the words after its name."""
    command: click.Command = cli
    ctx = click.Context(cli, info_name="zkmargin")
    words = list(argv)
    while isinstance(command, click.Group) and words:
        name, words = words[0], words[1:]
        command = command.get_command(ctx, name)
        ctx = click.Context(command, info_name=name, parent=ctx)
    return command, ctx, words


def files_named(argv: list[str]) -> tuple[list[str], list[str]]:
    """(read, written): the file words of a call, split by whether their option writes them."""
    command, _ctx, words = leaf(argv)
    writes = {
        opt for param in command.params if isinstance(param, click.Option) and "to write" in (param.help or "")
        for opt in param.opts
    }
    read, written = [], []
    for before, word in zip([None, *words], words):
        if not (Path(word).suffix in FILE_SUFFIXES or word.endswith("/")):
            continue
        (written if before in writes else read).append(word)
    return read, written


def has_placeholder(argv: list[str]) -> bool:
    command, ctx, words = leaf(argv)
    values, _rest, _order = command.make_parser(ctx).parse_args(list(words))
    return any(_is_placeholder(param, values.get(param.name), ctx) for param in command.params)


@pytest.fixture(scope="module")
def reader_files(tmp_path_factory) -> Path:
    """What a reader of the help texts has, built once."""
    root = tmp_path_factory.mktemp("help-reader")
    for folder in REPO_FOLDERS:
        shutil.copytree(REPO / folder, root / folder)
    key = zm.new_key("venue-a", "params")
    key.save(root / "venue-a.key.json")
    key.public().save(root / "venue-a.pub.json")
    market = zm.Market.load(root / "examples" / "market.json").listing(LISTED)
    unsigned = zm.build_params(market, zm.MarginModel.load(root / "circuits" / "span.toml"))
    params = zm.sign_params(
        unsigned, key, epoch=7, valid_from=datetime.now(timezone.utc) - timedelta(hours=1), valid_for=timedelta(days=1)
    )
    params.save(root / "params.json")
    market.shocked(CRASH_FACTOR).save(root / "shocked-market.json")
    shutil.copy(root / "examples" / "portfolio.json", root / "portfolio.json")
    # alice keeps her books in buckets at the venue (prove --help pins them) ...
    commitments, openings = zm.open_account(zm.BucketedPortfolio.load(root / "examples" / "portfolio_buckets.json").merged(), params)
    commitments.save(root / "alice.account.json")
    openings.save(root / "alice.openings.json")
    (root / "inbox").mkdir()
    # ... and her latest proof, about the account alone, is the one the ledger holds
    zm.prove(zm.Portfolio.load(root / "portfolio.json"), params).save(root / "inbox" / "alice.proof.json")
    runner = CliRunner()
    env = {**ENV_CLEARED, "ZKMARGIN_TRUST": str(root / "venue-a.pub.json"), "ZKMARGIN_DB": str(root / "zkmargin.db")}
    for args in (
        ["ledger", "init"],
        ["ledger", "publish", "--params", str(root / "params.json")],
        ["ledger", "open", str(root / "alice.account.json")],
        ["ledger", "submit", str(root / "inbox")],
    ):
        result = runner.invoke(cli, args, env=env)
        assert result.exit_code == 0, result.output
    return root


def run_examples(name: str, command: click.Command, workspace: Path) -> list[str]:
    """Run the runnable examples of one help in `workspace`; what ran, or why a line failed."""
    own = {path.relative_to(workspace).as_posix() for path in workspace.rglob("*")}
    env = {**ENV_CLEARED, "ZKMARGIN_TRUST": "venue-a.pub.json"}
    ran = []
    for argv in help_argvs(command):
        read, written = files_named(argv)
        if (
            argv[0] in NOT_RUN
            or has_placeholder(argv)
            or any("://" in word for word in argv)
            or not all((workspace / path).exists() for path in read)
            or any(path.rstrip("/") in own for path in written)
        ):
            continue
        for path in written:  # an earlier line wrote it: this one writes it again
            (workspace / path).unlink(missing_ok=True)
        result = CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)
        shown = f"zkmargin {name} --help: `zkmargin {' '.join(argv)}`"
        assert result.exit_code == 0, f"{shown} exited {result.exit_code}:\n{result.output}"
        ran.append(" ".join(argv))
    return ran


EVERY_COMMAND = pytest.mark.parametrize(
    ("name", "command"),
    [pytest.param(" ".join(path), command, id=" ".join(path)) for path, command in every_command(cli)]
    + [pytest.param("", cli, id="zkmargin")],
)


@EVERY_COMMAND
def test_help_examples_exit_0_when_their_files_are_at_hand(name, command, reader_files, tmp_path, monkeypatch):
    workspace = tmp_path / "work"
    shutil.copytree(reader_files, workspace)
    monkeypatch.chdir(workspace)
    ran = run_examples(name, command, workspace)
    if name in MUST_RUN:
        assert MUST_RUN[name] in ran, f"zkmargin {name} --help: `zkmargin {MUST_RUN[name]}` did not run"


def test_help_examples_name_only_existing_repo_files_when_they_name_examples_or_circuits():
    named = {
        word
        for _path, command in [((), cli), *every_command(cli)]
        for argv in help_argvs(command)
        for word in argv
        if word.startswith(REPO_FOLDERS)
    }
    assert named, "no example names a file of examples/ or circuits/"
    assert sorted(word for word in named if not (REPO / word).exists()) == []


def test_files_named_split_reads_from_writes_when_an_option_writes():
    argv = ["prove", "--params", "params.json", "--portfolio", "examples/portfolio.json", "-o", "proof.json"]
    assert files_named(argv) == (["params.json", "examples/portfolio.json"], ["proof.json"])
    assert files_named(["ledger", "submit", "inbox/"]) == (["inbox/"], [])
