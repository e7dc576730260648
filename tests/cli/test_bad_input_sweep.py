"""The outside sweep: hostile variants of every file a command reads (tests/cli/conftest.py's
files, mutated) get one line naming the file and exit 2, or a `bad input` row from ledger
intake; never a traceback, never an unbounded read, never a half-written output."""

from __future__ import annotations

import base64
import copy
import json
import os
import resource
import subprocess
import sys
from datetime import datetime, timedelta

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.cli.test_first_hour import _leaf_commands
from zkmargin.cli import cli
from zkmargin.cli.options import MAX_JOBS, AsciiInt
from zkmargin.files import MAX_FILE_BYTES

from .conftest import REPO


@pytest.fixture
def run():
    """The command line in process; an exception that escapes it fails the test."""
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), prog_name="zkmargin", catch_exceptions=False)


def ledger_with_params(run) -> None:
    """A SQLite ledger, ledger.db in the working directory, with the shared params published."""
    for args in (("init",), ("publish", "--params", "params.json")):
        assert run("ledger", *args, "--db", "ledger.db").exit_code == 0


def test_ledger_submit_records_bad_input_without_reading_it_when_file_exceeds_size_limit(run, workdir):
    ledger_with_params(run)
    inbox = workdir / "inbox"
    inbox.mkdir()
    with open(inbox / "huge.json", "wb") as sparse:  # /dev/zero through a symlink is the same read
        sparse.truncate(MAX_FILE_BYTES + 1)
    result = run("ledger", "submit", "--db", "ledger.db", "--json", "inbox")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)["files"]
    assert row["status"] == "bad input"
    assert row["reason"] == f"{os.path.join('inbox', 'huge.json')}: larger than {MAX_FILE_BYTES >> 20} MiB, not a proof file zkmargin reads"


DURATION_OPTIONS = {
    "--valid-for": ("params", "sign", "unsigned.params.json", "--key", "venue.key.json", "--epoch", "2", "-o", "out.json"),
    "--max-params-age": ("verify", "--params", "params.json", "meets.proof.json"),
    "--deadline": ("monitor", "run", "--db", "ledger.db"),
}


@pytest.mark.parametrize("option", DURATION_OPTIONS)
@pytest.mark.parametrize("text", ["99999999999999d", "999999999d", "36501d", "876001h", "36500d1h", "9" * 5000 + "d"])
def test_duration_option_exits_2_naming_it_when_beyond_a_century(run, workdir, option, text):
    if option == "--valid-for":
        run("keys", "new", "--issuer", "venue-b", "--role", "params", "-o", "venue.key.json", "--public", "venue.pub.json")
    result = run(*DURATION_OPTIONS[option], option, text)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}': {text!r} is longer than 100 years" in result.stderr
    assert not (workdir / "out.json").exists()


def test_monitor_deadline_adds_up_its_parts_when_a_unit_repeats(run, workdir):
    ledger_with_params(run)
    run("ledger", "open", "--db", "ledger.db", "alice.account.json")
    result = run("monitor", "run", "--db", "ledger.db", "--deadline", "1h1h", "--json")
    [call] = json.loads(result.stdout)["issued"]
    issued, deadline = (datetime.fromisoformat(call[key]) for key in ("issued_at", "deadline"))
    assert deadline - issued == timedelta(hours=2)


def escape_lone_surrogate(path, field: str) -> None:
    """Rewrite one top-level string field of a JSON file as the escape of a lone surrogate,
    which JSON allows and UTF-8 cannot spell."""
    data = json.loads(path.read_text())
    data[field] = "\udcff"
    path.write_text(json.dumps(data))  # ensure_ascii writes "\udcff"


@pytest.mark.parametrize(("target", "field", "command"), [
    ("unsigned.params.json", "currency", ("check", "--allow-unsigned", "--params", "unsigned.params.json", "--portfolio", "meets.json")),
    ("meets.json", "account", ("check", "--params", "params.json", "--portfolio", "meets.json")),
    ("meets.proof.json", "account", ("verify", "--params", "params.json", "meets.proof.json")),
])
def test_json_reader_exits_2_naming_file_when_a_string_is_a_lone_surrogate(run, workdir, target, field, command):
    escape_lone_surrogate(workdir / target, field)
    result = run(*command)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"zkmargin: error: {target}: the string '\\udcff' holds a lone surrogate, which is not text\n"


