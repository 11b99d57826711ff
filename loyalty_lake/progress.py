"""Progress reporting for long steps, without tying the library to a UI.

Library functions take an optional ``progress`` callback and call it as
``progress(step, done, total)``: ``step`` names what is being worked on
("Ingesting sales_lines.csv"), ``done`` how many units are finished and
``total`` how many there are (None when unknown). The CLI turns the calls into
rich progress bars; notebooks can pass ``print`` or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

Progress: TypeAlias = Callable[[str, int, "int | None"], None]


def no_progress(step: str, done: int, total: int | None) -> None:
    """The default callback: report nothing."""
