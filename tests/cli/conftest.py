"""Shared files for the CLI tests: a small listed market, its params, portfolios, proofs.

The market keeps three instruments of examples/market.json so each proof takes about a
second; proofs are made once per session and copied into each test's directory.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import zkmargin as zm
from zkmargin.cli import cli

REPO = Path(__file__).resolve().parents[2]
LISTED = ("XYZ", "XYZ 2026-12-18 100 C", "MES 2026-12-18")
MODEL = "portfolio_margin"
"""The model of the shared params: 20 scenarios over two underlyings keep each proof small."""
OTHER_MODEL = "span"
COVERED_CALL = {"XYZ": 100, "XYZ 2026-12-18 100 C": -1, "MES 2026-12-18": 1}


@pytest.fixture(scope="session")
def shared(tmp_path_factory) -> Path:
    """market.json, params.json, portfolios, their proofs, and alice's pinned account files."""
    root = tmp_path_factory.mktemp("cli-shared")
    market = json.loads((REPO / "examples" / "market.json").read_text())
    market["instruments"] = {name: market["instruments"][name] for name in LISTED}
    market["underlyings"] = {name: market["underlyings"][name] for name in ("XYZ", "SPX")}
    (root / "market.json").write_text(json.dumps(market))
    unsigned = zm.build_params(
        zm.Market.load(root / "market.json"),
        zm.MarginModel.load(REPO / "circuits" / f"{MODEL}.toml"),
    )
    unsigned.save(root / "unsigned.params.json")
    params = zm.sign_params(unsigned, venue_key(tmp_path_factory), epoch=1,
                            valid_from=datetime.now(timezone.utc) - timedelta(hours=1), valid_for=timedelta(days=30))
    params.save(root / "params.json")
    write_portfolio(root / "meets.json", "alice", 10000, COVERED_CALL)
    write_portfolio(root / "bob.json", "bob", 20000, {"XYZ": 200})
    write_portfolio(root / "short.json", "carol", 0, {"XYZ 2026-12-18 100 C": -10})
    for name in ("meets", "bob"):
        proof = zm.prove(zm.Portfolio.load(root / f"{name}.json"), params)
        proof.save(root / f"{name}.proof.json")
    alice = zm.Portfolio.load(root / "meets.json")
    commitments, openings = zm.open_account(alice, params)
    commitments.save(root / "alice.account.json")
    openings.save(root / "alice.openings.json")
    zm.prove(alice, params, openings=openings).save(root / "alice.pinned.proof.json")
    return root


_VENUE_KEY: list[zm.SigningKey] = []


def venue_key(tmp_path_factory) -> zm.SigningKey:
    """The venue's signing key for the session; its public key is in TRUST_DIR."""
    if not _VENUE_KEY:
        _VENUE_KEY.append(zm.new_key("venue-a", "params"))
        trust = tmp_path_factory.mktemp("trust")
        _VENUE_KEY[0].public().save(trust / "venue-a.pub.json")
        _VENUE_KEY.append(trust)
    return _VENUE_KEY[0]


@pytest.fixture
def workdir(shared: Path, tmp_path: Path, monkeypatch) -> Path:
    """A fresh copy of the shared files as the current directory; the venue's public key is
    trusted through $ZKMARGIN_TRUST, as a user who trusts one venue would set it."""
    for path in shared.iterdir():
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZKMARGIN_TRUST", str(_VENUE_KEY[1]))
    return tmp_path


@pytest.fixture
def invoke():
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, list(args), prog_name="zkmargin")

    return run


def every_command(group: click.Group, path: tuple[str, ...] = ()):
    """(path, command) for every command under `group`, groups included, in help order: through
    `list_commands`/`get_command`, so the lazily loaded ones are walked too."""
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


def write_portfolio(path: Path, account: str, cash: int, positions: dict) -> None:
    path.write_text(json.dumps({"account": account, "cash": cash, "positions": positions}))


def edit_proof(source: Path, target: Path, change) -> None:
    """Copy a proof file with `change(data)` applied to its parsed JSON."""
    data = json.loads(source.read_text())
    change(data)
    target.write_text(json.dumps(data))
