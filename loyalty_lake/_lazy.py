"""Lazy exports (PEP 562): a package names its public API and imports each name's module on use.

``import loyalty_lake`` and ``loyalty-lake --help`` then import no transform, no
contract and no pandera (docs/performance.md, "Startup"), while
``from loyalty_lake.pipeline import build`` and ``ll.build(...)`` work as before.
A package writes its exports twice, as imports for type checkers and as a map
for the run time::

    if TYPE_CHECKING:
        from loyalty_lake.pipeline.build import BuildReport, build
    else:
        __getattr__, __dir__ = lazy_exports(
            __name__, {"loyalty_lake.pipeline.build": ["BuildReport", "build"]}
        )
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package`` for ``exports``.

    ``exports`` maps each module to the names the package takes from it, as an
    import lists them: ``"build"``, or ``"reprocess_rejects as reprocess"``. A
    name is imported on first use, then kept in the package's namespace.
    """
    namespace = sys.modules[package]
    sources: dict[str, tuple[str, str]] = {}
    for module, names in exports.items():
        for entry in names:
            attribute, _, name = entry.partition(" as ")
            sources[name or attribute] = (module, attribute)
    namespace.__class__ = _Package
    namespace.__dict__["__lazy_exports__"] = sources

    def __getattr__(name: str) -> Any:
        if name not in sources:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = sources[name]
        value = getattr(importlib.import_module(module), attribute)
        namespace.__dict__[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace.__dict__, *sources})

    return __getattr__, __dir__


class _Package(types.ModuleType):
    """A package whose exports keep their meaning when a submodule of the same name loads.

    The import system binds each submodule it loads to its package:
    importing ``loyalty_lake.pipeline.build`` sets the package's ``build``. Eager
    imports in ``__init__`` rebound it to the function right after; lazily,
    this does: an export named like the submodule that defines it stays the export.
    """

    def __setattr__(self, name: str, value: object) -> None:
        sources = self.__dict__.get("__lazy_exports__", {})
        if (
            isinstance(value, types.ModuleType)
            and name in sources
            and sources[name][0] == value.__name__ == f"{self.__name__}.{name}"
        ):
            value = getattr(value, sources[name][1])
        super().__setattr__(name, value)
