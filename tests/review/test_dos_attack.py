"""A hostile trader against the venue's verifier: crash the intake, or make it pay.

The trader controls only the files it drops in the venue's inbox (their names and bytes);
the params, the trust set and the other accounts' files are the venue's. Each test states
the property the venue needs and is marked xfail (strict) while the code lacks it.
Costs are CPU ratios against an honest proof measured in the same test, never absolute
times.
"""

import base64
import json
import os
import sys
import time
import tracemalloc
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from tests.conftest import deliver
from tests.proofs.conftest import ROOT, portfolio
# Long 1 future, short 1 call with exactly the cash it needs, and its proof (fixtures).
from tests.review.test_findings import BOOK, REQUIRED_CASH, honest_proof, params  # noqa: F401
from zkmargin.canonical import encode_base64
from zkmargin.engine.models import MarginModel
from zkmargin.engine.params import build_params
from zkmargin.engine.portfolio import Portfolio
from zkmargin.engine.risk_arrays import RiskArrays
from zkmargin.errors import InvalidProof, MalformedProof
from zkmargin.hazmat.groups import Point
from zkmargin.jsonio import dumps, loads
from zkmargin.proofs.account import open_account
from zkmargin.proofs.proof_file import MarginProof
from zkmargin.proofs.prover import prove
from zkmargin.proofs.stacked import bucket_name
from zkmargin.proofs.verifier import _Circuits, verify, verify_batch
from zkmargin.venue.intake import submit
from zkmargin.venue.schema import proofs



@pytest.fixture(scope="module")
def forged_proof(params, honest_proof):
    """Another book's commitments under the honest proof's range proof: same circuit, same
    size as an honest file, fails only the final equation."""
    other = prove(portfolio(REQUIRED_CASH + 750, **BOOK), params)
    return other.model_copy(update={"range_proof": honest_proof.range_proof})


def _statuses(report, inbox):
    return {os.path.relpath(os.fsencode(row.file), os.fsencode(inbox)): row.status for row in report.rows}


