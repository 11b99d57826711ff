"""The ``clv`` command: the fitted CLV models, what they say, and the top customers by CLV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from loyalty_lake.cli.app import (
    ConfigOption,
    JsonOption,
    LakeOption,
    VerboseOption,
    app,
    command,
    settings_of,
)
from loyalty_lake.cli.terminal import Column, console, fitted_table, shown

if TYPE_CHECKING:
    from loyalty_lake.config import ClvConfig
    from loyalty_lake.pipeline.clv import ClvSummary

#: Parameters written otherwise than gold names them (BG/NBD's alpha as the papers write it).
_SYMBOLS = {"alpha": "α"}
_MODEL_NAMES = {"bg_nbd": "BG/NBD", "gamma_gamma": "Gamma-Gamma"}


@app.command("clv")
@command
def clv_command(
    top: Annotated[
        int, typer.Option("--top", min=0, metavar="N", help="Show the N customers of highest CLV.")
    ] = 10,
    json: JsonOption = False,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Show the customer lifetime value models gold fitted, what they say, and the top customers.

    The BG/NBD model (repeat purchases and drop-out) and the Gamma-Gamma model
    (spend per purchase day) are fitted by every build (see docs/analytics.md).
    Exits with status 1 when gold has no CLV (too few repeat customers, or a
    fit that did not converge), 2 when the lake has no gold yet.

    Example: loyalty-lake clv --top 20

    Example: loyalty-lake clv --json | jq '.top[0]'
    """
    from loyalty_lake.cli.show import print_json
    from loyalty_lake.pipeline.clv import clv_summary

    settings, where = settings_of(lake, config)
    summary = clv_summary(
        lake=where, top=top, min_repeat_customers=settings.clv.min_repeat_customers
    )
    if json:
        print_json(summary)
    else:
        print_clv(summary, settings=settings.clv)
    summary.check()


def print_clv(summary: ClvSummary, *, settings: ClvConfig) -> None:
    """The fits with their quality, a reading of the parameters, then the top customers."""
    unit = summary.time_unit or settings.time_unit
    if summary.fits:
        rows = [
            (
                _MODEL_NAMES.get(fit.model, shown(fit.model)) if first else "",
                _SYMBOLS.get(name, shown(name)),
                f"{value:.4g}",
                f"{fit.log_likelihood:,.1f}" if first else "",
                f"{fit.customers:,}" if first else "",
                ("yes" if fit.converged else "[red]no[/]") if first else "",
            )
            for fit in summary.fits
            for first, (name, value) in zip(
                [True] + [False] * len(fit.parameters), fit.parameters.items(), strict=False
            )
        ]
        columns = (
            Column("model"),
            Column("parameter"),
            Column("value", "right"),
            Column("log-likelihood", "right"),
            Column("customers", "right"),
            Column("converged"),
        )
        as_of = f" as of {summary.as_of}" if summary.as_of else ""
        title = f"CLV models{as_of} (gold/clv_parameters; time in {shown(unit)}s)"
        console.print(fitted_table(title, columns, rows))
    reading = summary.reading
    if reading is not None:
        console.print(
            f"While active, a customer buys on {reading.purchase_rate:.3g} days a {shown(unit)} "
            f"on average (r/α; {reading.purchases_per_year:.3g} a year), and drops out after a "
            f"repeat purchase day with probability {reading.dropout_probability:.3g} "
            "(a/(a+b))."
        )
        if reading.mean_spend is not None:
            console.print(
                f"A purchase day spends {reading.mean_spend:,.2f} on average across customers "
                "(p·v/(q−1)); a customer's own history pulls theirs towards their own mean."
            )
    if summary.problem is not None:
        return  # the command reports the problem as an error
    if summary.top.height:
        rows = [
            (
                shown(row["customer_id"]),
                shown(row["value_tier"]),
                f"{row['p_alive']:.3f}",
                f"{row['expected_purchases']:.2f}",
                f"{row['expected_avg_spend']:,.2f}",
                f"{row['clv']:,.2f}",
            )
            for row in summary.top.iter_rows(named=True)
        ]
        columns = (
            Column("customer"),
            Column("tier"),
            Column("p_alive", "right"),
            Column("expected purchases", "right"),
            Column("expected spend", "right", drop=1),
            Column("clv", "right"),
        )
        title = f"Top {summary.top.height:,} of {summary.customers:,} customers by CLV"
        console.print(fitted_table(title, columns, rows))
    console.print(
        f"Total CLV {summary.total_clv:,.2f} over {summary.customers:,} customers: the expected "
        f"spend of the next clv.horizon_months (now {settings.horizon_months}), discounted at "
        f"clv.annual_discount_rate (now {settings.annual_discount_rate}) a year; a forecast "
        "for ranking and budgeting, not booked money."
    )
