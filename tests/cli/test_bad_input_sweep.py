"""The outside sweep: hostile variants of every file a command reads (tests/cli/conftest.py's
files, mutated) get one line naming the file and exit 2, or a `bad input` row from ledger
intake; never a traceback, never an unbounded read, never a half-written output."""

from __future__ import annotations

import json
import os

from zkmargin.files import MAX_FILE_BYTES


def ledger_with_params(invoke) -> None:
    """A SQLite ledger, ledger.db in the working directory, with the shared params published."""
    for args in (("init",), ("publish", "--params", "params.json")):
        assert invoke("ledger", *args, "--db", "ledger.db").exit_code == 0


def test_ledger_submit_records_bad_input_without_reading_it_when_file_exceeds_size_limit(invoke, workdir):
    ledger_with_params(invoke)
    inbox = workdir / "inbox"
    inbox.mkdir()
    with open(inbox / "huge.json", "wb") as sparse:  # /dev/zero through a symlink is the same read
        sparse.truncate(MAX_FILE_BYTES + 1)
    result = invoke("ledger", "submit", "--db", "ledger.db", "--json", "inbox")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)["files"]
    assert row["status"] == "bad input"
    assert row["reason"] == f"{os.path.join('inbox', 'huge.json')}: larger than {MAX_FILE_BYTES >> 20} MiB, not a proof file zkmargin reads"