def test_ledger_submit_records_other_files_when_one_holds_a_lone_surrogate(run, workdir):
    ledger_with_params(run)
    inbox = workdir / "inbox"
    inbox.mkdir()
    (workdir / "meets.proof.json").rename(inbox / "a.json")
    escape_lone_surrogate(inbox / "a.json", "params_digest")
    (workdir / "bob.proof.json").rename(inbox / "b.json")
    result = run("ledger", "submit", "--db", "ledger.db", "--json", "inbox")
    assert result.exit_code == 0, result.output
    rows = {os.path.basename(row["file"]): row for row in json.loads(result.stdout)["files"]}
    assert rows["a.json"]["status"] == "bad input"
    assert "lone surrogate" in rows["a.json"]["reason"]
    assert rows["b.json"]["status"] == "invalid"  # bob has no account on this ledger


@pytest.mark.parametrize("address", ["nonsense", "tcp://host", "udp://10.0.0.5:8786", "tcp://[::1:8786", "tcp://host:99999", "inproc://x"])
@pytest.mark.parametrize("command", [("verify-batch", "--params", "params.json"), ("ledger", "submit", "--db", "ledger.db")])
def test_scheduler_option_exits_2_naming_it_when_not_a_dask_address(run, workdir, command, address):
    result = run(*command, "--scheduler", address, "meets.proof.json")
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '--scheduler': {address!r} is not an address like tcp://HOST:PORT" in result.stderr


def test_prove_exits_2_writing_nothing_when_one_custodian_attests_twice(run, workdir):
    run("keys", "new", "--issuer", "custodian-b", "--role", "custody", "-o", "b.key.json", "--public", "b.pub.json")
    trust = ("--trust", os.environ["ZKMARGIN_TRUST"], "--trust", "b.pub.json")
    for sequence in ("1", "2"):
        attested = run("attest", "--key", "b.key.json", "--params", "params.json", "--portfolio", "bob.json", *trust,
                       "--sequence", sequence, "-o", f"b{sequence}.json", "--openings", f"b{sequence}.openings.json")
        assert attested.exit_code == 0, attested.output
    result = run("prove", "--params", "params.json", *trust, "-o", "double.proof.json",
                 "--attestation", "b1.json", "--openings", "b1.openings.json",
                 "--attestation", "b2.json", "--openings", "b2.openings.json")
    assert result.exit_code == 2, result.output
    assert "two attestations by 'custodian-b'" in result.stderr
    assert not (workdir / "double.proof.json").exists()


NOT_UTF8 = "alice\udcff"
"""What Python makes of an argument holding the byte 0xff, which is not UTF-8 (surrogateescape)."""


@pytest.mark.parametrize("command", [
    ("ledger", "export", NOT_UTF8, "-o", "out.json"),
    ("ledger", "challenge", NOT_UTF8),
    ("ledger", "deposit", NOT_UTF8, "5", "--ref", "wire-1"),
    ("ledger", "withdraw", NOT_UTF8, "5", "--ref", "wire-1"),
    ("plot", "history", NOT_UTF8, "-o", "out.svg"),
])
def test_account_argument_exits_2_naming_it_when_not_utf8(run, workdir, command):
    ledger_with_params(run)
    result = run(*command, "--db", "ledger.db")
    assert result.exit_code == 2, result.output
    assert f"Invalid value for 'ACCOUNT': {NOT_UTF8!r} must contain printable characters only" in result.stderr
    assert not (workdir / "out.json").exists()


