-- RFM and segments (contract 3.2-3.3) in plain DuckDB SQL: the peer of
-- loyalty_lake's customer_activity -> rfm -> segments in benchmarks/gold_duckdb.py.
--
-- Inputs (views or registered Arrow tables):
--   sales_header(customer_id, transaction_id, transaction_date, transaction_type, total_amount,
--                original_transaction_id)
--   points_ledger(customer_id, points)
-- Parameters: $at_risk_days, $share_num / $share_den (the High Spender share as
-- an exact fraction). /*rfm_segment*/ is replaced by the CASE expression of the
-- configured RFM segment mapping (first matching rule wins).
-- One row per customer with a clean transaction up to as_of (the latest one).
WITH as_of AS (
    SELECT max(transaction_date) AS as_of FROM sales_header
),
attributed AS (
    -- A RETURN counts against the customer of its original sale (as its points do).
    SELECT
        CASE WHEN t.transaction_type = 'SALE' THEN t.customer_id ELSE o.customer_id END
            AS customer_id,
        t.transaction_id,
        t.transaction_date,
        t.transaction_type,
        t.total_amount
    FROM sales_header AS t
    LEFT JOIN sales_header AS o ON o.transaction_id = t.original_transaction_id
    WHERE t.transaction_date <= (SELECT as_of FROM as_of)
),
activity AS (
    SELECT
        customer_id,
        max(transaction_date) FILTER (WHERE transaction_type = 'SALE') AS last_purchase_date,
        count(DISTINCT transaction_id) FILTER (WHERE transaction_type = 'SALE') AS frequency,
        sum(CASE WHEN transaction_type = 'SALE' THEN total_amount ELSE -total_amount END)
            AS monetary
    FROM attributed
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
balances AS (
    SELECT customer_id, sum(points) AS balance FROM points_ledger GROUP BY customer_id
),
ranked AS (
    -- Ranks among customers with a sale (their own partition), ascending in
    -- goodness: rank() is the lowest rank of a tied group, count(*) with the
    -- default frame (RANGE ... CURRENT ROW, peers included) the highest, so the
    -- average rank is (lo + hi) / 2.
    SELECT
        a.customer_id,
        CAST((SELECT as_of FROM as_of) - a.last_purchase_date AS BIGINT) AS recency_days,
        CAST(a.frequency AS BIGINT) AS frequency,
        CAST(a.monetary AS DECIMAL(18, 2)) AS monetary,
        CAST(coalesce(b.balance, 0) AS BIGINT) AS total_loyalty_points,
        a.frequency > 0 AS has_sale,
        count(*) OVER (PARTITION BY a.frequency > 0) AS n,
        rank() OVER (PARTITION BY a.frequency > 0 ORDER BY a.last_purchase_date) AS r_lo,
        count(*) OVER (PARTITION BY a.frequency > 0 ORDER BY a.last_purchase_date) AS r_hi,
        rank() OVER (PARTITION BY a.frequency > 0 ORDER BY a.frequency) AS f_lo,
        count(*) OVER (PARTITION BY a.frequency > 0 ORDER BY a.frequency) AS f_hi,
        rank() OVER (PARTITION BY a.frequency > 0 ORDER BY a.monetary) AS m_lo,
        count(*) OVER (PARTITION BY a.frequency > 0 ORDER BY a.monetary) AS m_hi
    FROM activity AS a
    LEFT JOIN balances AS b USING (customer_id)
),
scored AS (
    -- score = 1 + floor(5 * (avg_rank - 1) / N), in exact integer arithmetic.
    SELECT
        *,
        CASE WHEN has_sale THEN CAST(1 + (5 * (r_lo + r_hi - 2)) // (2 * n) AS TINYINT) END
            AS r_score,
        CASE WHEN has_sale THEN CAST(1 + (5 * (f_lo + f_hi - 2)) // (2 * n) AS TINYINT) END
            AS f_score,
        CASE WHEN has_sale THEN CAST(1 + (5 * (m_lo + m_hi - 2)) // (2 * n) AS TINYINT) END
            AS m_score,
        -- customers with a strictly larger monetary = n - m_hi; quota = ceil(share * n)
        coalesce(has_sale AND n - m_hi < (n * $share_num + $share_den - 1) // $share_den, false)
            AS is_high_spender,
        coalesce(
            has_sale AND recency_days >= $at_risk_days AND total_loyalty_points > 0, false
        ) AS is_at_risk
    FROM ranked
)
SELECT
    customer_id,
    recency_days,
    frequency,
    monetary,
    total_loyalty_points,
    r_score,
    f_score,
    m_score,
    CASE WHEN r_score IS NOT NULL THEN /*rfm_segment*/ END AS rfm_segment,
    is_high_spender,
    is_at_risk,
    CASE
        WHEN is_high_spender THEN 'High Spender'
        WHEN is_at_risk THEN 'At Risk'
        ELSE 'Others'
    END AS segment
FROM scored
ORDER BY customer_id
