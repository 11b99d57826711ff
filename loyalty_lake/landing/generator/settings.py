"""The settings a styled dataset needs to be read without guessing.

Most styles are read as they are. A few are not certain without a setting:
a decimal comma (``12,50`` could be 1250 with a thousands separator), a
day-first or month-first column whose values do not prove their order in some
file (every day ≤ 12), and a header name only a configured alias explains.
The generator says which: :class:`DatasetSettings`, as a TOML snippet for the
configuration file, as ``load_config`` overrides, or applied to a config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loyalty_lake.config import Config

#: Name of the settings file written into every batch folder of a dataset that needs some.
SETTINGS_FILE: Final = "_settings.toml"


def _toml(text: str) -> str:
    """Returns ``text`` as a TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class DatasetSettings:
    """What a configuration must say to read a generated dataset exactly as meant.

    ``decimal_comma`` lists the tables whose money uses a decimal comma
    (``dq.decimal_comma``), ``dates`` maps ``"table.column"`` to
    ``"day-first"`` or ``"month-first"`` (``dq.dates``), ``column_aliases``
    maps ``"file.header"`` to a contract column (``landing.column_aliases``).
    """

    decimal_comma: tuple[str, ...] = ()
    dates: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    column_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __bool__(self) -> bool:
        return bool(self.decimal_comma or self.dates or self.column_aliases)

    def overrides(self) -> dict[str, Any]:
        """Returns the settings as ``load_config(overrides=...)`` takes them (dotted keys)."""
        found: dict[str, Any] = {}
        if self.decimal_comma:
            found["dq.decimal_comma"] = list(self.decimal_comma)
        if self.dates:
            found["dq.dates"] = dict(self.dates)
        if self.column_aliases:
            found["landing.column_aliases"] = dict(self.column_aliases)
        return found

    def applied(self, config: Config) -> Config:
        """Returns ``config`` with these settings added to its own."""
        dq = replace(
            config.dq,
            decimal_comma=tuple(dict.fromkeys((*config.dq.decimal_comma, *self.decimal_comma))),
            dates={**config.dq.dates, **self.dates},
        )
        landing = replace(
            config.landing, column_aliases={**config.landing.column_aliases, **self.column_aliases}
        )
        return replace(config, dq=dq, landing=landing)

    def toml(self) -> str:
        """Returns the settings as a snippet of the configuration file (empty if none)."""
        parts = []
        if self.decimal_comma:
            tables = ", ".join(_toml(t) for t in self.decimal_comma)
            parts.append(f"[dq]\ndecimal_comma = [{tables}]\n")
        if self.dates:
            rows = "".join(f"{_toml(k)} = {_toml(v)}\n" for k, v in self.dates.items())
            parts.append(f"[dq.dates]\n{rows}")
        if self.column_aliases:
            rows = "".join(f"{_toml(k)} = {_toml(v)}\n" for k, v in self.column_aliases.items())
            parts.append(f"[landing.column_aliases]\n{rows}")
        return "\n".join(parts)
