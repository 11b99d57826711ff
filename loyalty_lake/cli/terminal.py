"""The terminal: consoles, data shown as inert text, log lines, progress bars."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from loyalty_lake.privacy import masked, printable

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Data is printed as it is: no emoji codes (``:x:``), no highlighting; markup is the CLI's own,
#: every data value goes through :func:`shown`.
console = Console(emoji=False, highlight=False)
err_console = Console(stderr=True, emoji=False, highlight=False)


def shown(value: object) -> str:
    """``value`` as console text: masked, printed as it is (no markup, no control characters)."""
    return escape(printable(masked(str(value))))


def shown_lines(text: str) -> str:
    """A message of several lines (e.g. with its hint) for the console, line by line."""
    return "\n".join(shown(line) for line in text.splitlines())


class ShownLogFormatter(logging.Formatter):
    """Log messages as the terminal shows them: masked, without control characters."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The record's message, masked and printable."""
        return printable(masked(super().formatMessage(record)))


def log_handler() -> logging.Handler:
    """Log records to the error console, as plain text (no markup)."""
    handler = RichHandler(console=err_console, show_path=False, markup=False)
    handler.setFormatter(ShownLogFormatter("%(message)s"))
    return handler


class Bars:
    """Turns the library's progress callbacks into rich progress bars."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, step: str, done: int, total: int | None) -> None:
        """Show ``done`` of ``total`` for ``step``."""
        if step not in self._tasks:
            self._tasks[step] = self._progress.add_task(printable(step), total=total)
        self._progress.update(self._tasks[step], completed=done, total=total)


@contextmanager
def progress_bars() -> Iterator[Bars]:
    """Rich progress bars on the error console for the library's progress callbacks."""
    columns = (
        TextColumn("{task.description}", markup=False),  # steps name files and batches
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        yield Bars(progress)
