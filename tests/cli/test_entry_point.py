"""The installed `zkmargin` script and `python -m zkmargin` run the same command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def installed_script() -> str:
    beside_python = Path(sys.executable).with_name("zkmargin")
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("zkmargin")
    if found is None:
        pytest.fail("the zkmargin entry point is not installed: run python -m pip install -e .")
    return found


def test_entry_point_prints_help_and_schema_when_installed():
    script = installed_script()
    helped = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0, helped.stderr
    assert "Usage: zkmargin" in helped.stdout
    schema = subprocess.run(
        [script, "schema", "portfolio"], capture_output=True, text=True, timeout=60
    )
    assert schema.returncode == 0, schema.stderr
    assert set(json.loads(schema.stdout)["properties"]) == {"account", "cash", "positions"}


def test_python_dash_m_exits_2_with_one_line_when_file_missing(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "zkmargin", "check", "--params", "missing.json",
         "--portfolio", "missing.json"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "zkmargin: error: no such file: missing.json"
    assert result.stdout == ""
