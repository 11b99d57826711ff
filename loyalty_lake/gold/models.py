# mypy: disable-error-code="valid-type"
"""Gold contracts: one pandera model per published table."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
from pandera.engines import polars_engine as pe

from loyalty_lake.codes import (
    MONEY,
    RATE,
    EventType,
    NormalisationKind,
    NotificationKind,
    NotificationStatus,
    RedemptionStatus,
    Segment,
    Severity,
)
from loyalty_lake.gold.clv.predict import ValueTier
from loyalty_lake.silver.models import UtcTimestamp

Money = pe.Decimal(MONEY.precision, MONEY.scale)
Rate = pe.Decimal(RATE.precision, RATE.scale)


class DqSummary(pa.DataFrameModel):
    """One row per batch, table, reason code and severity."""

    batch_id: str = pa.Field(description="The landing batch.")
    table: str = pa.Field(description="The landing table (file) the rows came from.")
    reason: str = pa.Field(description="Reason code (see docs/data-quality.md).")
    severity: str = pa.Field(isin=[s.value for s in Severity], description="reject or warn.")
    rows: pl.Int64 = pa.Field(ge=1, description="Rows carrying the reason.")
    open_rows: pl.Int64 = pa.Field(ge=0, description="Of those, rejects not yet reprocessed.")

    class Config:
        strict = True
        unique = ["batch_id", "table", "reason", "severity"]  # noqa: RUF012 - pandera reads it


class PointsLedger(pa.DataFrameModel):
    """One row per points event of a customer, in order.

    The sum of a customer's rows is the customer's balance.
    """

    customer_id: str = pa.Field(description="The customer.")
    sequence: pl.Int64 = pa.Field(ge=1, description="Order of the event for the customer.")
    event_date: dt.date = pa.Field(description="When the points moved.")
    event_type: str = pa.Field(isin=[e.value for e in EventType], description="What happened.")
    points: pl.Int64 = pa.Field(description="Points added (+) or taken (-).")
    balance_after: pl.Int64 = pa.Field(description="The customer's balance after the event.")
    transaction_id: str = pa.Field(nullable=True, description="Sale or return (or expired lot).")
    redemption_id: str = pa.Field(nullable=True, description="The redemption, for REDEEM.")
    rule_id: str = pa.Field(nullable=True, description="The loyalty rule that applied.")
    expires_on: dt.date = pa.Field(nullable=True, description="When EARN/BONUS points expire.")

    class Config:
        strict = True
        unique = ["customer_id", "sequence"]  # noqa: RUF012 - pandera reads it

    @pa.dataframe_check
    @classmethod
    def signs(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Earning events add points; reversals, redemptions and expiries take them."""
        adds = pl.col("event_type").is_in([EventType.EARN, EventType.BONUS])
        return data.lazyframe.select(
            pl.when(adds).then(pl.col("points") >= 0).otherwise(pl.col("points") <= 0)
        )


class RedemptionVerdicts(pa.DataFrameModel):
    """One row per silver redemption: confirmed, or refused for insufficient points.

    The redemption stays in silver (it is valid data); whether the member had
    the points is the points engine's verdict, and lives only here.
    """

    redemption_id: str = pa.Field(unique=True, description="The redemption.")
    customer_id: str = pa.Field(description="The member who redeemed.")
    redemption_date: dt.date = pa.Field(description="When.")
    points_redeemed: pl.Int64 = pa.Field(gt=0, description="Points asked for.")
    status: str = pa.Field(
        isin=[s.value for s in RedemptionStatus], description="CONFIRMED or REFUSED."
    )
    reason: str = pa.Field(
        nullable=True, description="Why it was refused (INSUFFICIENT_POINTS); null if confirmed."
    )
    batch_id: str = pa.Field(description="The landing batch it came in.")
    source_file: str = pa.Field(description="The landing file it came in.")
    row_number: pl.Int64 = pa.Field(ge=1, description="Its row in that file.")

    class Config:
        strict = True