def test_ledger_exits_2_naming_database_when_its_path_is_not_utf8(workdir):
    done = subprocess.run([sys.executable, "-m", "zkmargin", "ledger", "init", "--db", b"ledger\xff.db"],
                          capture_output=True, cwd=workdir, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 2, done.stderr
    assert done.stderr == b"zkmargin: error: database 'ledger\\udcff.db': not a printable UTF-8 path or URL\n"
    assert not any(name.startswith(b"ledger\xff") for name in os.listdir(os.fsencode(workdir)))


@pytest.mark.parametrize("factor", ["1e999999", "101", "1.0000001"])
def test_params_build_exits_2_naming_level_when_its_factor_is_out_of_bounds(run, workdir, factor):
    model = (REPO / "circuits" / "span.toml").read_text().replace('initial = "1.1"', f'initial = "{factor}"')
    (workdir / "wild.toml").write_text(model)
    result = run("params", "build", "--market", "market.json", "--model", "wild.toml", "-o", "out.json")
    assert result.exit_code == 2, result.output
    assert f"level 'initial': factor '{factor}' must be a decimal from 1 to 100 with at most 6 decimal places" in result.stderr
    assert not (workdir / "out.json").exists()


@pytest.mark.parametrize("factor", ["١٫١", "1_1"])
def test_params_build_exits_2_naming_level_when_its_factor_is_not_ascii_decimal(run, workdir, factor):
    model = (REPO / "circuits" / "span.toml").read_text().replace('initial = "1.1"', f'initial = "{factor}"')
    (workdir / "wild.toml").write_text(model, encoding="utf-8")
    result = run("params", "build", "--market", "market.json", "--model", "wild.toml", "-o", "out.json")
    assert result.exit_code == 2, result.output
    assert f"level 'initial': {factor!r} is not a decimal number" in result.stderr
    assert not (workdir / "out.json").exists()


def test_check_exits_2_naming_params_when_a_level_factor_would_overflow(run, workdir):
    params = json.loads((workdir / "unsigned.params.json").read_text())
    params["levels"]["initial"] = "1e999999"
    (workdir / "wild.params.json").write_text(json.dumps(params))
    result = run("check", "--allow-unsigned", "--params", "wild.params.json", "--portfolio", "meets.json", "--level", "initial")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("zkmargin: error: wild.params.json: levels: level 'initial': factor '1e999999' must be")


def test_params_import_exits_2_naming_file_when_span_xml_declares_an_unknown_encoding(run, workdir):
    text = (REPO / "examples" / "span_sp_nq.spn").read_text()
    (workdir / "odd.spn").write_text(text.replace('encoding="UTF-8"', 'encoding="x-nonsense"', 1))
    result = run("params", "import", "--format", "span-xml", "odd.spn", "-o", "out.json")
    assert result.exit_code == 2, result.output
    assert result.stderr == "zkmargin: error: odd.spn: malformed XML: unknown encoding: x-nonsense\n"
    assert not (workdir / "out.json").exists()


# Generated mutations of valid files: whatever a tampered or truncated file says, the answer is
# a verdict or one error line — never a traceback, and for a proof never "valid".

def leaf_paths(value, path=()):
    """Every path to a scalar or list in parsed JSON (lists count as one leaf)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, (*path, key))
    else:
        yield path


def replaced(data, path, new):
    data = copy.deepcopy(data)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new
    return data


JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
    st.text(max_size=12), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def mutations(original: bytes, point_fields: tuple[str, ...] = ()):
    """Truncations and bit flips of the file, a field swapped for any JSON value and, for a
    proof, a bit flipped inside a decoded point."""
    parsed = json.loads(original)
    paths = list(leaf_paths(parsed))
    truncated = st.integers(0, len(original.rstrip()) - 1).map(lambda n: original[:n])  # the final newline is no content
    flipped = st.tuples(st.integers(0, len(original) - 1), st.integers(0, 7)).map(
        lambda at: original[: at[0]] + bytes([original[at[0]] ^ 1 << at[1]]) + original[at[0] + 1:])
    swapped = st.tuples(st.sampled_from(paths), JSON_VALUES).filter(
        lambda swap: json.dumps(swap[1]) != json.dumps(_at(parsed, swap[0]))
    ).map(lambda swap: json.dumps(replaced(parsed, *swap)).encode())
    if not point_fields:
        return st.one_of(truncated, flipped, swapped)

    def flip_point(choice):
        field, index, bit = choice
        items = list(parsed[field])
        raw = bytearray(base64.b64decode(items[index % len(items)]))
        raw[bit // 8 % len(raw)] ^= 1 << bit % 8
        items[index % len(items)] = base64.b64encode(bytes(raw)).decode()
        return json.dumps(replaced(parsed, (field,), items)).encode()

    point = st.tuples(st.sampled_from(point_fields), st.integers(0, 63), st.integers(0, 383)).map(flip_point)
    return st.one_of(truncated, flipped, swapped, point)


def _at(data, path):
    for key in path:
        data = data[key]
    return data


def assert_answered(result, *codes: int) -> None:
    """A verdict among `codes`; bad input (2) as exactly one error line."""
    assert result.exit_code in codes, (result.exit_code, result.output)
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("zkmargin: error: "), result.stderr


SWEEPS = {
    # file mutated: (the command reading it, the exit codes a mutation may give, decoded points)
    "meets.proof.json": (("verify", "--params", "params.json"), (1, 2), ("commitments", "limb_commitments")),
    "params.json": (("check", "--portfolio", "meets.json", "--params"), (2,), ()),
    "meets.json": (("check", "--params", "params.json", "--portfolio"), (0, 1, 2), ()),
    "alice.account.json": (("verify", "--params", "params.json", "alice.pinned.proof.json", "--commitments"), (1, 2), ()),
}


def sweep(run, workdir, target: str, examples: int) -> None:
    command, codes, points = SWEEPS[target]
    original = (workdir / target).read_bytes()

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(mutations(original, points))
    def refused(mutated: bytes) -> None:
        assume(mutated != original)
        (workdir / "mutated.json").write_bytes(mutated)
        assert_answered(run(*command, "mutated.json"), *codes)

    refused()


@pytest.mark.parametrize("target", SWEEPS)
def test_reader_answers_with_a_verdict_or_one_error_line_when_file_mutated(run, workdir, target):
    sweep(run, workdir, target, examples=20)


@pytest.mark.slow
@pytest.mark.parametrize("target", SWEEPS)
def test_reader_answers_with_a_verdict_or_one_error_line_when_file_mutated_deep_sweep(run, workdir, target):
    sweep(run, workdir, target, examples=500)


@pytest.mark.parametrize("size", [1e308, -1e13, 1e-300])
def test_params_import_exits_2_naming_position_when_deribit_size_would_vanish_or_overflow(run, workdir, size):
    response = json.loads((REPO / "examples" / "deribit_pme.json").read_text())
    result_of = response.get("result", response)
    result_of["portfolio"]["position"]["BTC-PERPETUAL"] = size
    (workdir / "pme.json").write_text(json.dumps(response))
    result = run("params", "import", "--format", "deribit-pme", "pme.json", "-o", "out.json")
    assert result.exit_code == 2, result.output
    assert '.portfolio.position["BTC-PERPETUAL"]' in result.stderr
    assert f"{size:g} is outside 1e-09…1e+12" in result.stderr
    assert not (workdir / "out.json").exists()


@pytest.mark.parametrize("command", [("verify-batch", "--params", "params.json"), ("ledger", "submit", "--db", "ledger.db")])
@pytest.mark.parametrize("jobs", [MAX_JOBS + 1, 10**12])
def test_jobs_option_exits_2_before_forking_when_beyond_four_per_core(run, workdir, command, jobs):
    result = run(*command, "--jobs", str(jobs), "meets.proof.json")
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '--jobs': {jobs} is not in the range 1<=x<={MAX_JOBS}" in result.stderr


def test_check_exits_2_in_bounded_memory_when_a_json_string_is_megabytes_long(workdir):
    (workdir / "long.json").write_text(json.dumps({"account": "x" * 24_000_000, "cash": 0, "positions": {}}))

    def limit_memory():  # the old depth scan's regex held ~120 bytes per character: 2.9 GB here
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    done = subprocess.run([sys.executable, "-m", "zkmargin", "check", "--params", "params.json", "--portfolio", "long.json"],
                          capture_output=True, text=True, cwd=workdir, preexec_fn=limit_memory,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("zkmargin: error: long.json: account: String should have at most 64 characters")


@pytest.mark.parametrize("amount", ["١٠٠", "１００", "1_000"])
def test_min_excess_option_exits_2_naming_it_when_amount_is_not_ascii_digits(run, workdir, amount):
    result = run("prove", "--params", "params.json", "--portfolio", "meets.json", "--min-excess", amount, "--output", "p.json")
    assert result.exit_code == 2
    assert "Invalid value for '--min-excess'" in result.output and "is not a decimal number" in result.output
    assert not (workdir / "p.json").exists()


INTEGER_OPTIONS = {
    "--epoch": ("params", "sign", "unsigned.params.json", "--key", "venue.key.json", "--valid-for", "1d", "-o", "out.json"),
    "--jobs": ("prove", "--params", "params.json", "--portfolio", "meets.json", "-o", "out.json"),
    "--pad-buckets": ("prove", "--params", "params.json", "--portfolio", "meets.json", "-o", "out.json"),
    "--accounts": ("demo", "--fast"),
    "--sequence": ("attest", "--key", "custodian.key.json", "--params", "params.json", "--portfolio", "meets.json",
                   "-o", "out.json", "--openings", "out.openings.json"),
    "--chunk": ("ledger", "submit", "--db", "ledger.db", "meets.proof.json"),
}


@pytest.mark.parametrize("option", INTEGER_OPTIONS)
@pytest.mark.parametrize("text", ["５", "1_0", "٣", "2.0"])
def test_integer_option_exits_2_naming_it_when_not_written_with_ascii_digits(run, workdir, option, text):
    result = run(*INTEGER_OPTIONS[option], option, text)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}': {text!r} is not a whole number written with the digits 0-9" in result.stderr
    assert not (workdir / "out.json").exists()


@pytest.mark.parametrize("command", [("verify-batch", "--params", "params.json"), ("ledger", "submit", "--db", "ledger.db")])
def test_jobs_option_of_a_batch_exits_2_naming_it_when_written_with_an_underscore(run, workdir, command):
    result = run(*command, "--jobs", "1_0", "meets.proof.json")
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--jobs': '1_0' is not a whole number written with the digits 0-9" in result.stderr


def test_every_integer_option_reads_ascii_digits_only_when_the_cli_is_built():
    integer_options = {
        (path, param.opts[0]): type(param.type).__name__
        for path, command in _leaf_commands(cli) for param in command.params
        if isinstance(param.type, click.types.IntParamType)
    }
    assert len(integer_options) == 8, integer_options
    assert set(integer_options.values()) == {"AsciiInt"}, integer_options


def test_ascii_int_reads_signed_ascii_digits_and_keeps_clicks_range_message_when_out_of_range():
    kind = AsciiInt(1, 8)
    assert (kind.convert(" 7 ", None, None), kind.convert("+3", None, None), kind.convert(5, None, None)) == (7, 3, 5)
    with pytest.raises(click.BadParameter, match=r"^9 is not in the range 1<=x<=8\.$"):
        kind.convert("9", None, None)


@pytest.mark.parametrize("option", DURATION_OPTIONS)
@pytest.mark.parametrize("text", ["５h", "١d", "1_0m", "2h 30m", "h2"])
def test_duration_option_exits_2_naming_it_when_not_ascii_digits_and_units(run, workdir, option, text):
    result = run(*DURATION_OPTIONS[option], option, text)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}': {text!r} is not a duration like 90s, 30m, 12h, 7d or 1h30m" in result.stderr
    assert not (workdir / "out.json").exists()


def test_duration_options_add_up_their_parts_alike_when_one_spans_two_units(run, workdir):
    run("keys", "new", "--issuer", "venue-b", "--role", "params", "-o", "venue.key.json", "--public", "venue.pub.json")
    signed = run(*DURATION_OPTIONS["--valid-for"], "--valid-for", "1d12h", "--json")
    assert signed.exit_code == 0, signed.output
    window = json.loads(signed.stdout)
    assert datetime.fromisoformat(window["valid_until"]) - datetime.fromisoformat(window["valid_from"]) == timedelta(hours=36)
    ledger_with_params(run)
    run("ledger", "open", "--db", "ledger.db", "alice.account.json")
    challenge = run("ledger", "challenge", "alice", "--db", "ledger.db", "--valid-for", "1h30m", "--json")
    assert challenge.exit_code == 0, challenge.output


@pytest.mark.parametrize("option", ["--valid-for", "--max-params-age"])
def test_duration_option_exits_2_when_a_span_that_must_hold_adds_up_to_zero(run, workdir, option):
    if option == "--valid-for":
        run("keys", "new", "--issuer", "venue-b", "--role", "params", "-o", "venue.key.json", "--public", "venue.pub.json")
    result = run(*DURATION_OPTIONS[option], option, "0h0m")
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}': '0h0m' is not longer than zero" in result.stderr
