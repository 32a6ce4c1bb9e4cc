"""The package keeps the layout of DESIGN.md: one folder a layer, data flowing one way.

Imports are read from the source (``ast``), lazy imports inside functions included: no
module imports a higher layer, there is no import cycle (except spec.model <-> spec.lavaan,
which stays lazy), no module is over ~400 lines, the engine knows no pandas, and only
the Refit calls the engine's estimate.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "satmodel"

#: lowest layer first; a module may import its own layer and those below it
LAYERS = [
    {"errors", "_compiled", "_held", "_linalg", "_threads", "_validate", "diagnostics"},
    {"spec"},
    {"templates", "datasets"},
    {"survey"},
    {"moments"},
    {"engine"},
    {"tables"},
    {"inference"},
    {"assess"},
    {"index"},
    {"groups"},
    {"cbsem"},
    {"results"},
    {"report"},
    {"cli", "__init__", "__main__"},
]
RANK = {name: k for k, layer in enumerate(LAYERS) for name in layer}
ALLOWED_CYCLES = {frozenset({"satmodel.spec.model", "satmodel.spec.lavaan"})}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = "satmodel." + ".".join(p for p in parts if p != "__init__") if parts != ("__init__",) \
            else "satmodel"
        out[name.rstrip(".")] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """satmodel modules imported anywhere in the file (resolved to existing modules)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("satmodel"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("satmodel")}
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int:
    parts = module.split(".")
    return RANK["__init__"] if len(parts) == 1 else RANK[parts[1]]


def test_every_module_has_a_layer():
    assert all(m.split(".")[1] in RANK for m in MODULES if m != "satmodel")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_a_higher_layer(name):
    higher = sorted(m for m in GRAPH[name] if _layer(m) > _layer(name))
    assert not higher, f"{name} (layer {_layer(name)}) imports higher layers: {higher}"


def test_no_import_cycles():
    cycles = []
    for start in GRAPH:  # depth-first search for a path back to start
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in GRAPH[node]:
                if nxt == start and len(path) > 1:
                    cycles.append(path)
                elif nxt not in path and len(path) < 12:
                    stack.append((nxt, path + [nxt]))
    bad = {frozenset(c) for c in cycles} - ALLOWED_CYCLES
    assert not bad, f"import cycles: {[sorted(c) for c in bad]}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_stay_small(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines (split it by responsibility)"


def test_engine_knows_no_pandas_and_only_the_refit_estimates():
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                 for a in n.names}
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        if name.startswith("satmodel.engine"):
            assert "pandas" not in names and "pandas" not in modules, name
        if name not in ("satmodel.engine.refit", "satmodel.engine", "satmodel.engine.pls"):
            imports_estimate = any(isinstance(n, ast.ImportFrom) and (n.module or "").endswith(
                "pls") and any(a.name == "estimate" for a in n.names) for n in ast.walk(tree))
            assert not imports_estimate, f"{name} calls the engine directly; use a Refit"


def test_no_private_helper_is_imported_across_modules():
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(
                    "satmodel")):
                private = [a.name for a in node.names if a.name.startswith("_") and
                           a.name not in ("_linalg", "_validate", "__version__")]
                assert not private, f"{name} imports private {private} from {node.module}"