class CustomerDetails(pa.DataFrameModel):
    """One row per customer (loyalty member): points, tier, RFM and segment."""

    customer_id: str = pa.Field(unique=True, description="The customer's id.")
    first_name: str = pa.Field(nullable=True, description="First name (no other personal data).")
    email_pseudonym: str = pa.Field(
        nullable=True, description="HMAC-SHA256 of the email under LOYALTY_LAKE_PII_KEY."
    )
    phone_pseudonym: str = pa.Field(
        nullable=True, description="HMAC-SHA256 of the phone under LOYALTY_LAKE_PII_KEY."
    )
    loyalty_status: str = pa.Field(
        isin=["Bronze", "Silver", "Gold", "Platinum"],
        description="Tier from points earned (net of reversals) in the 12 months up to as_of.",
    )
    total_loyalty_points: pl.Int64 = pa.Field(description="Points balance (sum of the ledger).")
    lifetime_points_earned: pl.Int64 = pa.Field(description="EARN + BONUS net of reversals.")
    last_purchase_date: dt.date = pa.Field(nullable=True, description="Date of the last SALE.")
    recency_days: pl.Int64 = pa.Field(
        nullable=True, ge=0, description="Days from the last SALE to as_of."
    )
    frequency: pl.Int64 = pa.Field(ge=0, description="Distinct SALE transactions.")
    monetary: Money = pa.Field(description="SALE amounts minus RETURN amounts (net spend).")
    r_score: pl.Int8 = pa.Field(nullable=True, ge=1, le=5, description="Recency quintile, 5 best.")
    f_score: pl.Int8 = pa.Field(nullable=True, ge=1, le=5, description="Frequency quintile.")
    m_score: pl.Int8 = pa.Field(nullable=True, ge=1, le=5, description="Monetary quintile.")
    rfm_segment: str = pa.Field(nullable=True, description="Named RFM segment (see docs).")
    segment: str = pa.Field(isin=[s.value for s in Segment], description="The mission's segment.")
    is_high_spender: bool = pa.Field(description="Top 10 % by monetary, ties included.")
    is_at_risk: bool = pa.Field(description="30+ days since the last sale and points > 0.")
    p_alive: float = pa.Field(
        nullable=True, ge=0, le=1, description="Probability still a customer (customer_value)."
    )
    clv: Money = pa.Field(
        nullable=True, description="Discounted expected spend over the horizon (customer_value)."
    )

    class Config:
        strict = True


class CustomerValue(pa.DataFrameModel):
    """One row per customer with a SALE: the CLV models' inputs and predictions (docs/analytics.md).

    Time is counted in ``clv_parameters.time_unit`` (weeks by default).
    """

    customer_id: str = pa.Field(unique=True, description="The customer.")
    first_purchase_date: dt.date = pa.Field(description="First purchase day.")
    last_purchase_date: dt.date = pa.Field(description="Last purchase day up to as_of.")
    purchase_days: pl.Int64 = pa.Field(ge=1, description="Distinct days with a SALE.")
    frequency: pl.Int64 = pa.Field(ge=0, description="Repeat purchase days (purchase days - 1).")
    recency: float = pa.Field(ge=0, description="First to last purchase day, in time units.")
    T: float = pa.Field(ge=0, description="First purchase day to as_of, in time units.")
    repeat_spend: Money = pa.Field(description="SALE spend of the repeat purchase days.")
    avg_spend: float = pa.Field(
        nullable=True, description="Mean spend per repeat purchase day (null without one)."
    )
    p_alive: float = pa.Field(ge=0, le=1, description="Probability still a customer (BG/NBD).")
    expected_purchases: float = pa.Field(
        ge=0, description="Expected purchase days over the horizon (BG/NBD)."
    )
    expected_avg_spend: Money = pa.Field(description="Expected spend per purchase (Gamma-Gamma).")
    clv: Money = pa.Field(description="Expected spend over the horizon, discounted monthly.")
    value_tier: str = pa.Field(
        isin=[t.value for t in ValueTier],
        description="Top (10 % by clv), High (to 25 %), Medium (to 50 %), Low.",
    )

    class Config:
        strict = True


class ClvParameters(pa.DataFrameModel):
    """One row per model × parameter of the CLV fits, with the fit's quality."""

    model: str = pa.Field(isin=["bg_nbd", "gamma_gamma"], description="The model fitted.")
    parameter: str = pa.Field(description="r, alpha, a, b (BG/NBD); p, q, v (Gamma-Gamma).")
    value: float = pa.Field(gt=0, description="The maximum-likelihood estimate.")
    time_unit: str = pa.Field(isin=["week", "day"], description="The unit time is counted in.")
    log_likelihood: float = pa.Field(description="The fit's log-likelihood.")
    customers: pl.Int64 = pa.Field(ge=0, description="Customers the fit used.")
    converged: bool = pa.Field(description="Whether the optimiser reached a proper optimum.")

    class Config:
        strict = True
        unique = ["model", "parameter"]  # noqa: RUF012 - pandera reads it


