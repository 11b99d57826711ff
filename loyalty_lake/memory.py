"""How much memory a build plans for, and how many rows fit in it.

A build bounds its memory by working in parts: silver checks a big run's
sales in parts of whole transactions, gold computes a full build's
per-customer stage in shards of customers. Each part costs time of its own
(splitting, and the fixed work of every part), so parts should be as large as
the machine allows. Their size comes from one setting, ``memory_budget``:
``"auto"`` (the default) plans for :data:`AUTO_SHARE` of the machine's
memory, or of the container's limit where that is lower; a size such as
``"4GiB"`` or ``"500MB"`` plans for that. The result never depends on it.

The budget is a plan, not a cap: a step's peak also holds what a part does
not bound (a run's rejects, the marts' totals).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: The share of the machine's memory an ``"auto"`` budget plans for.
AUTO_SHARE = 0.5
#: The smallest budget accepted (a plan below it would check a few rows at a time).
MIN_BUDGET = 64 * 2**20
#: What ``"auto"`` assumes where the machine's memory cannot be read.
UNKNOWN_MACHINE = 8 * 2**30

_UNITS = {
    "": 1,
    "b": 1,
    "k": 2**10,  # as in -Xmx4g and ulimit
    "m": 2**20,
    "g": 2**30,
    "t": 2**40,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)
_CGROUP_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),  # cgroup v2
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),  # cgroup v1
)


def parse_size(text: str) -> int:
    """Bytes of a size such as ``"4GiB"``, ``"1.5 GB"`` or ``"800000000"``.

    Units are B, KB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB, or
    K, M, G, T (powers of 1024), in any case. Raises ``ValueError`` for
    anything else.
    """
    match = _SIZE.fullmatch(text)
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise ValueError(f"not a size: {text!r}")
    return int(float(match.group(1)) * unit)


def machine_memory() -> int | None:
    """The memory this process may use: the machine's, or its container's limit if lower.

    None where it cannot be read (e.g. on Windows).
    """
    try:
        physical: int | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        physical = None
    limits = [physical] if physical else []
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < 2**60:  # "max" or a huge number: no limit
            limits.append(int(text))
    return min(limits) if limits else None


def budget_bytes(setting: str) -> int:
    """The bytes a ``memory_budget`` setting plans for (see the module docstring).

    ``"auto"`` plans for at least :data:`MIN_BUDGET`, however small the machine.
    """
    if setting.strip().lower() == "auto":
        return max(MIN_BUDGET, int((machine_memory() or UNKNOWN_MACHINE) * AUTO_SHARE))
    return parse_size(setting)


def describe(setting: str) -> str:
    """The budget in words, for a log line: ``"12.0 GiB (auto: half of 24.0 GiB)"``."""
    budget = f"{budget_bytes(setting) / 2**30:.1f} GiB"
    if setting.strip().lower() != "auto":
        return budget
    machine = machine_memory()
    seen = f"{machine / 2**30:.1f} GiB" if machine else "an unknown machine, taken as 8 GiB"
    return f"{budget} (auto: {AUTO_SHARE:.0%} of {seen})"


def rows_within(setting: str, *, bytes_per_row: int, fixed: int, least: int) -> int:
    """How many rows fit the budget, at ``bytes_per_row`` each beyond a ``fixed`` cost.

    Never fewer than ``least``: below some size, parts cost more than they save.
    """
    return max(least, (budget_bytes(setting) - fixed) // bytes_per_row)
