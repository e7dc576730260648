"""Imports only point down: each room of the package may import the rooms below it, never above.

The rooms and what each may touch are in docs/architecture.md; `ALLOWED` is that table.
"""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "zkmargin"
FOUNDATIONS = {
    "zkmargin.errors", "zkmargin.jsonio", "zkmargin.formats", "zkmargin.files", "zkmargin.validation", "zkmargin.canonical",
    "zkmargin.units", "zkmargin.console",
}

# Each room's allowed imports: whole rooms, or single modules by full name.
ALLOWED: dict[str, set[str]] = {
    "foundation": {"foundation"},
    "hazmat": {"hazmat", "zkmargin.errors"},
    "engine": {"engine", "foundation"},
    "anchors": {"anchors", "engine", "hazmat", "foundation"},
    "proofs": {"proofs", "anchors", "engine", "hazmat", "foundation"},
    "api": {"engine", "anchors", "proofs", "foundation"},
    # The venue's ledger, intake and monitor: a database around the public API's verifier;
    # intake asks whether its trust set vouches for an epoch's params signer.
    "venue": {"venue", "api", "proofs", "engine", "foundation", "zkmargin.anchors.signed_params"},
    # The command line and the demo use the public API; they also pick the curve backend,
    # which is hazmat's documented switch (`zkmargin.hazmat.groups.use`).
    "demo": {"demo", "venue", "api", "foundation", "zkmargin.hazmat.groups"},
    "cli": {"cli", "demo", "venue", "api", "foundation", "zkmargin.hazmat.groups"},
    "entry point": {"cli"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def module_file(name: str) -> Path | None:
    relative = Path(*name.split(".")[1:])
    if not relative.parts:
        return PACKAGE / "__init__.py"
    for candidate in (PACKAGE / relative.with_suffix(".py"), PACKAGE / relative / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def room(name: str) -> str:
    """The layer a zkmargin module lives in."""
    if name == "zkmargin":
        return "api"
    if name == "zkmargin.__main__":
        return "entry point"
    if name in FOUNDATIONS:
        return "foundation"
    top = name.split(".")[1]
    if top in {"hazmat", "engine", "anchors", "proofs", "venue", "cli", "demo"}:
        return top
    raise AssertionError(f"{name} is in no room: add it to a layer and to docs/architecture.md")


def may_import(importer: str, imported: str) -> bool:
    allowed = ALLOWED[room(importer)]
    return room(imported) in allowed or imported in allowed


def runtime_nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:` (annotations only, never executed)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        yield node
        yield from runtime_nodes(node)


def imported_names(tree: ast.AST) -> set[str]:
    found = set()
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


LAZY_TARGET = re.compile(r"zkmargin(\.\w+)+(:\w+)?")


def lazily_imported_names(tree: ast.AST) -> set[str]:
    """Modules named by a string that is nothing but a module path ("zkmargin.cli.verify:verify"):
    the tables that `import_module` loads on first use (`zkmargin._HOMES`, `zkmargin.cli.COMMANDS`)."""
    return {
        node.value.partition(":")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and LAZY_TARGET.fullmatch(node.value)
    }


def direct_imports(name: str) -> set[str]:
    """zkmargin modules imported at run time by module `name`, at once or on first use."""
    tree = ast.parse(module_file(name).read_text())
    found = imported_names(tree) | lazily_imported_names(tree)
    return {m for m in found if m.startswith("zkmargin") and module_file(m) is not None}


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(direct_imports(name))
    return seen


def upward_arrows(modules: dict[str, set[str]]) -> list[str]:
    return [
        f"{importer} ({room(importer)}) imports {imported} ({room(imported)})"
        for importer, imports in sorted(modules.items())
        for imported in sorted(imports)
        if not may_import(importer, imported)
    ]


ALL_MODULES = sorted(module_name(path) for path in PACKAGE.rglob("*.py"))


def test_layers_no_arrow_points_up_when_every_module_walked():
    assert upward_arrows({name: direct_imports(name) for name in ALL_MODULES}) == []


def test_layers_arrow_reported_when_engine_imports_proofs():
    arrows = upward_arrows({"zkmargin.engine.assess": {"zkmargin.proofs.prover", "zkmargin.units"}})
    assert arrows == ["zkmargin.engine.assess (engine) imports zkmargin.proofs.prover (proofs)"]


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("zkmargin.hazmat.msm", "zkmargin.jsonio"),
        ("zkmargin.engine.market", "zkmargin.hazmat.scalar"),
        ("zkmargin.proofs.verifier", "zkmargin.cli.common"),
        ("zkmargin.cli.check", "zkmargin.engine.assess"),
        ("zkmargin.demo.crowd", "zkmargin.proofs.prover"),
        ("zkmargin.units", "zkmargin.engine.market"),
        ("zkmargin.anchors.keys", "zkmargin.proofs.verifier"),
        ("zkmargin.engine.params", "zkmargin.anchors.keys"),
        ("zkmargin.venue.ledger", "zkmargin.cli.common"),
        ("zkmargin.proofs.verifier", "zkmargin.venue.ledger"),
    ],
)
def test_layers_arrow_refused_when_it_points_up_or_past_the_api(importer, imported):
    assert not may_import(importer, imported)


def test_layers_every_module_has_a_room_when_tree_walked():
    rooms = {room(name) for name in ALL_MODULES}
    assert {"hazmat", "engine", "anchors", "proofs", "venue", "cli", "demo", "foundation", "api"} <= rooms


def test_layers_no_relative_import_when_tree_walked():
    relative = [
        name
        for name in ALL_MODULES
        for node in ast.walk(ast.parse(module_file(name).read_text()))
        if isinstance(node, ast.ImportFrom) and node.level
    ]
    assert relative == []


@pytest.mark.parametrize(
    "entry", ["zkmargin.proofs.verifier", "zkmargin.proofs.proof_file", "zkmargin.proofs.statement"]
)
def test_verifier_path_never_imports_portfolio_or_witness_when_walked(entry):
    modules = reachable(entry)
    assert "zkmargin.proofs.circuit" in modules or entry == "zkmargin.proofs.proof_file"
    assert not {"zkmargin.engine.portfolio", "zkmargin.proofs.witness", "zkmargin.proofs.prover"} & modules


def test_import_walk_sees_witness_when_prover_is_walked():
    assert {"zkmargin.proofs.witness", "zkmargin.engine.portfolio"} <= reachable("zkmargin.proofs.prover")


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


def test_layers_walk_sees_lazy_imports_when_names_and_commands_load_on_first_use():
    assert {"zkmargin.proofs.verifier", "zkmargin.engine.portfolio"} <= direct_imports("zkmargin")
    assert {"zkmargin.cli.verify", "zkmargin.cli.ledger"} <= direct_imports("zkmargin.cli")
