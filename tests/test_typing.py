"""What type checkers see of the package: its own annotations (PEP 561) and the root's lazy names."""

import ast
import tomllib
import typing
from pathlib import Path

import zkmargin as zm
from zkmargin.engine.params import RiskParams
from zkmargin.engine.portfolio import Portfolio
from zkmargin.proofs.account import AccountCommitments, AccountOpenings, open_account
from zkmargin.proofs.verified import BatchResult

ROOT = Path(__file__).resolve().parents[1]


def type_checking_imports(path: Path) -> set[tuple[str, str, str]]:
    """(module, name imported, name bound) of every import under the module's `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text())
    (block,) = [
        node for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
    ]
    return {(node.module, alias.name, alias.asname or alias.name) for node in block.body for alias in node.names}


def test_root_type_checking_block_names_every_lazy_export_when_compared_with_the_tables():
    lazy = {(module, name, name) for module, names in zm._HOMES.items() for name in names}
    rooms = {("zkmargin", room, room) for room in zm._SUBPACKAGES}
    assert type_checking_imports(ROOT / "zkmargin" / "__init__.py") == lazy | rooms


def test_package_ships_its_py_typed_marker_when_built():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["setuptools"]["package-data"]["zkmargin"] == ["py.typed"]
    assert (ROOT / "zkmargin" / "py.typed").is_file()


def test_open_account_annotations_name_the_library_types_when_resolved():
    hints = typing.get_type_hints(open_account, localns={"Portfolio": Portfolio, "RiskParams": RiskParams})
    assert hints == {
        "portfolio": Portfolio, "params": RiskParams, "return": tuple[AccountCommitments, AccountOpenings],
    }


def test_batch_result_docstring_explains_ok_and_the_none_statements_when_read():
    doc = " ".join(BatchResult.__doc__.split())
    assert "`ok` is True when no proof failed" in doc
    assert "`statements[i]` is proof i's verified statement, or None when proof i failed" in doc
