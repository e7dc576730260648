"""Imports only point down: the verifier never sees a portfolio, hazmat never sees the domain."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "zkmargin"


def module_file(name: str) -> Path | None:
    relative = Path(*name.split(".")[1:])
    for candidate in (PACKAGE / relative.with_suffix(".py"), PACKAGE / relative / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def runtime_nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:` (annotations only, never executed)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        yield node
        yield from runtime_nodes(node)


def direct_imports(name: str) -> set[str]:
    """zkmargin modules imported at run time by module `name`."""
    path = module_file(name)
    found = set()
    for node in runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {m for m in found if m.startswith("zkmargin") and module_file(m) is not None}


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(direct_imports(name))
    return seen


@pytest.mark.parametrize("entry", ["zkmargin.verifier", "zkmargin.proof_file", "zkmargin.statement"])
def test_verifier_path_never_imports_portfolio_or_witness_when_walked(entry):
    modules = reachable(entry)
    assert "zkmargin.circuit" in modules or entry == "zkmargin.proof_file"
    assert not {"zkmargin.portfolio", "zkmargin.witness", "zkmargin.prover"} & modules


def test_hazmat_never_imports_domain_layers_when_walked():
    for path in (PACKAGE / "hazmat").rglob("*.py"):
        name = "zkmargin." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        outside = {m for m in direct_imports(name) if not m.startswith("zkmargin.hazmat") and m != "zkmargin.errors"}
        assert not outside, f"{name} imports {outside}"


def test_import_walk_sees_witness_when_prover_is_walked():
    assert {"zkmargin.witness", "zkmargin.portfolio"} <= reachable("zkmargin.prover")


def test_domain_reaches_curves_only_through_hazmat_when_walked():
    curve_libraries = ("py_ecc", "py_arkworks_bls12381", "zkmargin.hazmat.groups.", "zkmargin.hazmat.msm")
    for path in PACKAGE.rglob("*.py"):
        if "hazmat" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert not name.startswith(curve_libraries), f"{path.name} imports {name}"