# D1 (high) — intake.py `_record` writes `str(path)` as the row's file: a name that is not
# UTF-8 (the kernel allows any bytes) arrives as a lone surrogate, which neither sqlite3 nor
# psycopg can encode. UnicodeEncodeError escapes `submit`, the chunk's transaction rolls
# back (every account's proof in it goes unrecorded), and since nothing was recorded the next
# run meets the same file and crashes again: one file name stops the venue's intake for good.
def test_ledger_submit_records_every_file_when_one_name_is_not_utf8(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    with open(os.fsencode(inbox / "bob") + b"\xff.json", "wb") as stream:
        stream.write((venue_files / "bob.first.proof.json").read_bytes())
    statuses = _statuses(submit(ledger, [inbox]), inbox)
    assert statuses[b"alice.first.proof.json"] == "valid"
    assert statuses[b"bob\xff.json"] in ("valid", "bad input")
    assert len(statuses) == 2


def _nul_in_params_digest(document):
    document["statement"]["params_digest"] = "\x00" + document["statement"]["params_digest"]


def _nul_in_an_unknown_key(document):
    document["\x00"] = 1


# D2 (high) — the reasons `_parse` records quote the file's own text: the params digest it
# names ("made for params …, which the venue never published": the statement's
# `params_digest` is a free `str`) and the field names of the bad-input message. PostgreSQL
# text cannot hold NUL, so the chunk's insert fails with LedgerError: every proof in the chunk
# goes unrecorded, and every rerun fails the same way until someone deletes the file.
@pytest.mark.parametrize("ledger_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("plant_nul", [_nul_in_params_digest, _nul_in_an_unknown_key])
def test_ledger_submit_records_every_file_when_one_quotes_a_nul_on_postgresql(venue, venue_files, plant_nul):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    document = loads((venue_files / "bob.first.proof.json").read_bytes())
    plant_nul(document)
    (inbox / "bob.json").write_text(dumps(document))
    statuses = _statuses(submit(ledger, [inbox]), inbox)
    assert statuses == {b"alice.first.proof.json": "valid", b"bob.json": "bad input"}


# Holds: a link to a device is refused before it is opened (a FIFO is covered in
# tests/venue/test_intake.py); reading /dev/zero would cost 64 MiB and a second per run.
def test_ledger_submit_records_a_link_to_a_device_as_bad_input_unread_when_one_sits_in_the_inbox(venue, venue_files):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    (inbox / "zero.json").symlink_to("/dev/zero")
    report = submit(ledger, [inbox])
    assert {(os.path.basename(row.file), row.status, row.reason) for row in report.rows} == {
        ("alice.first.proof.json", "valid", None),
        ("zero.json", "bad input", f"{inbox / 'zero.json'}: not a regular file"),
    }


LONG_TEXT = 1 << 20


def _long_unknown_key(document):
    document["k" * LONG_TEXT] = 1


def _long_currency(document):
    document["statement"]["currency"] = "U" * LONG_TEXT


# D9 (medium) — a refused file's row quotes the file: the bad-input message renders an unknown
# field's name whole (validation.py `field_path`), and the row keeps the statement as the file
# states it, whose `currency` (and `params_digest`) are free strings of any length. A refused
# file is judged again and gets a new row on every intake run, so one 64 MiB file writes
# 64 MiB to the ledger per run (a cron every 5 minutes: 18 GB a day), and `ledger submit`
# prints a 64 MiB reason. Fix: quote at most a few dozen characters of anything from the file
# (as `validation.preview` does for values), and give the statement's strings a pattern or a length.
@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lengthen", [_long_unknown_key, _long_currency])
def test_ledger_submit_records_a_short_row_when_a_refused_file_holds_a_megabyte_string(venue, venue_files, lengthen):
    ledger, inbox = venue
    document = loads((venue_files / "bob.first.proof.json").read_bytes())
    lengthen(document)
    (inbox / "bob.json").write_text(dumps(document))
    submit(ledger, [inbox])
    with ledger.transaction() as connection:
        row = connection.execute(select(proofs.c.status, proofs.c.reason, proofs.c.statement)).one()
    assert row.status in ("invalid", "bad input")
    assert len(row.reason) + len(row.statement or "") < 10_000


NESTED_DIRECTORIES = 1_100


@pytest.fixture
def default_recursion_limit():
    """Python's default limit, which the venue's process keeps on the arkworks backend
    (importing py_ecc, as other tests in this process may have, raises it to 100,000)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000)
    yield
    sys.setrecursionlimit(limit)


def _nest_directories(top, depth):
    """`depth` directories named "d", one inside the other, under `top`; the innermost
    directory's path (2 bytes a level: far below PATH_MAX)."""
    path = top
    for _ in range(depth):
        path = path / "d"
        path.mkdir()
    return path


def _unnest(innermost, top):
    """Remove the directories `_nest_directories` made and the files in the innermost, deepest
    first: pytest's clean-up of old temporary directories recurses once per level, past the
    default recursion limit."""
    for stray in innermost.iterdir():
        stray.unlink()
    while innermost != top:
        innermost.rmdir()
        innermost = innermost.parent


# D6 (high when traders can create directories in the inbox) — files.py `files_under` walks
# the inbox with os.walk, which recurses once per directory level in Python 3.11: 1,100
# nested directories (a 2.2 KB path) raise RecursionError out of `submit` before any file is
# read, so no account's proof is recorded on this run or any later one. (With the py_ecc
# backend imported the recursion limit is 100,000 and the walk stops at PATH_MAX instead.)
# Python 3.12's os.walk keeps its own stack (gh-89727); the project supports 3.11. Fix: walk
# with an explicit stack, or record a directory deeper than an inbox needs as `bad input`.
def test_ledger_submit_records_the_other_files_when_directories_nest_a_thousand_deep(
    venue, venue_files, default_recursion_limit
):
    ledger, inbox = venue
    deliver(venue_files, inbox, "alice.first.proof.json")
    innermost = _nest_directories(inbox, NESTED_DIRECTORIES)
    (innermost / "bob.json").write_bytes((venue_files / "bob.first.proof.json").read_bytes())
    try:
        statuses = _statuses(submit(ledger, [inbox]), inbox)
    finally:
        _unnest(innermost, inbox)
    assert statuses[b"alice.first.proof.json"] == "valid"


REFUSED_ROWS = 2_000


def _refused_rows_naming(ledger, account, count):
    """What `count` refused files naming `account` leave in the ledger: intake judges a refused
    file again on every run and records a new row each time (1,000 junk files and a cron
    intake every 5 minutes: 288,000 rows a day)."""
    received = datetime.now(timezone.utc)
    rows = [
        {"file": f"junk-{i}.json", "file_digest": f"{i:064x}", "account": account, "epoch": 1, "level": "maintenance",
         "threshold": "0", "statement": "{}", "status": "invalid", "reason": "junk", "superseded": False,
         "received_at": received}
        for i in range(count)
    ]
    with ledger.transaction() as connection:
        connection.execute(proofs.insert(), rows)


def _rows_updated(ledger, run):
    """How many rows of the proofs table `run()` rewrites."""
    updated = []

    def count(connection, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE proofs"):
            updated.append(cursor.rowcount)

    event.listen(ledger.engine, "after_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(ledger.engine, "after_cursor_execute", count)
    return sum(updated)


# D8 (medium) — intake.py `_record`: a valid proof supersedes "the account's other proofs for
# its epoch and level" with one UPDATE over every row naming them — refused rows and rows
# superseded long ago included — so each valid proof rewrites the account's whole history.
# Anybody can send files naming alice, and each refused one gets a new row per intake run.
# Measured on sqlite with 300,000 such rows: every proof alice sends costs 0.51 s more CPU
# (12 verifies: the UPDATE 0.36 s, the max(book_version) scan 0.11 s), PostgreSQL writes
# 300,000 new row versions per proof, and it grows with every run. Fix: supersede only the
# current row (`status = 'valid' AND NOT superseded`, spelled as the partial unique index
# proofs_current_valid is, so both queries use it; `IS 0` does not match it in sqlite).
@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
def test_ledger_submit_rewrites_only_the_current_row_when_refused_rows_name_the_account(venue, venue_files):
    ledger, inbox = venue
    _refused_rows_naming(ledger, "alice", REFUSED_ROWS)
    deliver(venue_files, inbox, "alice.first.proof.json")
    assert _rows_updated(ledger, lambda: submit(ledger, [inbox])) <= 2


def _cpu_seconds(run, repeats=1):
    started = time.process_time()
    for _ in range(repeats):
        run()
    return (time.process_time() - started) / repeats


HONEST_BATCH = 255


# D3 (medium) — verifier.py `_bisect`: when a batch fails, both halves are checked again,
# and again down to the bad proof, so one bad file makes the venue redo ~2N proofs' share
# of the MSM (N: the batch, 1,000 per intake chunk by default). One forged file of honest
# size beside 255 honest proofs adds ~27 honest `verify` calls' worth of CPU (57× at 999,
# the intake's chunk; 17× at 127, 9.5× at 31); intake re-verifies a refused file every run.
# A fix: bisect within MSM groups of at most 16–32 proofs (a batch of 32 costs 0.20 of
# `verify` per proof, 64 costs 0.18, 16 costs 0.22), and skip the second half when the
# first holds (it must then fail). Fixed: groups of 32, and a failing group's second half
# costs no MSM (its sum is the group's minus the first half's), first or last alike.
@pytest.mark.parametrize("forged_at", [0, HONEST_BATCH])
def test_verify_batch_costs_under_ten_verifies_more_when_one_proof_of_many_is_forged(
    params, honest_proof, forged_proof, forged_at
):
    one_verify = _cpu_seconds(lambda: verify(honest_proof, params), repeats=3)
    honest = [honest_proof] * HONEST_BATCH
    honest_batch = _cpu_seconds(lambda: verify_batch(honest + [honest_proof], params))
    attacked = honest[:forged_at] + [forged_proof] + honest[forged_at:]
    started = time.process_time()
    result = verify_batch(attacked, params)
    attacked_batch = time.process_time() - started
    assert [failure.index for failure in result.failures] == [forged_at]
    assert (attacked_batch - honest_batch) / one_verify < 10


def _refusal_peak_bytes(text):
    """The most memory `MarginProof.from_json` holds at once on its way to refusing `text`."""
    tracemalloc.start()
    try:
        with pytest.raises(MalformedProof):
            MarginProof.from_json(text)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


PACKED_BYTES = 2 << 20


# D4 (medium) — jsonio.loads builds the whole document before anything checks its shape: a
# proof file of `[[],[],…]` (3 bytes per empty list, 56+ bytes per list object) peaks at 21×
# its size (24× for `{}`), against 4.2× for an honest proof; at MAX_FILE_BYTES (64 MiB) that
# is ~1.5 GB and 17 s of CPU for one file that is refused anyway. A fix: count containers in
# the bracket scan `_check_depth` already makes (nested_too_deep) and refuse a document with
# more than, say, one per 16 bytes, or bound a proof file by what its params can need.
# Fixed: jsonio refuses more than one container per BYTES_PER_CONTAINER (12 since the batch review; 16 before) characters.
@pytest.mark.parametrize("container", ["[]", "{}"])
def test_margin_proof_from_json_peaks_under_six_times_file_size_when_packed_with_empty_containers(container):
    text = '{"commitments": [' + ",".join([container] * (PACKED_BYTES // (len(container) + 1))) + "]}"
    assert _refusal_peak_bytes(text) < 6 * len(text)


def _wide_params(instruments):
    arrays = {
        "currency": "USD",
        "scenarios": ["up", "down", "crash", "rally"],
        "instruments": {
            f"I{i:03d}": {"mark": 0, "multiplier": 1, "pnl": [100.0 + i, -100.0 - i, -300.0, 250.0]} for i in range(instruments)
        },
    }
    return build_params(RiskArrays.from_json(json.dumps(arrays)), MarginModel.load(ROOT / "circuits" / "scenario.toml"))


def _bucket_claim(honest, params, held, buckets):
    """The honest one-bucket proof restated as `buckets` buckets whose pinned commitments add
    up to the account's (bucket 0 holds held − (B−1)·P, the others P), with limb commitments
    to match: it passes every check up to the range proof's length, which is wrong."""
    document = loads(honest.to_json())
    document["statement"]["buckets"] = buckets
    document["commitments"] *= buckets
    document["limb_commitments"] *= buckets
    _, circuit = _Circuits(params).statement_and_circuit(MarginProof.from_json(dumps(document)))
    index = {variable.name: i for i, variable in enumerate(circuit.variables)}
    filler = Point.from_bytes(base64.b64decode(document["commitments"][0]))
    for name, raw in held.committed().items():
        for k in range(1, buckets):
            document["commitments"][index[bucket_name(k, name)]] = encode_base64(filler.to_bytes())
        first = Point.from_bytes(raw) + (1 - buckets) * filler
        document["commitments"][index[bucket_name(0, name)]] = encode_base64(first.to_bytes())
    return MarginProof.from_json(dumps(document))


# D5 (medium) — attested.py `require_commitments`, B > 1: `proof.commitment_bytes` (a
# property that base64-decodes the whole list) is read once per bucket per pinned name, so
# checking a B-bucket proof against the venue's (or the attestations') commitments decodes
# (U+1)·B·B·V strings: quadratic in the file. With 40 instruments a 207 KB file claiming 64
# buckets costs 34 honest one-bucket verifies before its range proof is even read (7 million
# base64 decodes); with 500 instruments a 2 MB file costs ~10 CPU-minutes. An honest 64-bucket
# account pays the same. Fix: decode the commitments once (a local list) before the loop.
# Fixed: `require_commitments` decodes the list once.
def test_verify_checks_pinned_buckets_in_time_linear_in_the_file_when_a_proof_claims_many_buckets():
    params = _wide_params(30)
    book = Portfolio.from_json(dumps({"account": "mallory", "cash": Decimal(100_000), "positions": {"I000": 1}}))
    held, openings = open_account(book, params)
    honest = prove(book, params, openings=openings)
    claims = {buckets: _bucket_claim(honest, params, held, buckets) for buckets in (8, 64)}
    costs = {}
    for buckets, claim in claims.items():
        started = time.process_time()
        with pytest.raises(InvalidProof, match="a range proof of"):
            verify(claim, params, commitments=held)
        costs[buckets] = time.process_time() - started
    size_ratio = len(claims[64].to_json()) / len(claims[8].to_json())
    assert costs[64] / costs[8] < 2 * size_ratio


BAD_POINTS_BYTES = 256 << 10


# D7 (high) — canonical.py `base64_of`: every commitment that is not base64 fails on its own,
# and pydantic keeps each failure (the InvalidEncoding, the binascii.Error it was raised from,
# and their tracebacks' frames: ~1.3 KB) until the file is refused. A proof file whose
# commitments are `"x"` (4 bytes each) peaks at 321× its size (2 MiB: 670 MB and 16 s of
# CPU; at MAX_FILE_BYTES ~21 GB: the venue's intake is killed for memory, and meets the same
# file again on the next run). Also in limb_commitments and in attestations' positions. Fix:
# check each list in one validator that stops at its first bad item (one error), raise it
# without a traceback or context, and bound the lists (MAX_BUCKETS × the widest circuit).
# Fixed: `formats.first_error_only` over commitments, limb_commitments and positions.
def test_margin_proof_from_json_peaks_under_six_times_file_size_when_every_commitment_is_bad_base64():
    text = '{"commitments": [' + ",".join(['"x"'] * (BAD_POINTS_BYTES // 4)) + "]}"
    assert _refusal_peak_bytes(text) < 6 * len(text)
