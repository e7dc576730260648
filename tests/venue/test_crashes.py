"""Concurrency and crashes: parallel writers, and kill -9 in the middle of an intake."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

import zkmargin as zm
from zkmargin.hazmat.generators import PedersenGens
from zkmargin.hazmat.groups import Point
from zkmargin.proofs.proof_file import decode_base64
from zkmargin.venue.intake import submit
from zkmargin.venue.ledger import Ledger
from zkmargin.venue.schema import proofs

REPO = Path(__file__).resolve().parents[2]


def _deposit(url: str, reference: str, cents: int) -> str:
    ledger = Ledger(url)
    try:
        ledger.deposit("alice", Decimal(cents) / 100, reference)
        return "credited"
    except zm.ReplayedMovement:
        return "refused"
    finally:
        ledger.close()


def test_ledger_deposits_land_exactly_once_when_sent_from_parallel_processes(venue):
    ledger, _ = venue
    url = ledger.url
    before = Point.from_bytes(decode_base64(ledger.account("alice").commitments.collateral))
    work = [(url, f"wire-{n}", 100 + n) for n in range(24)] + [(url, "wire-0", 100)] * 4
    with multiprocessing.get_context("fork").Pool(6) as pool:
        outcomes = pool.starmap(_deposit, work)
    assert outcomes.count("credited") == 24 and outcomes.count("refused") == 4
    credited = sum(100 + n for n in range(24))
    after = Point.from_bytes(decode_base64(ledger.account("alice").commitments.collateral))
    assert after == before + credited * PedersenGens().B
    assert sorted(m.reference for m in ledger.movements()) == sorted(f"wire-{n}" for n in range(24))


def _proof_count(ledger: Ledger) -> int:
    with ledger.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(proofs)).scalar_one()


def test_ledger_submit_rerun_finishes_when_killed_mid_intake(venue, venue_files):
    ledger, inbox = venue
    text = (venue_files / "bob.first.proof.json").read_text()
    files = 30
    for n in range(files):  # the same proof, distinct bytes: each file is new to the ledger
        path = inbox / f"bob-{n:02d}.json"
        path.write_text(text + " " * n)
        os.utime(path, (1_000 + n, 1_000 + n))
    command = [sys.executable, "-m", "zkmargin", "ledger", "submit", str(inbox), "--chunk", "4", "--db", ledger.url]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _proof_count(ledger) < 8 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    recorded = _proof_count(ledger)
    assert 8 <= recorded < files and recorded % 4 == 0  # whole chunks only

    report = submit(ledger, [inbox])
    assert report.count("already recorded") == recorded
    assert report.count("valid") == files - recorded
    with ledger.engine.connect() as connection:
        rows = connection.execute(select(proofs.c.file, proofs.c.superseded).order_by(proofs.c.id)).all()
    assert len(rows) == files
    assert [Path(file).name for file, superseded in rows if not superseded] == [f"bob-{files - 1:02d}.json"]