class InventoryDaily(pa.DataFrameModel):
    """One row per store × product × day with a stock snapshot or a sale."""

    date: dt.date = pa.Field(description="The day.")
    store_id: str = pa.Field(description="The store.")
    product_id: str = pa.Field(description="The product.")
    stock_level: pl.Int64 = pa.Field(
        nullable=True, ge=0, description="Stock at the day's snapshot (null without one)."
    )
    stock_out: bool = pa.Field(nullable=True, description="Whether the snapshot was 0.")
    units_sold: pl.Int64 = pa.Field(ge=0, description="SALE units that day.")
    units_returned: pl.Int64 = pa.Field(ge=0, description="RETURN units that day.")
    sell_rate_7d: float = pa.Field(ge=0, description="Units sold in the 7 days to this one, /7.")
    days_of_cover: float = pa.Field(
        nullable=True, ge=0, description="stock_level / sell_rate_7d (null without sales)."
    )

    class Config:
        strict = True
        unique = ["store_id", "product_id", "date"]  # noqa: RUF012 - pandera reads it


class StorePerformance(pa.DataFrameModel):
    """One row per store × month with a sale: stores compared within their region."""

    month_start: dt.date = pa.Field(description="First day of the month.")
    store_id: str = pa.Field(description="The store.")
    store_name: str = pa.Field(nullable=True, description="The store's name.")
    store_region: str = pa.Field(description="The store's region ((unknown) if not in stores).")
    revenue: Money = pa.Field(description="Sales minus returns.")
    transactions: pl.Int64 = pa.Field(ge=0, description="SALE transactions.")
    average_basket: Money = pa.Field(
        nullable=True, description="SALE revenue per SALE transaction, cut to the cent."
    )
    units_per_transaction: float = pa.Field(nullable=True, ge=0, description="Units per SALE.")
    members_share_pct: float = pa.Field(
        nullable=True, ge=0, le=100, description="SALE transactions by a member, %."
    )
    points_issued: pl.Int64 = pa.Field(description="EARN + BONUS points of its transactions.")
    stock_out_days: pl.Int64 = pa.Field(ge=0, description="Product-days out of stock.")
    rank_in_region: pl.Int64 = pa.Field(ge=1, description="Revenue rank in region and month.")

    class Config:
        strict = True
        unique = ["store_id", "month_start"]  # noqa: RUF012 - pandera reads it


class Notifications(pa.DataFrameModel):
    """The outbox: one row per message to a member (docs/notifications.md)."""

    notification_id: str = pa.Field(unique=True, description="Stable id: same event, same id.")
    customer_id: str = pa.Field(description="The member.")
    kind: str = pa.Field(
        isin=[k.value for k in NotificationKind], description="What the message tells."
    )
    event_date: dt.date = pa.Field(description="When the event happened.")
    channel: str = pa.Field(isin=["email", "sms"], description="How to reach the member.")
    contact_pseudonym: str = pa.Field(description="Pseudonym of the address (never the address).")
    template: str = pa.Field(description="The message template's key.")
    parameters: str = pa.Field(description="The template's parameters, JSON.")
    status: str = pa.Field(
        isin=[s.value for s in NotificationStatus], description="Where the message is."
    )
    created_at: UtcTimestamp = pa.Field(description="When it was first due.")
    attempts: pl.Int64 = pa.Field(ge=0, description="Delivery runs that tried it.")
    last_error: str = pa.Field(nullable=True, description="Why the last attempt failed.")
    sent_at: UtcTimestamp = pa.Field(nullable=True, description="When it was delivered.")

    class Config:
        strict = True


