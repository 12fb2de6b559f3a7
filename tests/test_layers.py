"""The import contract of docs/architecture.md (and ../shared/design.md), checked by walking the
imports of every module under localflow/ with `ast` (imports inside functions and under
TYPE_CHECKING count: they are dependencies all the same).

Layers, lowest first; a module may import its own layer and the layers below it, never above:

    base (errors.py, timefmt.py, __init__.py) <- expr <- spec <- engine <- runtime | artifacts
        <- store <- report <- cli (and __main__.py)

- runtime and artifacts sit side by side and do not import each other;
- above the engine, only its declared surface `localflow.engine.interfaces` may be imported
  (the cli, which wires everything together, excepted);
- the Docker SDK (`docker`) is imported only under localflow/runtime/.

KNOWN_VIOLATIONS lists what breaks the contract (empty since issue 13), each with what should change. The
list can only shrink: an entry that is no longer needed fails the test until it is removed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "localflow"

LAYERS = ["base", "expr", "spec", "engine", "runtime|artifacts", "store", "report", "cli"]
RANK = {name: i for i, group in enumerate(LAYERS) for name in group.split("|")}
TOP_LEVEL = {"errors": "base", "timefmt": "base", "__init__": "base", "__main__": "cli"}
ENGINE_SURFACE = "localflow.engine.interfaces"
DOCKER_SDK = "docker"

# (importer, imported) -> what should change. Issue 13: "layers enforced by a test".
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}  # none left: keep it so


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path, modules: dict[str, Path]) -> set[str]:
    """What `path` imports: localflow modules resolved to the module imported (`from a import b`
    names module a.b when b is one), other packages by their top-level name."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules]
            found.update(subs if len(subs) == len(node.names) else subs + [target])
    return {m if m.startswith("localflow") else m.split(".")[0] for m in found}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "base"
    return TOP_LEVEL.get(parts[1], parts[1])


def breaks_contract(importer: str, imported: str) -> str | None:
    """Why `importer` may not import `imported`, or None when it may."""
    mine = layer_of(importer)
    if imported == DOCKER_SDK or imported.startswith(DOCKER_SDK + "."):
        return None if mine == "runtime" else "the Docker SDK outside localflow/runtime/"
    if not imported.startswith("localflow"):
        return None
    theirs = layer_of(imported)
    if mine not in RANK or theirs not in RANK:
        return f"a package the contract does not place ({mine} or {theirs}): add it to LAYERS"
    if theirs == mine:
        return None
    if RANK[theirs] > RANK[mine]:
        return f"{mine} imports {theirs}, a layer above it"
    if RANK[theirs] == RANK[mine]:
        return f"{mine} and {theirs} sit side by side and do not import each other"
    if theirs == "engine" and mine != "cli" and imported not in ("localflow.engine", ENGINE_SURFACE):
        return f"{mine} may use only {ENGINE_SURFACE} of the engine"
    return None


def contract_breaks() -> dict[tuple[str, str], str]:
    modules = all_modules()
    out = {}
    for name, path in modules.items():
        for imported in imported_modules(path, modules):
            why = breaks_contract(name, imported)
            if why:
                out[(name, imported)] = why
    return out


@pytest.fixture(scope="module")
def breaks() -> dict[tuple[str, str], str]:
    return contract_breaks()


def test_every_package_has_a_layer() -> None:
    for name in all_modules():
        assert layer_of(name) in RANK, f"{name}: not placed in LAYERS"


def test_imports_follow_the_layers(breaks: dict[tuple[str, str], str]) -> None:
    new = {k: v for k, v in breaks.items() if k not in KNOWN_VIOLATIONS}
    assert not new, "imports against docs/architecture.md's layers:\n" + "\n".join(
        f"  {a} imports {b}: {why}" for (a, b), why in sorted(new.items()))


def test_known_violations_are_still_needed(breaks: dict[tuple[str, str], str]) -> None:
    """The allow-list only shrinks: once an import is gone, its entry goes too."""
    stale = sorted(k for k in KNOWN_VIOLATIONS if k not in breaks)
    assert not stale, "fixed, remove from KNOWN_VIOLATIONS in tests/test_layers.py: " + ", ".join(
        f"{a} -> {b}" for a, b in stale)


# The checker itself, on imports written for the purpose (a contract test that cannot fail is no test).
@pytest.mark.parametrize(("importer", "imported", "broken"), [
    ("localflow.spec.load", "localflow.errors", False),
    ("localflow.spec.load", "localflow.expr.template", False),
    ("localflow.expr.template", "localflow.spec.model", True),
    ("localflow.engine.run", "localflow.runtime.fake", True),
    ("localflow.runtime.docker_runtime", "localflow.engine.interfaces", False),
    ("localflow.runtime.docker_runtime", "localflow.engine.pods", True),
    ("localflow.runtime.files", "localflow.artifacts.streams", True),
    ("localflow.artifacts.repository", "docker", True),
    ("localflow.runtime.calls", "docker", False),
    ("localflow.cli.submit", "localflow.engine.run", False),
    ("localflow.report.html", "localflow.cli.output", True),
    ("localflow.__main__", "localflow.cli.main", False),
    ("localflow.errors", "localflow.timefmt", False),
    ("localflow.timefmt", "localflow.store.db", True),
])
def test_contract_rules(importer: str, imported: str, broken: bool) -> None:
    assert (breaks_contract(importer, imported) is not None) is broken


def test_imports_are_resolved() -> None:
    modules = all_modules()
    path = PACKAGE / "cli" / "history.py"
    found = imported_modules(path, modules)
    assert "localflow.cli.output" in found  # `from . import output as O`
    assert "typer" in found


def test_the_readme_layout_names_every_package_and_top_level_module() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = {line.split()[0] for line in layout.splitlines() if line.startswith("localflow/")}
    present = {f"localflow/{p.name}" for p in PACKAGE.iterdir()
               if (p.is_dir() and (p / "__init__.py").exists())
               or (p.suffix == ".py" and p.stem in TOP_LEVEL and not p.stem.startswith("__"))}
    assert listed == present
