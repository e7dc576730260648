"""Concurrency and crashes: parallel writers, and kill -9 in the middle of an intake."""

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
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
    assert ledger.account("alice").book_version == 24  # each movement raised it once, under the row lock


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


def _current_valid(ledger: Ledger) -> list[tuple[str, str]]:
    with ledger.engine.connect() as connection:
        query = select(proofs.c.file, proofs.c.account).where(proofs.c.status == "valid", proofs.c.superseded.is_(False))
        return sorted((os.path.basename(file), account) for file, account in connection.execute(query))


def test_ledger_submit_records_each_file_once_when_two_intakes_race(venue, venue_files, monkeypatch):
    ledger, inbox = venue
    for name in ("alice.first.proof.json", "bob.first.proof.json"):
        shutil.copy(venue_files / name, inbox / name)
    # Both intakes read what the ledger holds before either verifies and writes: cron's overlap.
    both_have_read = threading.Barrier(2, timeout=60)
    verify_batch = zm.verify_batch

    def verify_once_both_have_read(*args, **kwargs):
        both_have_read.wait()
        return verify_batch(*args, **kwargs)

    monkeypatch.setattr(zm, "verify_batch", verify_once_both_have_read)
    reports, errors = [], []

    def intake() -> None:
        own = Ledger(ledger.url)  # its own engine: separate connections, as two processes have
        try:
            reports.append(submit(own, [inbox]))
        except Exception as error:  # noqa: BLE001 - the assertion below shows it
            errors.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=intake) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted((report.count("valid"), report.count("already recorded")) for report in reports) == [(0, 2), (2, 0)]
    assert _proof_count(ledger) == 2
    assert _current_valid(ledger) == [("alice.first.proof.json", "alice"), ("bob.first.proof.json", "bob")]