class SalesDaily(pa.DataFrameModel):
    """One row per date × store × product category."""

    date: dt.date = pa.Field(description="Transaction date (local business date).")
    store_id: str = pa.Field(description="The store.")
    store_name: str = pa.Field(nullable=True, description="The store's name.")
    store_region: str = pa.Field(nullable=True, description="The store's region.")
    category: str = pa.Field(description="Product category.")
    revenue: Money = pa.Field(description="Sales minus returns booked that day.")
    returns: Money = pa.Field(ge=0, description="Amount returned that day.")
    units: pl.Int64 = pa.Field(description="Units sold minus units returned.")
    transactions: pl.Int64 = pa.Field(ge=0, description="Distinct SALE transactions.")
    customers: pl.Int64 = pa.Field(ge=0, description="Distinct members among them.")

    class Config:
        strict = True
        unique = ["date", "store_id", "category"]  # noqa: RUF012 - pandera reads it


class StoreDaily(pa.DataFrameModel):
    """One row per date × store (each sale counted once, whatever its categories)."""

    date: dt.date = pa.Field(description="Transaction date (local business date).")
    store_id: str = pa.Field(description="The store.")
    store_region: str = pa.Field(nullable=True, description="The store's region.")
    revenue: Money = pa.Field(description="Sales minus returns booked that day.")
    transactions: pl.Int64 = pa.Field(ge=0, description="Distinct SALE transactions.")
    customers: pl.Int64 = pa.Field(ge=0, description="Distinct members among them.")

    class Config:
        strict = True
        unique = ["date", "store_id"]  # noqa: RUF012 - pandera reads it


class MemberSalesDaily(pa.DataFrameModel):
    """One row per member and date with a SALE or a RETURN (a return-only day too)."""

    customer_id: str = pa.Field(
        description="The member (a return's: the member of its original sale)."
    )
    date: dt.date = pa.Field(description="The day.")
    transactions: pl.Int64 = pa.Field(ge=0, description="SALE transactions that day.")
    revenue: Money = pa.Field(
        description="The day's sales minus the day's returns (negative on a return-only day)."
    )
    returns: Money = pa.Field(ge=0, description="Amount returned that day.")

    class Config:
        strict = True
        unique = ["customer_id", "date"]  # noqa: RUF012 - pandera reads it


class ProductSalesDaily(pa.DataFrameModel):
    """One row per date × store × product (the drill-down below sales_daily)."""

    date: dt.date = pa.Field(description="Transaction date (local business date).")
    store_id: str = pa.Field(description="The store.")
    store_region: str = pa.Field(nullable=True, description="The store's region.")
    product_id: str = pa.Field(description="The product.")
    product_name: str = pa.Field(nullable=True, description="Its name.")
    category: str = pa.Field(description="Its category.")
    revenue: Money = pa.Field(description="Sales minus returns booked that day.")
    units: pl.Int64 = pa.Field(description="Units sold minus units returned.")
    transactions: pl.Int64 = pa.Field(ge=0, description="Distinct SALE transactions.")

    class Config:
        strict = True
        unique = ["date", "store_id", "product_id"]  # noqa: RUF012 - pandera reads it


class BatchQuality(pa.DataFrameModel):
    """One row per landing batch × table: where its bronze rows ended up."""

    batch_id: str = pa.Field(description="The landing batch.")
    table: str = pa.Field(description="The landing table (file).")
    bronze_rows: pl.Int64 = pa.Field(ge=0, description="Rows landed in bronze.")
    accepted: pl.Int64 = pa.Field(ge=0, description="Rows in silver (incl. reprocessed).")
    open_rejects: pl.Int64 = pa.Field(ge=0, description="Rows still rejected.")
    reprocessed: pl.Int64 = pa.Field(ge=0, description="Rejects promoted later.")
    warned: pl.Int64 = pa.Field(ge=0, description="Accepted rows with a warning.")
    reject_rate_pct: float = pa.Field(ge=0, le=100, description="Open rejects / bronze rows, %.")

    class Config:
        strict = True
        unique = ["batch_id", "table"]  # noqa: RUF012 - pandera reads it


class NormalisationSummary(pa.DataFrameModel):
    """One row per landing batch × table × column × kind of normalisation silver applied."""

    batch_id: str = pa.Field(description="The landing batch.")
    table: str = pa.Field(description="The landing table (file).")
    column: str = pa.Field(description="The column whose values were normalised.")
    kind: str = pa.Field(
        isin=[k.value for k in NormalisationKind],
        description="What was normalised (see docs/data-quality.md), e.g. INTEGRAL_FLOAT.",
    )
    rows: pl.Int64 = pa.Field(ge=1, description="Values read this way.")
    files: pl.Int64 = pa.Field(ge=1, description="Files of the batch they came from.")

    class Config:
        strict = True
        unique = ["batch_id", "table", "column", "kind"]  # noqa: RUF012 - pandera reads it


