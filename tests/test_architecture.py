"""The house rules of the package tree: no module imports a layer above it."""

from __future__ import annotations

import ast
from pathlib import Path

import loyalty_lake

PACKAGE = Path(loyalty_lake.__file__).parent

#: Rooms from the bottom up (see docs/architecture.md); a module may import its
#: own rank and those below, never above.
RANKS: list[tuple[str, ...]] = [
    ("codes", "errors", "progress", "_lazy"),
    ("config", "memory"),
    ("landing.contract", "privacy"),
    ("landing", "bronze", "silver", "gold", "dictionary"),
    ("io",),
    ("pipeline",),
    ("cli", "dashboard", "__init__"),
]


def rank(module: str) -> int:
    """The rank of a module path like ``silver.tables.sales`` (the longest prefix wins)."""
    best, length = None, -1
    for number, prefixes in enumerate(RANKS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = number, len(prefix)
    assert best is not None, module
    return best


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__") or "__init__"
        found[name] = path
    return found


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "loyalty_lake":  # its modules
            names |= {f"loyalty_lake.{a.name}" for a in node.names if a.name in modules()}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return {n.removeprefix("loyalty_lake.") for n in names if n.startswith("loyalty_lake.")}


def test_no_module_imports_a_layer_above_it():
    upward = [
        f"{name} (rank {rank(name)}) imports {other} (rank {rank(other)})"
        for name, path in sorted(modules().items())
        for other in sorted(imported(path))
        if rank(other) > rank(name)
    ]
    assert upward == []


def test_transforms_never_touch_disk():
    pure = [m for m in modules() if m.split(".")[0] in {"bronze", "silver", "gold"}]
    pure.append("dashboard.data")
    touching = [
        f"{name} imports {other}"
        for name in pure
        for other in imported(modules()[name])
        if other == "io" or other.startswith(("io.", "pipeline"))
    ]
    assert touching == []
