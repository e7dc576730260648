"""Start-up: a command imports what it uses, and `import zkmargin` nothing heavy until asked.

Each check runs in a fresh interpreter: this test process has long since imported
everything, so its own `sys.modules` would hide an eager import.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click

from tests.cli.conftest import REPO
from zkmargin.cli import COMMANDS, cli

HEAVY = ("sqlalchemy", "scipy.optimize", "scipy.special", "matplotlib")
NOT_FOR_VERIFY = (
    "zkmargin.cli.ledger", "zkmargin.cli.monitor", "zkmargin.cli.plot", "zkmargin.cli.demo",
    "zkmargin.cli.keys", "zkmargin.cli.attest", "zkmargin.cli.verify_batch", "zkmargin.venue.ledger",
)
TOP_LEVEL_COMMANDS = [
    "account", "attest", "check", "demo", "keys", "ledger", "monitor", "params", "plot", "prove",
    "schema", "verify", "verify-batch",
]


def fresh_python(code: str) -> object:
    """Run `code` in a fresh interpreter on this checkout; the JSON its last line prints."""
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def loaded_after(code: str, candidates: tuple[str, ...]) -> list[str]:
    """Which of `candidates` a fresh interpreter has imported once `code` has run."""
    return fresh_python(f"{code}\nimport json, sys\nprint(json.dumps([m for m in {list(candidates)!r} if m in sys.modules]))")


def run_cli(*args: str) -> str:
    """`zkmargin ARGS` in process, leaving the interpreter alive for the probe that follows."""
    return (
        "import sys\nfrom zkmargin.cli import cli\n"
        f"try:\n    cli.main({list(args)!r}, prog_name='zkmargin')\nexcept SystemExit:\n    pass"
    )


def test_cli_verify_help_loads_no_database_optimizer_or_other_command_when_run():
    assert loaded_after(run_cli("verify", "--help"), HEAVY + NOT_FOR_VERIFY) == []


def test_cli_verify_help_loads_the_verify_command_when_run():
    assert loaded_after(run_cli("verify", "--help"), ("zkmargin.cli.verify",)) == ["zkmargin.cli.verify"]


def test_root_verify_loads_no_database_or_scipy_when_looked_up():
    assert loaded_after("import zkmargin\nzkmargin.verify", HEAVY) == []


def test_root_import_loads_no_numerical_or_validation_library_when_nothing_is_used():
    assert loaded_after("import zkmargin", HEAVY + ("numpy", "pydantic", "cryptography")) == []


def test_root_names_load_from_their_modules_when_imported_by_name():
    code = "from zkmargin import Market, prove, InvalidProof"
    assert loaded_after(code, ("zkmargin.engine.market", "zkmargin.proofs.prover", "zkmargin.errors")) == [
        "zkmargin.engine.market", "zkmargin.proofs.prover", "zkmargin.errors",
    ]


def test_root_dir_lists_every_public_name_when_none_is_loaded_yet():
    listed = fresh_python("import json, zkmargin\nprint(json.dumps([dir(zkmargin), zkmargin.__all__]))")
    names, public = listed
    assert set(public) <= set(names) and names == sorted(names)
    assert {"prove", "verify_batch", "Market", "IMPORT_FORMATS", "ZkMarginError", "__version__"} <= set(names)


def test_root_subpackages_are_attributes_when_only_zkmargin_is_imported():
    code = "import json, zkmargin\nprint(json.dumps([zkmargin.hazmat.__name__, zkmargin.engine.__name__]))"
    assert fresh_python(code) == ["zkmargin.hazmat", "zkmargin.engine"]


def test_root_hazmat_modules_are_attributes_when_only_zkmargin_is_imported():
    code = (
        "import json, zkmargin\nzkmargin.hazmat.groups.use('py_ecc')\n"
        "print(json.dumps([zkmargin.hazmat.groups.current_backend(), 'groups' in dir(zkmargin.hazmat)]))"
    )
    assert fresh_python(code) == ["py_ecc", True]


def test_root_dir_lists_no_helper_when_nothing_is_loaded_yet():
    code = (
        "import json, zkmargin\n"
        "beyond_api = [n for n in dir(zkmargin) if not n.startswith('__') and n not in zkmargin.__all__]\n"
        "print(json.dumps([beyond_api, hasattr(zkmargin, 'import_module')]))"
    )
    assert fresh_python(code) == [["anchors", "console", "engine", "hazmat", "proofs"], False]


def test_cli_help_lists_every_command_in_order_when_loaded_lazily():
    result = subprocess.run([sys.executable, "-m", "zkmargin", "--help"], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    listing = result.stdout.split("Commands:\n")[1].split("\n\n")[0]
    assert [line.split()[0] for line in listing.splitlines()] == TOP_LEVEL_COMMANDS


def test_cli_lazy_command_is_named_as_listed_when_loaded():
    context = click.Context(cli)
    assert sorted(COMMANDS) == TOP_LEVEL_COMMANDS
    assert [cli.get_command(context, name).name for name in TOP_LEVEL_COMMANDS] == TOP_LEVEL_COMMANDS


def test_cli_unknown_command_exits_2_suggesting_a_lazy_command_when_not_listed():
    result = subprocess.run([sys.executable, "-m", "zkmargin", "verfy"], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "No such command 'verfy'. Did you mean 'verify'?" in result.stderr