class LoyaltyDaily(pa.DataFrameModel):
    """One row per date with points activity or member sales."""

    date: dt.date = pa.Field(unique=True, description="The day.")
    points_earned: pl.Int64 = pa.Field(ge=0, description="EARN + BONUS points.")
    points_reversed: pl.Int64 = pa.Field(ge=0, description="Points taken back by returns.")
    points_redeemed: pl.Int64 = pa.Field(ge=0, description="Points redeemed.")
    points_expired: pl.Int64 = pa.Field(ge=0, description="Points expired.")
    points_net: pl.Int64 = pa.Field(description="Change of the outstanding points.")
    active_members: pl.Int64 = pa.Field(ge=0, description="Distinct members with a SALE.")

    class Config:
        strict = True


class PromotionPerformance(pa.DataFrameModel):
    """One row per promotion that started by as_of, ranked by uplift."""

    rank: pl.Int64 = pa.Field(nullable=True, ge=1, description="1 = highest uplift.")
    promotion_id: str = pa.Field(unique=True, description="The promotion.")
    promotion_name: str = pa.Field(nullable=True, description="Its name.")
    promo_category: str = pa.Field(description="Category it applies to, or ALL.")
    start_date: dt.date = pa.Field(description="First day.")
    end_date: dt.date = pa.Field(description="Last day.")
    days: pl.Int64 = pa.Field(ge=1, description="Days evaluated (up to as_of).")
    discount_percentage: Rate = pa.Field(nullable=True, description="Discount offered.")
    points_multiplier: Rate = pa.Field(description="Points multiplier.")
    promoted_revenue: Money = pa.Field(
        description="SALE amount of its lines (id and category) in the window; gross of returns."
    )
    promoted_units: pl.Int64 = pa.Field(description="Units sold on those lines.")
    promoted_transactions: pl.Int64 = pa.Field(ge=0, description="Transactions with them.")
    category_revenue: Money = pa.Field(
        description="Its categories' SALE amount in the window; gross of returns."
    )
    baseline_revenue: Money = pa.Field(
        nullable=True, description="Same, in as many days before the start (null: no data)."
    )
    uplift_pct: float = pa.Field(nullable=True, description="Category revenue vs. baseline, %.")
    points_issued: pl.Int64 = pa.Field(ge=0, description="Points earned by promoted lines.")

    class Config:
        strict = True


