import json
import os

import pytest
from sqlalchemy import select

from tests.conftest import deliver
from zkmargin.errors import InputError
from zkmargin.files import files_under
from zkmargin.venue.intake import QUOTED, submit
from zkmargin.venue.schema import proofs


def rows(ledger):
    with ledger.transaction() as connection:
        query = select(proofs.c.file, proofs.c.account, proofs.c.status, proofs.c.superseded).order_by(proofs.c.id)
        return [tuple(row) for row in connection.execute(query)]


def test_submit_records_one_row_per_file_when_junk_sits_among_proofs(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json", "deep/er/alice.json")
    bob = json.loads((venue_files / "bob.first.proof.json").read_text())
    bob["commitments"][0] = json.loads((venue_files / "alice.first.proof.json").read_text())["commitments"][0]
    (inbox / "bob.json").write_text(json.dumps(bob))
    (inbox / "notes.txt").write_text("not a proof")
    deliver(venue_files, inbox, "alice.stressed.proof.json", "stale.json")
    report = submit(ledger, [inbox])
    by_file = {os.path.relpath(row.file, inbox): row for row in report.rows}
    assert {name: row.status for name, row in by_file.items()} == {
        "deep/er/alice.json": "valid",
        "bob.json": "invalid",
        "notes.txt": "bad input",
        "stale.json": "bad input",
    }
    assert "differs from what the venue holds for 'bob'" in by_file["bob.json"].reason
    assert "malformed JSON" in by_file["notes.txt"].reason
    assert "never published" in by_file["stale.json"].reason
    assert report.silent == ["carol"]
    assert len(rows(ledger)) == 4


def test_submit_records_a_fifo_as_bad_input_unread_when_one_sits_in_the_inbox(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    os.mkfifo(inbox / "pipe.json")  # reading it would block the intake of every other file
    report = submit(ledger, [inbox])
    assert {(os.path.basename(row.file), row.status, row.reason) for row in report.rows} == {
        ("alice.first.proof.json", "valid", None),
        ("pipe.json", "bad input", f"{inbox / 'pipe.json'}: not a regular file"),
    }


def test_submit_supersedes_older_proof_when_account_sends_again(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json", mtime=1_000)
    deliver(venue_files, inbox, "alice.second.proof.json", mtime=2_000)
    submit(ledger, [inbox])
    assert [(os.path.basename(f), s, old) for f, _, s, old in rows(ledger)] == [
        ("alice.first.proof.json", "valid", True),
        ("alice.second.proof.json", "valid", False),
    ]


def test_submit_skips_recorded_files_when_run_again(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    deliver(venue_files, inbox, "bob.first.proof.json")
    first = submit(ledger, [inbox])
    deliver(venue_files, inbox, "alice.first.proof.json", "copy/of-alice.json")
    second = submit(ledger, [inbox])
    assert first.count("valid") == 2
    assert [row.status for row in second.rows] == ["already recorded"] * 3
    assert len(rows(ledger)) == 2


def test_submit_names_missing_path_when_absent(venue, tmp_path):
    ledger, _ = venue
    with pytest.raises(InputError, match="nowhere: no such file or directory"):
        submit(ledger, [tmp_path / "nowhere"])


def test_files_under_walks_subdirectories_when_given_a_directory(tmp_path):
    for name in ("a.json", "x/b.json", "x/y/c.txt", ".hidden/d.json", "x/.e.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = {os.path.relpath(path, tmp_path) for path in files_under([tmp_path])}
    assert found == {"a.json", "x/b.json", "x/y/c.txt"}


def test_files_under_lists_links_to_files_but_does_not_enter_a_link_to_a_directory_when_walking(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.json").write_text("{}")
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "linked.json").symlink_to(tmp_path / "real" / "a.json")
    (tmp_path / "inbox" / "dangling.json").symlink_to(tmp_path / "nowhere")
    (tmp_path / "inbox" / "folder").symlink_to(tmp_path / "real")
    found = {os.path.relpath(path, tmp_path) for path in files_under([tmp_path / "inbox"])}
    assert found == {"inbox/linked.json", "inbox/dangling.json"}


def test_submit_records_a_reason_cut_and_escaped_when_a_refused_file_quotes_a_long_key(venue, venue_files):
    ledger, inbox = venue
    bob = json.loads((venue_files / "bob.first.proof.json").read_text())
    bob["\x1b" + "k" * 5_000] = 1
    (inbox / "bob.json").write_text(json.dumps(bob))
    [row] = submit(ledger, [inbox]).rows
    with ledger.transaction() as connection:
        recorded = connection.execute(select(proofs.c.reason, proofs.c.statement)).one()
    assert recorded == (row.reason, None)
    assert row.reason.startswith(f"{inbox / 'bob.json'}: \\x1bkkk")
    assert row.reason.endswith("k…")
    assert len(row.reason) == len(str(inbox / "bob.json")) + QUOTED + len("\\x1b") - 1
