"""The Typer app, the options every command shares, and how a command runs.

How a command ends is its exit status (:class:`~loyalty_lake.errors.ExitCode`):
0 done, 1 data refused, 2 usage errors (options, paths, permissions,
configuration), 3 bugs, 130 interrupted.
"""

from __future__ import annotations

import contextvars
import errno
import functools
import logging
import os
import re
import traceback
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer

from loyalty_lake import __version__
from loyalty_lake.cli.terminal import err_console, log_handler, shown
from loyalty_lake.errors import ConfigError, ExitCode, LakePathError, LoyaltyLakeError
from loyalty_lake.io import lock
from loyalty_lake.io.lake import Lake

if TYPE_CHECKING:
    from collections.abc import Callable

    from loyalty_lake.config import Config

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="loyalty-lake",
    help="Retail loyalty analytics lakehouse: landing CSV → bronze → silver → gold.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
LakeOption = Annotated[
    Path | None,
    typer.Option(
        "--lake", help="Lake root folder.", show_default="./lake, or lake_root in the config"
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML configuration file (see docs/configuration.md)."),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Compute gold as of this date, YYYY-MM-DD.",
        show_default="the latest transaction",
    ),
]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log each step; show tracebacks of errors.")
]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print JSON on stdout for scripts (ISO dates, decimals as text) instead of tables.",
    ),
]


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"loyalty-lake {__version__}")
        raise typer.Exit


@app.callback()
def options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Retail loyalty analytics lakehouse: landing CSV → bronze → silver → gold."""


def command(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command with logging set up and errors shown as messages with an exit status.

    User errors and operating-system errors (permissions, a file where a
    folder belongs, a full disk) are messages with a hint; only bugs are
    "internal errors". Ctrl-C stops with "Interrupted." and status 130.
    """

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        verbose = bool(kwargs.get("verbose"))
        logging.basicConfig(
            level=logging.INFO if verbose else logging.WARNING,
            handlers=[log_handler()],
            force=True,
        )
        try:
            # A context of its own: settings_of sets the lock wait for this command only.
            return contextvars.copy_context().run(fn, *args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):  # exits, usage errors
            raise
        except LoyaltyLakeError as exc:
            if verbose:
                traceback.print_exc()
            label = "Internal error" if exc.exit_code is ExitCode.INTERNAL else "Error"
            _print_error(f"{label}:", exc.message, exc.hint)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("Interrupted.", soft_wrap=True)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except Exception as exc:
            if verbose:
                traceback.print_exc()
            problem = os_problem(exc)
            if problem is not None:
                _print_error("Error:", *problem)
                raise typer.Exit(ExitCode.USAGE) from None
            _print_error(
                "Internal error:",
                f"{type(exc).__name__}: {exc}",
                "rerun with --verbose for the traceback and report it as a bug.",
            )
            raise typer.Exit(ExitCode.INTERNAL) from None

    return run


def _print_error(label: str, message: str, hint: str | None) -> None:
    """An error and its hint on stderr, one line each however long (for logs and scripts)."""
    err_console.print(f"[bold red]{label}[/] {shown(message)}", soft_wrap=True)
    if hint:
        err_console.print(f"[yellow]Hint:[/] {shown(hint)}", soft_wrap=True)


#: The operating-system error a Delta or polars error wraps, as its message quotes it.
_OS_ERROR = re.compile(r"\(os error (\d+)\)|\bOs \{ code: (\d+)")
_OS_HINTS = {
    errno.EACCES: "The loyalty-lake user must be able to read and write the lake's folders "
    "(and read the landing ones): check their owner and mode with ls -ld, or pass another --lake.",
    errno.EROFS: "The lake is on a read-only file system: pass a writable folder to --lake.",
    errno.ENOTDIR: "A file stands where loyalty-lake needs a folder: pass a folder to --lake "
    "(it is created if missing) or move the file away.",
    errno.EISDIR: "A folder stands where loyalty-lake needs a file: check the path.",
    errno.ENOENT: "Check the path: it does not exist (or was removed while the command ran).",
    errno.ENOSPC: "The disk is full: free some space (vacuum deletes the files old versions "
    "no longer need), then run the command again.",
}
_OS_HINTS[errno.EPERM] = _OS_HINTS[errno.EACCES]
_OS_HINTS[errno.EEXIST] = _OS_HINTS[errno.ENOTDIR]
_OS_HINTS[errno.EDQUOT] = _OS_HINTS[errno.ENOSPC]


def os_problem(exc: Exception) -> tuple[str, str] | None:
    """The message and hint of an operating-system error, or None if ``exc`` is not one.

    Also finds the one a Delta or polars error wraps (``Permission denied (os error 13)``).
    """
    if isinstance(exc, OSError):
        code = exc.errno
        reason = exc.strerror or str(exc)
        paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
        message = f"{reason}: {' → '.join(paths)}" if paths else reason
    else:
        found = _OS_ERROR.search(str(exc))
        if found is None:
            return None
        code = int(found.group(1) or found.group(2))
        message = f"{os.strerror(code)}: {str(exc).splitlines()[0]}"
    hint = _OS_HINTS.get(
        code or 0, "Check the path, its permissions and the disk, then run the command again."
    )
    return message, hint


def as_of_date(value: str | None) -> date | None:
    """The ``--as-of`` option as a date."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"--as-of {value!r} is not a date.", hint="Use YYYY-MM-DD, e.g. 2026-10-31."
        ) from None


def settings_of(lake: Path | None, config: Path | None) -> tuple[Config, Lake]:
    """The configuration and the lake of the ``--lake`` and ``--config`` options.

    Writers of the command wait for another one as long as ``lock_wait_seconds`` says.
    """
    from loyalty_lake.config import load_config  # polars: not for --help

    settings = load_config(config, overrides={"lake_root": lake})
    lock.set_wait(settings.lock_wait_seconds)
    return settings, lake_at(settings.lake_root)


def lake_at(root: Path) -> Lake:
    """The lake rooted at ``root``; refused if ``root`` (or a folder above it) is a file."""
    lake = Lake(root)
    existing = next((p for p in (lake.root, *lake.root.parents) if p.exists()), lake.root)
    if not existing.is_dir():
        raise LakePathError(
            f"The lake root {lake.root} is a file, not a folder."
            if existing == lake.root
            else f"The lake root {lake.root} lies under {existing}, which is a file.",
            hint="Pass the lake's folder with --lake (or lake_root in the configuration); "
            "a folder that does not exist yet is created.",
        )
    return lake