class SegmentSummary(pa.DataFrameModel):
    """One row per segment (High Spender, At Risk, Others); each share names its population."""

    segment: str = pa.Field(unique=True, description="The segment.")
    customers: pl.Int64 = pa.Field(ge=0, description="Customers (customer_details rows) in it.")
    share_of_customers_pct: float = pa.Field(
        ge=0, le=100, description="customers / all customers of customer_details, %."
    )
    buyers: pl.Int64 = pa.Field(ge=0, description="Of its customers, those with a SALE.")
    share_of_buyers_pct: float = pa.Field(
        ge=0, le=100, description="buyers / all customers with a SALE, %."
    )
    revenue: Money = pa.Field(description="Its customers' net spend (sum of monetary).")
    average_points: float = pa.Field(nullable=True, description="Its customers' average balance.")
    points_outstanding: pl.Int64 = pa.Field(description="Its customers' total balance.")

    class Config:
        strict = True

    @pa.dataframe_check
    @classmethod
    def buyers_are_customers(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """A segment's buyers are some of its customers."""
        return data.lazyframe.select(pl.col("buyers") <= pl.col("customers"))


#: The pandera model of every gold table, by table name.
class CustomerState(pa.DataFrameModel):
    """Gold's state: one row per customer with points or a clean transaction (not exported).

    The per-customer stage's figures as of the build's ``as_of``
    (:func:`~loyalty_lake.gold.customers.customer_figures`); an incremental
    build recomputes the customers its batches touch and keeps the others'.
    """

    customer_id: str = pa.Field(unique=True, description="The customer.")
    total_loyalty_points: pl.Int64 = pa.Field(nullable=True, description="Points balance.")
    lifetime_points_earned: pl.Int64 = pa.Field(nullable=True, description="EARN + BONUS, net.")
    loyalty_status: str = pa.Field(nullable=True, description="Tier as of as_of.")
    tier_window_from: dt.date = pa.Field(
        nullable=True, description="Oldest event counted toward the tier (time moves it out)."
    )
    next_expiry_date: dt.date = pa.Field(nullable=True, description="Next day points expire.")
    points_expiring: pl.Int64 = pa.Field(nullable=True, description="Points expiring then.")
    last_purchase_date: dt.date = pa.Field(nullable=True, description="Date of the last SALE.")
    frequency: pl.Int64 = pa.Field(nullable=True, description="Distinct SALE transactions.")
    monetary: Money = pa.Field(nullable=True, description="SALE minus RETURN amounts.")
    first_purchase_date: dt.date = pa.Field(nullable=True, description="First purchase day.")
    purchase_days: pl.Int64 = pa.Field(nullable=True, description="Distinct purchase days.")
    repeat_cents: pl.Int64 = pa.Field(
        nullable=True, description="Spend of every purchase day but the first, in cents."
    )

    class Config:
        strict = True


class PromotionPoints(pa.DataFrameModel):
    """Gold's state: points of lines with a promotion, per customer and day (not exported)."""

    customer_id: str = pa.Field(description="The customer charged.")
    promotion_id: str = pa.Field(description="The promotion on the lines.")
    transaction_type: str = pa.Field(description="SALE or RETURN.")
    transaction_date: dt.date = pa.Field(description="The transaction's date.")
    points: pl.Int64 = pa.Field(description="Points the lines earned (or reversed).")

    class Config:
        strict = True


class StoreDays(pa.DataFrameModel):
    """Gold's state: each store's sales per day, what store_performance sums (not exported)."""

    store_id: str = pa.Field(description="The store.")
    date: dt.date = pa.Field(description="The day.")
    revenue: Money = pa.Field(description="Net revenue.")
    sale_revenue: Money = pa.Field(description="Revenue of SALE lines.")
    transactions: pl.Int64 = pa.Field(ge=0, description="Distinct SALE transactions.")
    units: pl.Int64 = pa.Field(description="Units of SALE lines.")
    member_transactions: pl.Int64 = pa.Field(ge=0, description="SALE transactions by members.")

    class Config:
        strict = True
        unique = ["store_id", "date"]  # noqa: RUF012 - pandera reads it


class GoldInputs(pa.DataFrameModel):
    """Gold's state: fingerprints of what the per-customer state and the marts were built from."""

    input: str = pa.Field(unique=True, description="points or marts.")
    fingerprint: str = pa.Field(description="SHA-256 of the rules, masters and settings read.")

    class Config:
        strict = True


GOLD_MODELS: dict[str, type[pa.DataFrameModel]] = {
    "points_ledger": PointsLedger,
    "customer_details": CustomerDetails,
    "redemption_verdicts": RedemptionVerdicts,
    "sales_daily": SalesDaily,
    "store_daily": StoreDaily,
    "product_sales_daily": ProductSalesDaily,
    "member_sales_daily": MemberSalesDaily,
    "loyalty_daily": LoyaltyDaily,
    "promotion_performance": PromotionPerformance,
    "segment_summary": SegmentSummary,
    "customer_value": CustomerValue,
    "clv_parameters": ClvParameters,
    "inventory_daily": InventoryDaily,
    "store_performance": StorePerformance,
    "notifications": Notifications,
    "dq_summary": DqSummary,
    "batch_quality": BatchQuality,
    "normalisation_summary": NormalisationSummary,
}

#: Gold's own state, published in each snapshot with the tables it belongs to but not exported.
STATE_MODELS: dict[str, type[pa.DataFrameModel]] = {
    "customer_state": CustomerState,
    "promotion_points": PromotionPoints,
    "store_days": StoreDays,
    "gold_inputs": GoldInputs,
}

#: Every table of a gold snapshot: the published tables and gold's state.
SNAPSHOT_MODELS: dict[str, type[pa.DataFrameModel]] = GOLD_MODELS | STATE_MODELS
