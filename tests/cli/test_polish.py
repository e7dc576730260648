"""CLI polish: live bar while proving, Ctrl-C, JSON errors, --json everywhere, quiet numpy, bounded reads."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import warnings

import pytest

import zkmargin as zm
from tests.cli.conftest import REPO
from tests.cli.test_first_hour import _leaf_commands
from zkmargin.cli import cli
from zkmargin.console import running_bar

EXAMPLES = REPO / "examples"


def test_running_bar_writes_nothing_when_block_ends_before_delay():
    stream = io.StringIO()
    with running_bar("proving", stream, delay=5.0):
        pass
    assert stream.getvalue() == ""


def test_running_bar_draws_elapsed_seconds_then_erases_when_block_is_slow_or_interrupted():
    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        with running_bar("proving", stream, delay=0.02, interval=0.01):
            time.sleep(0.2)
            raise KeyboardInterrupt
    frames = stream.getvalue().split("\r")
    assert any(frame.startswith("proving [") and frame.endswith(" s") for frame in frames)
    assert frames[-1] == "" and frames[-2].strip() == ""  # the line is blanked at the end


def test_every_command_has_json_option_when_listed():
    missing = [" ".join(path) for path, command in _leaf_commands(cli)
               if "--json" not in {opt for param in command.params for opt in getattr(param, "opts", [])}]
    assert missing == []


def test_errors_are_one_json_line_on_stderr_when_json_mode(invoke, tmp_path):
    result = invoke("check", "--allow-unsigned", "--params", str(tmp_path / "none.json"), "--portfolio", "x.json", "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert json.loads(result.stderr) == {"error": {
        "type": "InputError", "message": f"no such file: {tmp_path / 'none.json'}", "exit_code": 2}}
    usage = invoke("check", "--allow-unsigned", "--json", "--level")
    assert usage.exit_code == 2
    assert json.loads(usage.stderr)["error"]["message"] == "Option '--level' requires an argument."
    text = invoke("check", "--allow-unsigned", "--params", str(tmp_path / "none.json"), "--portfolio", "x.json")
    assert text.stderr == f"zkmargin: error: no such file: {tmp_path / 'none.json'}\n"


@pytest.mark.parametrize("option", ["--params", "--portfolio"])
def test_check_refuses_a_file_that_never_ends_by_size_when_given_dev_zero(invoke, tmp_path, option):
    params = tmp_path / "params.json"
    zm.build_params(zm.Market.load(EXAMPLES / "market.json"),
                    zm.MarginModel.load(REPO / "circuits" / "span.toml")).save(params)
    files = {"--params": str(params), "--portfolio": str(EXAMPLES / "portfolio.json"), option: "/dev/zero"}
    result = invoke("check", "--allow-unsigned", *[item for pair in files.items() for item in pair])
    assert result.exit_code == 2
    assert result.stderr == "zkmargin: error: /dev/zero: larger than 64 MiB, not a JSON file zkmargin reads\n"


def test_margin_model_refuses_dev_zero_by_size_when_loaded():
    with pytest.raises(zm.InputError, match="larger than 64 MiB, not a margin model"):
        zm.MarginModel.load("/dev/zero")


def huge_market(tmp_path):
    data = json.loads((EXAMPLES / "market.json").read_text())
    data["underlyings"]["XYZ"]["price"] = 1e12  # the largest price and multiplier a market takes:
    data["instruments"]["XYZ"]["multiplier"] = 1e9  # one unit is worth 1e21, past 63 bits of cents
    path = tmp_path / "market.json"
    path.write_text(json.dumps(data))
    return path


def test_build_params_raises_without_a_numpy_warning_when_amounts_overflow(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would surface as the wrong error
        with pytest.raises(zm.FixedPointOverflow, match="'XYZ' overflows"):
            zm.build_params(zm.Market.load(huge_market(tmp_path)), zm.MarginModel.load(REPO / "circuits" / "span.toml"))


def test_cli_stderr_is_one_error_line_without_numpy_warning_when_prices_overflow(tmp_path):
    data = json.loads((EXAMPLES / "market.json").read_text())
    data["underlyings"]["XYZ"]["price"] = 1.5e308  # refused on load: its scenarios would overflow to inf
    market = tmp_path / "market.json"
    market.write_text(json.dumps(data))
    result = subprocess.run(
        [sys.executable, "-W", "default", "-m", "zkmargin", "params", "build", "--market", str(market),
         "--model", "circuits/span.toml", "-o", str(tmp_path / "params.json")],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == (f"zkmargin: error: {market}: underlyings[\"XYZ\"].price: "
                             "Input should be less than or equal to 1000000000000 (got 1.5e+308)\n")


def test_prove_exits_130_leaving_no_files_when_interrupted(tmp_path):
    params = tmp_path / "params.json"
    zm.build_params(zm.Market.load(EXAMPLES / "market.json"),
                    zm.MarginModel.load(REPO / "circuits" / "expected_shortfall.toml")).save(params)
    before = sorted(os.listdir(tmp_path))
    # Import first and say so, so the signal lands in the command, not in the imports.
    harness = ("import sys; from zkmargin.cli import cli; " + SAY_WHEN_PROVING + "print('ready', flush=True); "
               "cli.main(sys.argv[1:], prog_name='zkmargin')")
    process = subprocess.Popen(
        [sys.executable, "-c", harness, "prove", "--allow-unsigned", "--params", str(params), "--portfolio",
         str(EXAMPLES / "portfolio_hedged.json"), "-o", str(tmp_path / "proof.json")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout.readline() == "ready\n"
    assert process.stdout.readline() == "proving\n"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130
    assert stderr == "zkmargin: error: interrupted\n"
    assert sorted(os.listdir(tmp_path)) == before


SAY_WHEN_PROVING = (
    "from zkmargin.hazmat import partner\n"
    "start_partner = partner.Partner.__init__\n"
    "def announced(self, *args):\n"
    "    start_partner(self, *args)\n"
    "    print('proving', flush=True)\n"
    "partner.Partner.__init__ = announced\n"
)
"""Harness code that prints "proving" once the prover has started its partner process: the
signal then lands mid-proof with both processes running, however loaded the machine (a fixed
sleep was either too short there or idle time here)."""


def _ctrl_c_harness(before_main: str = "") -> str:
    """Python that loads the command line, says so, then runs it as the console script does."""
    return ("import os, signal, sys, time, click; from zkmargin.cli import cli, main; " + before_main +
            "print('ready', flush=True); sys.argv[0] = 'zkmargin'; main()")


def test_prove_exits_130_without_traceback_when_ctrl_c_reaches_the_whole_process_group(tmp_path):
    params = tmp_path / "params.json"
    zm.build_params(zm.Market.load(EXAMPLES / "market.json"),
                    zm.MarginModel.load(REPO / "circuits" / "expected_shortfall.toml")).save(params)
    before = sorted(os.listdir(tmp_path))
    # Its own session, so the signal goes to the group as a terminal's Ctrl-C does: the
    # prover's partner process gets it too.
    process = subprocess.Popen(
        [sys.executable, "-c", _ctrl_c_harness(SAY_WHEN_PROVING), "prove", "--allow-unsigned", "--params", str(params),
         "--portfolio", str(EXAMPLES / "portfolio_hedged.json"), "-o", str(tmp_path / "proof.json")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert process.stdout.readline() == "ready\n"
    assert process.stdout.readline() == "proving\n"
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130
    assert stderr == "zkmargin: error: interrupted\n"
    assert sorted(os.listdir(tmp_path)) == before


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_exits_130_without_traceback_when_interrupted_during_argument_parsing(as_json):
    # A real SIGINT, sent while click converts the top-level option's value.
    ring = ("cli.params.append(click.Option(['--ring'], expose_value=False, "
            "callback=lambda c, p, v: v and (os.kill(os.getpid(), signal.SIGINT), time.sleep(5)))); ")
    args = ["--ring", "1", "schema", "proof"] + (["--json"] if as_json else [])
    done = subprocess.run([sys.executable, "-c", _ctrl_c_harness(ring), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 130
    if as_json:
        assert json.loads(done.stderr) == {"error": {"type": "KeyboardInterrupt", "message": "interrupted", "exit_code": 130}}
    else:
        assert done.stderr == "zkmargin: error: interrupted\n"
    assert done.stdout == "ready\n"
