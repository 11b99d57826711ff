"""The terminal: consoles, data shown as inert text, tables that fit, log lines, progress bars.

Rich's tables, log handler and progress bars are imported when first used: a
command that shows none of them (``--version``) does not load them.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.text import Text  # loaded by rich.console anyway

from loyalty_lake.privacy import masked, printable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from rich.progress import Progress, TaskID
    from rich.table import Table

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
    """Log records to stderr as text (no markup): Rich on a terminal, else plain lines.

    Plain lines (stderr is a file, a pipe or a journal) are one per record, never
    wrapped, with an ISO timestamp: ``2026-12-06T02:16:42 WARNING name: message``.
    """
    handler: logging.Handler
    if err_console.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(console=err_console, show_path=False, markup=False)
        handler.setFormatter(ShownLogFormatter("%(message)s"))
    else:
        handler = _StderrHandler()
        handler.setFormatter(
            ShownLogFormatter(
                "%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%S"
            )
        )
    return handler


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (as the error console does)."""

    @property
    def stream(self) -> TextIO:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, _: object) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a table that fits the console (see :func:`fitted_table`)."""

    header: str
    justify: Literal["left", "right"] = "left"
    #: Values are shown whole, never wrapped or cut (dates, ids, names, numbers);
    #: otherwise they fold onto more lines.
    whole: bool = True
    #: Dropped when the console is too narrow, lowest first; None: always shown.
    drop: int | None = None


#: The narrowest a column of folded text gets before droppable columns go.
_FOLDED_WIDTH = 20


def fitted_table(title: str, columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> Table:
    """A table of ``rows`` (console markup, one string per column) that fits the console.

    Whole columns are as wide as their widest value. When the console is too
    narrow, headers wrap at spaces first, then droppable columns go, so a date
    or an id is never cut.
    """
    from rich.table import Table

    cells = [list(row) for row in rows]
    values = [[row[i] for row in cells] for i in range(len(columns))]
    widths = [_width(c, v, header=cell_len(c.header)) for c, v in zip(columns, values, strict=True)]
    narrow = [
        _width(c, v, header=_longest_word(c.header)) for c, v in zip(columns, values, strict=True)
    ]
    kept = list(range(len(columns)))
    for i in sorted(kept, key=lambda i: narrow[i] - widths[i]):  # the most saved first
        if _fits(widths, kept):
            break
        widths[i] = narrow[i]
    for _, i in sorted((c.drop, i) for i, c in enumerate(columns) if c.drop is not None):
        if _fits(widths, kept):
            break
        kept.remove(i)
    table = Table(title=title)
    for i in kept:
        column = columns[i]
        header = Text(column.header, no_wrap=False)
        if column.whole:
            table.add_column(header, justify=column.justify, no_wrap=True, width=widths[i])
        else:
            table.add_column(header, justify=column.justify, overflow="fold", min_width=widths[i])
    for row in cells:
        table.add_row(*(row[i] for i in kept))
    return table


def _fits(widths: Sequence[int], kept: Sequence[int]) -> bool:
    """Whether columns of ``widths`` fit the console, with their padding and borders."""
    return sum(widths[i] + 3 for i in kept) + 1 <= console.width


def _width(column: Column, values: Sequence[str], *, header: int) -> int:
    """The width ``column`` needs: its widest value if whole, at least ``header``."""
    widest = max(
        (cell_len(line) for value in values for line in Text.from_markup(value).plain.split("\n")),
        default=1,
    )
    return max(header, widest if column.whole else min(widest, _FOLDED_WIDTH), 1)


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


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
    """Rich progress bars on the error console for the library's progress callbacks.

    Only on a terminal: in a file, a pipe or a journal they would be stray lines.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}", markup=False),  # steps name files and batches
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=err_console, transient=True, disable=not err_console.is_terminal
    ) as progress:
        yield Bars(progress)
