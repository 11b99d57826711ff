"""The OUTLIER rule: robust z-scores of a line's quantity and unit price.

z = (x − median) / (1.4826 · MAD): quantity within the product's category,
log unit price against the product's own usual price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from loyalty_lake.codes import Reason
from loyalty_lake.silver.checks import Rule, has_own_reasons, is_rejected

#: ``outliers=LATER`` leaves the OUTLIER rule out of a check, to be judged once the
#: whole run's statistics are known (:func:`outlier_candidates`, :func:`outlier_lines`):
#: a run checked in parts, where OUTLIER only warns.
LATER: Final = "later"
Later = Literal["later"]


@dataclass(frozen=True, slots=True)
class OutlierStats:
    """What the OUTLIER rule judges a line against: medians and MADs of clean lines.

    ``quantity``: per product category (``_category``, ``_q_median``, ``_q_mad``);
    ``unit_price``: the log unit price per product (``product_id``, ``_p_median``,
    ``_p_mad``).
    """

    quantity: pl.LazyFrame
    unit_price: pl.LazyFrame

    @classmethod
    def of(cls, values: pl.LazyFrame) -> OutlierStats:
        """The statistics of ``values`` (see :func:`outlier_values`)."""

        def stats(column: str, group: str) -> pl.LazyFrame:
            return values.group_by(group).agg(
                pl.col(column).median().alias(f"{column}_median"),
                (pl.col(column) - pl.col(column).median()).abs().median().alias(f"{column}_mad"),
            )

        return cls(quantity=stats("_q", "_category"), unit_price=stats("_p", "product_id"))

    def collect(self) -> OutlierStats:
        """The same statistics computed now (small frames: one row per category or product)."""
        quantity, unit_price = pl.collect_all([self.quantity, self.unit_price])
        return OutlierStats(quantity=quantity.lazy(), unit_price=unit_price.lazy())


def usable_for_outliers() -> pl.Expr:
    """Lines clean enough to measure what is usual: no reason of their own, a quantity."""
    return is_rejected().not_() & (pl.col("quantity") > 0)


def with_outlier_measures(lines: pl.LazyFrame, products: pl.DataFrame) -> pl.LazyFrame:
    """Add the line's category, quantity and log unit price as floats."""
    products = products.unique("product_id")
    category = pl.col("product_id").replace_strict(
        products["product_id"], products["product_category"], default=None
    )
    quantity = pl.col("quantity").cast(pl.Float64)
    unit_price = (pl.col("line_item_amount").cast(pl.Float64) / quantity).log()
    return lines.with_columns(
        category.alias("_category"), quantity.alias("_q"), unit_price.alias("_p")
    )


def with_outlier_scores(
    lines: pl.LazyFrame, products: pl.DataFrame, outliers: OutlierStats | pl.LazyFrame | None
) -> pl.LazyFrame:
    """Add robust z-scores of quantity (within the category) and log unit price (the product).

    z = (x − median) / (1.4826 · MAD), the MAD floored so that a group whose
    lines are all alike does not make every small difference an outlier. A
    product's unit price is compared with its own usual price (prices within a
    category vary too much to judge one against the other). The medians come
    from ``outliers``: given statistics, reference lines, or (None) the lines'
    own clean lines.
    """
    lines = with_outlier_measures(lines, products)
    groups = {"_q": "_category", "_p": "product_id"}
    if outliers is None:  # the run's own clean lines, as windows: no join over the lines
        usable = usable_for_outliers()
        lines = lines.with_columns(
            pl.col(c).filter(usable).median().over(g).alias(f"{c}_median")
            for c, g in groups.items()
        ).with_columns(
            (pl.col(c) - pl.col(f"{c}_median"))
            .abs()
            .filter(usable)
            .median()
            .over(g)
            .alias(f"{c}_mad")
            for c, g in groups.items()
        )
    else:
        if isinstance(outliers, pl.LazyFrame):
            reference = with_outlier_measures(outliers, products)
            outliers = OutlierStats.of(reference.filter(pl.col("quantity") > 0))
        lines = _joined(lines, outliers)
    return _scored(lines)


def _joined(lines: pl.LazyFrame, stats: OutlierStats) -> pl.LazyFrame:
    return lines.join(stats.quantity, on="_category", how="left").join(
        stats.unit_price, on="product_id", how="left"
    )


def _scored(lines: pl.LazyFrame) -> pl.LazyFrame:
    q_scale = pl.max_horizontal(1.4826 * pl.col("_q_mad"), pl.lit(1.0))
    p_scale = pl.max_horizontal(1.4826 * pl.col("_p_mad"), pl.lit(0.1))
    return lines.with_columns(
        ((pl.col("_q") - pl.col("_q_median")) / q_scale).alias("_q_score"),
        ((pl.col("_p") - pl.col("_p_median")) / p_scale).alias("_p_score"),
    )


def outlier_rules(threshold: float) -> list[Rule]:
    """OUTLIER: a quantity or unit price more than ``threshold`` robust deviations off."""
    clean = has_own_reasons(ignoring=[Reason.OUTLIER]).not_()
    return [
        Rule(
            Reason.OUTLIER,
            clean & _far(threshold),
            pl.format("quantity {} is far above its category's usual", pl.col("quantity")),
        ),
        Rule(
            Reason.OUTLIER,
            clean & _far(threshold, quantity=False),
            pl.format(
                "unit price {} is far from this product's usual",
                (pl.col("line_item_amount") / pl.col("quantity")).round(2),
            ),
        ),
    ]


def _far(threshold: float, *, quantity: bool = True) -> pl.Expr:
    """The quantity's (or the unit price's) score is more than ``threshold`` off."""
    return pl.col("_q_score") > threshold if quantity else pl.col("_p_score").abs() > threshold


#: The sales rules a line's transaction adds after the line's own (see ``checked_sales``).
_TRANSACTION_REASONS = (Reason.ORPHAN_LINE, Reason.PARENT_REJECTED)


def outlier_candidates(lines: pl.LazyFrame, products: pl.DataFrame) -> pl.LazyFrame:
    """The lines the OUTLIER rule judges, with their measures, from lines checked ``LATER``.

    A line is judged when no rule of its own rejects it (its transaction's do
    not count); those with a positive quantity make the statistics. Columns:
    ``_file_sha256``, ``_row_number``, ``product_id``, ``_category``, ``_q``, ``_p``.
    """
    own = has_own_reasons(ignoring=[Reason.OUTLIER, *_TRANSACTION_REASONS])
    return with_outlier_measures(lines.filter(own.not_()), products).select(
        # Nearly every line is a candidate, held until the run's last part is checked:
        # its file (a few per run) as a category, not 64 characters a line.
        pl.col("_file_sha256").cast(pl.Categorical),
        "_row_number",
        "product_id",
        "_category",
        "_q",
        "_p",
    )


def candidate_stats(candidates: pl.LazyFrame) -> OutlierStats:
    """The statistics of a whole run's :func:`outlier_candidates` (their usable lines)."""
    return OutlierStats.of(candidates.filter(pl.col("_q") > 0))


def outlier_lines(candidates: pl.LazyFrame, stats: OutlierStats, threshold: float) -> pl.LazyFrame:
    """The candidates (``_file_sha256``, ``_row_number``) the OUTLIER rule flags."""
    scored = _scored(_joined(candidates, stats))
    far = (_far(threshold) | _far(threshold, quantity=False)).fill_null(False)
    return scored.filter(far).select(pl.col("_file_sha256").cast(pl.String), "_row_number")
