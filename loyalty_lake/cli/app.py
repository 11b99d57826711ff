"""The Typer app, the options every command shares, and how a command runs."""

from __future__ import annotations

import functools
import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer

from loyalty_lake.cli.terminal import err_console, log_handler, shown
from loyalty_lake.config import Config, load_config
from loyalty_lake.errors import ConfigError, LoyaltyLakeError
from loyalty_lake.io.lake import Lake

if TYPE_CHECKING:
    from collections.abc import Callable

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="loyalty-lake",
    help="Retail loyalty analytics lakehouse: landing CSV → bronze → silver → gold.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
LakeOption = Annotated[
    Path | None,
    typer.Option("--lake", help="Lake root folder [default: ./lake, or lake_root in config]."),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML configuration file (see docs/configuration.md)."),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Compute gold as of this date, YYYY-MM-DD [default: latest transaction]."
    ),
]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log each step; show tracebacks of internal errors.")
]


def command(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command with logging set up and user errors shown as messages, not tracebacks."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        verbose = bool(kwargs.get("verbose"))
        logging.basicConfig(
            level=logging.INFO if verbose else logging.WARNING,
            handlers=[log_handler()],
            force=True,
        )
        try:
            return fn(*args, **kwargs)
        except LoyaltyLakeError as exc:
            err_console.print(f"[bold red]Error:[/] {shown(exc.message)}")
            if exc.hint:
                err_console.print(f"[yellow]Hint:[/] {shown(exc.hint)}")
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if verbose:
                raise
            err_console.print(
                f"[bold red]Internal error:[/] {type(exc).__name__}: {shown(str(exc))}"
            )
            err_console.print(
                "[yellow]Hint:[/] rerun with --verbose for the traceback and report it as a bug."
            )
            raise typer.Exit(2) from None

    return run


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
    """The configuration and the lake of the ``--lake`` and ``--config`` options."""
    settings = load_config(config, overrides={"lake_root": lake})
    return settings, Lake(settings.lake_root)
