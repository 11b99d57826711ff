-- loyalty_lake's end-to-end customer result (one row per customer of the clean
-- customer master) in plain DuckDB SQL: the peer run by benchmarks/e2e_duckdb.py.
--
-- Every block below is one statement. A block starts with a line
-- "-- @<phase> <name>", optionally ending "when <flag>" or "unless <flag>" (flags
-- set from the configuration in Python). Python runs the phases in this order:
-- clean, gold, then rounds of (ledger, verdict) until a round rejects no
-- redemption, then final, ledger once more (for every member) and balance.
--
-- Inputs (made by the read phase): raw_<table> with the contract columns as text
-- (NULL where the file lacks the column) and _file (which file of the batch) in
-- file order (rowid), for stores, products, customers, promotions, loyalty_rules,
-- sales_header, sales_lines and redemptions. Settings are DuckDB variables
-- (getvariable): latest_at / latest_date (now + tolerance, UTC), earliest,
-- reject_* (severities, unverified references), total_tolerance,
-- outlier_threshold, expiry_months, at_risk_days, share_num / share_den, round.
-- Placeholders replaced in Python: the ws comment marker (Unicode whitespace as
-- regular expression class items), zone (the configured time zone),
-- default_rules (the configured earning rules as a query), rfm_segment (the RFM
-- segment CASE expression), and the bodies of the macros that say how a column
-- is read (null_tokens, decimal_comma, date_order, date_format, formatted,
-- id_rewrites; see placeholders in e2e_duckdb.py).
--
-- Money is DECIMAL, points are integers; nothing is DOUBLE but the optional
-- outlier scores.

-- =====================================================================================
-- Text -> typed values (loyalty_lake/silver/parse.py): values are read strictly and,
-- where that fails, as exports write them when the meaning is certain. A value
-- that does not parse is NULL, and the rules flag text that did not parse as
-- INVALID_TYPE (or AMBIGUOUS_DATE, also a reject). A column is named by its key
-- 'table.column' where its reading is configurable (a constant: DuckDB folds the
-- configuration macros to the column's own setting).
-- =====================================================================================

-- @clean macro_trimmed
-- Trimmed of Unicode whitespace. (Fast path: text that starts and ends with a
-- visible ASCII character has nothing to trim.)
CREATE MACRO trimmed(v) AS
    CASE WHEN ord(v) BETWEEN 33 AND 126 AND ord(v[-1]) BETWEEN 33 AND 126 THEN v
        ELSE regexp_replace(v, '^[/*ws*/]+|[/*ws*/]+$', '', 'g') END;

-- @clean macro_given
-- Trimmed text t of column k, NULL when it holds no value: empty, or a null token
-- (dq.null_tokens, and the column's dq.null_values).
CREATE MACRO given(t, k) AS CASE WHEN t = '' OR /*null_tokens*/ THEN NULL ELSE t END;

-- @clean macro_txt
CREATE MACRO txt(v, k) AS given(trimmed(v), k);

-- @clean macro_rewritten
-- Id x of column k as dq.id_rewrites rewrite it (the first rule that matches).
CREATE MACRO rewritten(x, k) AS /*id_rewrites*/;

-- @clean macro_whole_id
-- An id written as an integral float (15.0: pandas writes integer ids so) is 15.
CREATE MACRO whole_id(t) AS
    CASE WHEN contains(t, '.') AND regexp_full_match(t, '[0-9]{1,19}\.0+')
        THEN split_part(t, '.', 1) ELSE t END;

-- @clean macro_ident
-- An id or a reference.
CREATE MACRO ident(v, k) AS rewritten(whole_id(txt(v, k)), k);

-- @clean macro_money
-- Money as the contract writes it: an exact decimal with at most 2 places.
CREATE MACRO money(t) AS
    CASE WHEN regexp_full_match(t, '[+-]?[0-9]{1,16}(\.[0-9]{1,2})?')
        THEN TRY_CAST(t AS DECIMAL(18, 2)) END;

-- @clean macro_currency
-- The first currency mark of money text: a symbol, or a three-letter code standing
-- alone (a plain number has none).
CREATE MACRO currency(t) AS nullif(regexp_extract(t, '[$€£¥₹]|\b[A-Z]{3}\b'), '');

-- @clean macro_canonical_money
-- Whether money text is as the contract writes it: an exact decimal with at most 2
-- places; with a decimal comma (comma), a whole number (12.50 is no number then).
CREATE MACRO canonical_money(t, comma) AS
    CASE WHEN comma THEN regexp_full_match(t, '[+-]?[0-9]{1,16}')
        ELSE regexp_full_match(t, '[+-]?[0-9]{1,16}(\.[0-9]{1,2})?') END;

-- @clean macro_money_parts
-- What reading money as exports write it needs, for text that is not canonical (else
-- NULL): its body (marks and blanks removed) and how many currencies its marks name.
-- Computed once, as a column: the readings below use each part several times.
CREATE MACRO money_parts(t, comma) AS
    CASE WHEN NOT canonical_money(t, comma) THEN {
        'body': regexp_replace(
            regexp_replace(t, '[$€£¥₹]|\b[A-Z]{3}\b', '', 'g'), '[/*ws*/]', '', 'g'
        ),
        'currencies': len(list_distinct(regexp_extract_all(t, '[$€£¥₹]|\b[A-Z]{3}\b')))
    } END;

-- @clean macro_amount_digits
-- Digits d of money (no sign, marks or blanks) with thousands grouped strictly in
-- threes (1,234,567.5), or a decimal comma when comma (1.234,50 or 12,5), as the
-- contract writes them; NULL when neither.
CREATE MACRO amount_digits(d, comma) AS
    CASE
        WHEN NOT comma AND (
            regexp_full_match(d, '[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,2})?')
            OR regexp_full_match(d, '[0-9]{1,16}(\.[0-9]{1,2})?')
        ) THEN replace(d, ',', '')
        WHEN comma AND (
            regexp_full_match(d, '[0-9]{1,3}(\.[0-9]{3})+(,[0-9]{1,2})?')
            OR regexp_full_match(d, '[0-9]{1,16}(,[0-9]{1,2})?')
        ) THEN replace(replace(d, '.', ''), ',', '.')
    END;

-- @clean macro_signed_amount
-- Body b of money text: one sign at most, first or last, then its digits.
CREATE MACRO signed_amount(b, comma) AS
    CASE WHEN length(b) - length(replace(replace(b, '+', ''), '-', '')) <= 1 THEN
        CASE WHEN contains(b, '-') THEN '-' ELSE '' END
            || amount_digits(replace(replace(b, '+', ''), '-', ''), comma)
    END;

-- @clean macro_amount
-- Money (Parser.money) of text t: canonical (parts NULL), or as exports write it: one
-- currency mark before or after ($1,234.50, -INR 2,032.52, 5393.00 INR), thousands
-- groups, a decimal comma when the column has one; never in a file whose column
-- mixes currencies (mixed), nor with marks of two currencies.
CREATE MACRO amount(t, parts, mixed, comma) AS
    CASE WHEN parts IS NULL THEN CAST(t AS DECIMAL(18, 2))
        WHEN NOT coalesce(mixed, false) AND parts.currencies <= 1
            THEN money(signed_amount(parts.body, comma))
    END;

-- @clean macro_decimal_comma
-- Whether money of column k uses a decimal comma (dq.decimal_comma names its table
-- or the column).
CREATE MACRO decimal_comma(k) AS /*decimal_comma*/;

-- @clean macro_rate
-- A rate, multiplier or discount: an exact decimal with at most 4 places; with a
-- decimal comma (comma) 1,5 (and 1.5 is no number).
CREATE MACRO rate(t, comma) AS
    CASE WHEN NOT comma AND regexp_full_match(t, '[+-]?[0-9]{1,14}(\.[0-9]{1,4})?')
            THEN TRY_CAST(t AS DECIMAL(18, 4))
        WHEN comma AND regexp_full_match(t, '[+-]?[0-9]{1,14}(,[0-9]{1,4})?')
            THEN TRY_CAST(replace(t, ',', '.') AS DECIMAL(18, 4))
    END;

-- @clean macro_whole
-- A whole number within 64 bits: 3, -2, +7, 03, 3.0 (an integral float; never 2.5).
CREATE MACRO whole(t) AS
    CASE WHEN regexp_full_match(t, '[+-]?[0-9]{1,19}') THEN TRY_CAST(t AS BIGINT)
        WHEN contains(t, '.') AND regexp_full_match(t, '[+-]?[0-9]{1,19}\.0+')
            THEN TRY_CAST(split_part(t, '.', 1) AS BIGINT) END;

-- @clean macro_iso_date
CREATE MACRO iso_date(t) AS
    CASE WHEN regexp_full_match(t, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN TRY_CAST(t AS DATE) END;

-- @clean macro_clock
-- A day's wall-clock time: hours to 23, minutes to 59, seconds to 60 (a leap second
-- runs into the next minute, as chrono reads it); NULL otherwise.
CREATE MACRO clock(d, hh, mi, ss) AS
    CASE WHEN hh <= 23 AND mi <= 59 AND ss <= 60
        THEN CAST(d AS TIMESTAMP) + to_seconds(hh * 3600 + mi * 60 + ss) END;

-- @clean macro_number_or_zero
-- A clock part's digits as a number; 0 when absent ('').
CREATE MACRO number_or_zero(t) AS coalesce(TRY_CAST(nullif(t, '') AS INTEGER), 0);

-- @clean macro_year_first_parts
-- 2024/05/27, with a time: year, month, day, hour, minute, second ('' when absent;
-- year '' when not of that shape).
CREATE MACRO year_first_parts(t) AS regexp_extract(
    t,
    '^([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?$',
    ['y', 'm', 'd', 'hh', 'mi', 'ss']
);

-- @clean macro_year_first_day
CREATE MACRO year_first_day(p) AS
    CASE WHEN p.y <> '' THEN TRY_CAST(
        printf('%s-%02d-%02d', p.y, CAST(p.m AS INTEGER), CAST(p.d AS INTEGER)) AS DATE
    ) END;

-- @clean macro_year_first_wall
CREATE MACRO year_first_wall(p) AS clock(
    year_first_day(p), number_or_zero(p.hh), number_or_zero(p.mi), number_or_zero(p.ss)
);

-- @clean macro_day_month_parts
-- 27/05/2024 or 05/27/2024 (separated by / . or -), with a time (1:15 PM): first,
-- second, year, hour, minute, second, AM/PM ('' when absent; year '' when not of
-- that shape).
CREATE MACRO day_month_parts(t) AS regexp_extract(
    t,
    '^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})'
    || '(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?[/*ws*/]*([AaPp][Mm])?)?$',
    ['a', 'b', 'y', 'hh', 'mi', 'ss', 'ampm']
);

-- @clean macro_day_month_first
-- The first / second part of a day/month date, else NULL.
CREATE MACRO day_month_first(t) AS
    CASE WHEN regexp_matches(t, '^[0-9]{1,2}[/.-]') THEN TRY_CAST(day_month_parts(t).a AS INTEGER) END;

-- @clean macro_day_month_second
CREATE MACRO day_month_second(t) AS
    CASE WHEN regexp_matches(t, '^[0-9]{1,2}[/.-]') THEN TRY_CAST(day_month_parts(t).b AS INTEGER) END;

-- @clean macro_proof
-- An aggregate over a file's values of a date column: what they prove, whether the
-- column is day-first (a first part above 12) and whether month-first (a second
-- part above 12). The order is decided when exactly one holds.
CREATE MACRO proof(t) AS {
    'day_first': coalesce(bool_or(day_month_first(t) > 12), false),
    'month_first': coalesce(bool_or(day_month_second(t) > 12), false)
};

-- @clean macro_mixes_currencies
-- An aggregate over a file's money values: whether they mix currencies.
CREATE MACRO mixes_currencies(t) AS count(DISTINCT currency(t)) > 1;

-- @clean macro_date_order
-- The configured order of column k's day/month dates (dq.dates): 'day-first',
-- 'month-first', or NULL.
CREATE MACRO date_order(k) AS /*date_order*/;

-- @clean macro_ordered_day
-- The day of day/month parts a, b (year y): a is the day when the order is decided
-- day-first, or a value reads one way only (a above 12, a = b). NULL when no order
-- is decided and the value reads both ways (AMBIGUOUS_DATE), or no such day.
CREATE MACRO ordered_day(a, b, y, decided, day_first) AS
    CASE WHEN y <> '' AND (decided OR a = b OR a > 12 OR b > 12) THEN
        CASE WHEN (CASE WHEN decided THEN day_first ELSE a > 12 END) OR a = b
            THEN TRY_CAST(printf('%s-%02d-%02d', y, b, a) AS DATE)
            ELSE TRY_CAST(printf('%s-%02d-%02d', y, a, b) AS DATE) END
    END;

-- @clean macro_day_month_day
-- The day of day/month parts p, in the order configured (dq.dates) or proven by the
-- column's values in its file (see proof).
CREATE MACRO day_month_day(p, proven, configured) AS ordered_day(
    TRY_CAST(p.a AS INTEGER),
    TRY_CAST(p.b AS INTEGER),
    p.y,
    configured IS NOT NULL OR proven.day_first <> proven.month_first,
    CASE configured WHEN 'day-first' THEN true WHEN 'month-first' THEN false
        ELSE proven.day_first AND NOT proven.month_first END
);

-- @clean macro_twelve_hour
-- The hour of a clock: 0 when there is none; with AM/PM 1 to 12 (12 AM is 0), else
-- no hour (99).
CREATE MACRO twelve_hour(hh, ampm) AS
    CASE WHEN hh = '' THEN 0
        WHEN ampm = '' THEN CAST(hh AS INTEGER)
        WHEN CAST(hh AS INTEGER) NOT BETWEEN 1 AND 12 THEN 99
        ELSE CAST(hh AS INTEGER) % 12 + CASE WHEN upper(ampm) = 'PM' THEN 12 ELSE 0 END
    END;

-- @clean macro_day_month_wall
CREATE MACRO day_month_wall(p, proven, configured) AS clock(
    day_month_day(p, proven, configured),
    twelve_hour(p.hh, p.ampm),
    number_or_zero(p.mi),
    number_or_zero(p.ss)
);

-- @clean macro_date_format
-- Column k's configured strftime format (dq.dates), or NULL.
CREATE MACRO date_format(k) AS /*date_format*/;

-- @clean macro_formatted
-- Text t of column k read by its configured format.
CREATE MACRO formatted(t, k) AS /*formatted*/;

-- @clean macro_naive_datetime
CREATE MACRO naive_datetime(t) AS regexp_full_match(
    t, '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?'
);

-- @clean macro_aware_datetime
CREATE MACRO aware_datetime(t) AS regexp_full_match(
    t,
    '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?'
    || '(Z|[+-][0-9]{2}:?[0-9]{2})'
);

-- @clean macro_date_parts
-- What reading a date beside ISO needs, for text that is not an ISO date (else
-- NULL): its year-first and its day/month parts. Computed once, as a column: the
-- readings below use each part several times.
CREATE MACRO date_parts(t) AS
    CASE WHEN NOT regexp_full_match(t, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN {
        'year_first': year_first_parts(t), 'day_month': day_month_parts(t)
    } END;

-- @clean macro_calendar_day
-- A date column's value (Parser.date) of text t (parts: date_parts(t)): ISO
-- YYYY-MM-DD; a date-time's date as written; 2024/05/27; 27/05/2024 in the order its
-- column is configured to or proves in its file (proven: see proof). A column with a
-- configured strftime format (dq.dates) is read by it alone.
CREATE MACRO calendar_day(t, k, parts, proven) AS
    CASE WHEN date_format(k) IS NOT NULL THEN CAST(formatted(t, k) AS DATE)
        WHEN parts IS NULL THEN TRY_CAST(t AS DATE)
        WHEN naive_datetime(t) OR aware_datetime(t) THEN TRY_CAST(left(t, 10) AS DATE)
        WHEN parts.year_first.y <> '' THEN year_first_day(parts.year_first)
        ELSE day_month_day(parts.day_month, proven, date_order(k))
    END;

-- @clean macro_naive_wall
-- A date-time column's naive value where ISO reads none (Parser.datetime), from the
-- parts of its text t (see date_parts): 2024/05/27 10:00, 13/12/2025 12:15:50 PM in
-- the order its column is configured to or proves in its file, or the column's
-- configured strftime format.
CREATE MACRO naive_wall(t, k, parts, proven) AS coalesce(
    year_first_wall(parts.year_first),
    CASE WHEN date_format(k) IS NOT NULL THEN formatted(t, k)
        ELSE day_month_wall(parts.day_month, proven, date_order(k)) END
);

-- @clean macro_unparsed
-- INVALID_TYPE: there is text and it did not parse.
CREATE MACRO unparsed(t, v) AS t IS NOT NULL AND v IS NULL;

-- @clean macro_category
-- A category, or ALL (any letter case); empty means ALL.
CREATE MACRO category(t) AS CASE WHEN t IS NULL OR upper(t) = 'ALL' THEN 'ALL' ELSE t END;

-- @clean macro_instant_parts
-- An ISO 8601 date or date-time in parts: d, hh, mm, ss, frac, tz ('' when absent;
-- d = '' when the text is not of that shape).
CREATE MACRO instant_parts(t) AS regexp_extract(
    t,
    '^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?)?'
    || '(Z|[+-][0-9]{2}:?[0-9]{2})?$',
    ['d', 'hh', 'mm', 'ss', 'frac', 'tz']
);

-- @clean macro_clock_ok
-- A real clock reading: hours to 23, minutes to 59, seconds to 60 (a leap second
-- runs into the next minute, as chrono reads it), an offset within +-23:59, and an
-- offset only after a time.
CREATE MACRO clock_ok(p) AS
    p.d <> ''
    AND coalesce(TRY_CAST(p.hh AS INTEGER), 0) <= 23
    AND coalesce(TRY_CAST(p.mm AS INTEGER), 0) <= 59
    AND coalesce(TRY_CAST(p.ss AS INTEGER), 0) <= 60
    AND (
        p.tz = ''
        OR (p.hh <> '' AND (
            p.tz = 'Z'
            OR (TRY_CAST(substr(p.tz, 2, 2) AS INTEGER) <= 23
                AND TRY_CAST(right(p.tz, 2) AS INTEGER) <= 59)
        ))
    );

-- @clean macro_wall_clock
-- The wall-clock time written (microseconds; further digits are cut).
CREATE MACRO wall_clock(p) AS
    CAST(TRY_CAST(p.d AS DATE) AS TIMESTAMP) + to_microseconds(
        ((coalesce(TRY_CAST(p.hh AS BIGINT), 0) * 60 + coalesce(TRY_CAST(p.mm AS BIGINT), 0)) * 60
            + coalesce(TRY_CAST(p.ss AS BIGINT), 0)) * 1000000
        + CAST(rpad(left(p.frac, 6), 6, '0') AS BIGINT)
    );

-- @clean macro_offset_minutes
CREATE MACRO offset_minutes(p) AS
    CASE WHEN p.tz IN ('', 'Z') THEN 0
        ELSE (CASE WHEN left(p.tz, 1) = '-' THEN -1 ELSE 1 END)
            * (TRY_CAST(substr(p.tz, 2, 2) AS INTEGER) * 60 + TRY_CAST(right(p.tz, 2) AS INTEGER))
    END;

-- @clean macro_utc_of_local unless zoned
-- Naive values are in the configured zone: here UTC.
CREATE MACRO utc_of_local(ts) AS ts;

-- @clean macro_utc_of_local_zoned when zoned
-- Naive values are in the configured zone; a wall-clock time the zone skips
-- (daylight saving) is no time at all.
CREATE MACRO utc_of_local(ts) AS
    CASE WHEN timezone(/*zone*/, timezone(/*zone*/, ts)) = ts
        THEN timezone('UTC', timezone(/*zone*/, ts)) END;

-- @clean macro_local_of_utc unless zoned
CREATE MACRO local_of_utc(ts) AS ts;

-- @clean macro_local_of_utc_zoned when zoned
CREATE MACRO local_of_utc(ts) AS timezone(/*zone*/, timezone('UTC', ts));

-- =====================================================================================
-- Master data (loyalty_lake/silver/tables/masters.py): a key may appear once in the
-- batch. The first row of a key (in file order) decides; later rows are DUPLICATE
-- rejects, so a key is known only when its first row passes every rule. What a
-- file's day/month dates prove is judged per file (proof).
-- =====================================================================================

-- @clean files_stores
-- Per file of stores (its number -> facts): what its day/month dates prove.
SET VARIABLE stores_files = (
    SELECT map(list(_file), list(facts))
    FROM (
        SELECT _file, {'opening_date': proof(txt(opening_date, 'stores.opening_date'))} AS facts
        FROM raw_stores
        GROUP BY _file
    )
);

-- @clean c_stores
CREATE TABLE c_stores AS
WITH t AS (
    SELECT
        rowid AS _ord,
        _file,
        ident(store_id, 'stores.store_id') AS store_id,
        txt(opening_date, 'stores.opening_date') AS opening_t
    FROM raw_stores
)
SELECT store_id
FROM (SELECT *, date_parts(opening_t) AS opening_parts FROM t)
WHERE store_id IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY store_id ORDER BY _ord) = 1
    AND NOT unparsed(opening_t, calendar_day(
        opening_t,
        'stores.opening_date',
        opening_parts,
        getvariable('stores_files')[_file].opening_date
    ));

-- @clean files_products
-- Per file of products: whether its prices mix currencies.
SET VARIABLE products_files = (
    SELECT map(list(_file), list(facts))
    FROM (
        SELECT _file, {'unit_price': mixes_currencies(txt(unit_price, 'products.unit_price'))}
            AS facts
        FROM raw_products
        GROUP BY _file
    )
);

-- @clean c_products
CREATE TABLE c_products AS
WITH t AS (
    SELECT
        rowid AS _ord,
        _file,
        ident(product_id, 'products.product_id') AS product_id,
        txt(product_category, 'products.product_category') AS product_category,
        txt(unit_price, 'products.unit_price') AS price_t,
        txt(current_stock_level, 'products.current_stock_level') AS stock_t
    FROM raw_products
),
staged AS (
    SELECT *, money_parts(price_t, decimal_comma('products.unit_price')) AS price_parts FROM t
),
typed AS (
    SELECT
        *,
        amount(
            price_t,
            price_parts,
            getvariable('products_files')[_file].unit_price,
            decimal_comma('products.unit_price')
        ) AS unit_price,
        whole(stock_t) AS stock
    FROM staged
),
checked AS (
    SELECT
        product_id,
        product_category,
        _ord,
        product_category IS NULL
            OR price_t IS NULL
            OR unparsed(price_t, unit_price)
            OR unparsed(stock_t, stock)
            OR coalesce(unit_price <= 0, false)
            OR coalesce(stock < 0, false) AS rejected
    FROM typed
    WHERE product_id IS NOT NULL
)
SELECT product_id, product_category, lower(product_category) AS category_key
FROM checked
QUALIFY row_number() OVER (PARTITION BY product_id ORDER BY _ord) = 1 AND NOT rejected;

-- @clean files_customers
-- Per file of customers: what its day/month dates prove.
SET VARIABLE customers_files = (
    SELECT map(list(_file), list(facts))
    FROM (
        SELECT
            _file,
            {'enrollment_date': proof(txt(enrollment_date, 'customers.enrollment_date'))} AS facts
        FROM raw_customers
        GROUP BY _file
    )
);

-- @clean c_customers
CREATE TABLE c_customers AS
WITH t AS (
    SELECT
        rowid AS _ord,
        _file,
        ident(customer_id, 'customers.customer_id') AS customer_id,
        txt(enrollment_date, 'customers.enrollment_date') AS enrollment_t,
        txt(email, 'customers.email') AS email,
        txt(phone, 'customers.phone') AS phone
    FROM raw_customers
),
staged AS (
    SELECT *, date_parts(enrollment_t) AS enrollment_parts FROM t
),
typed AS (
    SELECT
        *,
        calendar_day(
            enrollment_t,
            'customers.enrollment_date',
            enrollment_parts,
            getvariable('customers_files')[_file].enrollment_date
        ) AS enrollment_date
    FROM staged
),
checked AS (
    SELECT
        customer_id,
        _ord,
        unparsed(enrollment_t, enrollment_date)
            OR coalesce(enrollment_date > getvariable('latest_date'), false)
            -- INVALID_EMAIL / INVALID_PHONE reject only when so configured
            OR (getvariable('reject_email') AND email IS NOT NULL
                AND NOT regexp_full_match(email, '[^@/*ws*/]+@[^@/*ws*/]+\.[^@/*ws*/]+'))
            OR (getvariable('reject_phone') AND phone IS NOT NULL
                AND NOT regexp_full_match(phone, '\+?[0-9(][0-9 ().-]{5,19}')) AS rejected
    FROM typed
    WHERE customer_id IS NOT NULL
)
SELECT customer_id
FROM checked
QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY _ord) = 1 AND NOT rejected;

-- @clean files_promotions
-- Per file of promotions: what its day/month dates prove.
SET VARIABLE promotions_files = (
    SELECT map(list(_file), list(facts))
    FROM (
        SELECT
            _file,
            {
                'start_date': proof(txt(start_date, 'promotions.start_date')),
                'end_date': proof(txt(end_date, 'promotions.end_date'))
            } AS facts
        FROM raw_promotions
        GROUP BY _file
    )
);

-- @clean c_promotions
CREATE TABLE c_promotions AS
WITH t AS (
    SELECT
        rowid AS _ord,
        _file,
        ident(promotion_id, 'promotions.promotion_id') AS promotion_id,
        txt(start_date, 'promotions.start_date') AS start_t,
        txt(end_date, 'promotions.end_date') AS end_t,
        txt(discount_percentage, 'promotions.discount_percentage') AS discount_t,
        category(txt(applicable_category, 'promotions.applicable_category'))
            AS applicable_category,
        txt(points_multiplier, 'promotions.points_multiplier') AS multiplier_t
    FROM raw_promotions
),
staged AS (
    SELECT *, date_parts(start_t) AS start_parts, date_parts(end_t) AS end_parts FROM t
),
typed AS (
    SELECT
        *,
        calendar_day(
            start_t,
            'promotions.start_date',
            start_parts,
            getvariable('promotions_files')[_file].start_date
        ) AS start_date,
        calendar_day(
            end_t,
            'promotions.end_date',
            end_parts,
            getvariable('promotions_files')[_file].end_date
        ) AS end_date,
        rate(discount_t, decimal_comma('promotions.discount_percentage')) AS discount,
        CASE WHEN multiplier_t IS NULL THEN 1
            ELSE rate(multiplier_t, decimal_comma('promotions.points_multiplier')) END
            AS multiplier
    FROM staged
    WHERE promotion_id IS NOT NULL
),
checked AS (
    SELECT
        *,
        start_t IS NULL
            OR end_t IS NULL
            OR unparsed(start_t, start_date)
            OR unparsed(end_t, end_date)
            OR unparsed(discount_t, discount)
            OR unparsed(multiplier_t, multiplier)
            OR coalesce(discount < 0 OR discount > 100, false)
            OR coalesce(multiplier < 0, false)
            OR coalesce(end_date < start_date, false)
            OR coalesce(start_date < getvariable('earliest'), false) AS rejected
    FROM typed
)
SELECT
    promotion_id,
    start_date,
    end_date,
    applicable_category,
    CAST(multiplier AS DECIMAL(18, 4)) AS points_multiplier
FROM checked
QUALIFY row_number() OVER (PARTITION BY promotion_id ORDER BY _ord) = 1 AND NOT rejected;

-- @clean files_loyalty_rules
-- Per file of loyalty_rules: what its day/month dates prove, whether its thresholds
-- mix currencies.
SET VARIABLE loyalty_rules_files = (
    SELECT map(list(_file), list(facts))
    FROM (
        SELECT
            _file,
            {
                'valid_from': proof(txt(valid_from, 'loyalty_rules.valid_from')),
                'valid_to': proof(txt(valid_to, 'loyalty_rules.valid_to')),
                'min_spend_threshold': mixes_currencies(
                    txt(min_spend_threshold, 'loyalty_rules.min_spend_threshold')
                )
            } AS facts
        FROM raw_loyalty_rules
        GROUP BY _file
    )
);

-- @clean c_loyalty_rules
CREATE TABLE c_loyalty_rules AS
WITH t AS (
    SELECT
        rowid AS _ord,
        _file,
        ident(rule_id, 'loyalty_rules.rule_id') AS rule_id,
        txt(points_per_unit_spend, 'loyalty_rules.points_per_unit_spend') AS rate_t,
        txt(min_spend_threshold, 'loyalty_rules.min_spend_threshold') AS threshold_t,
        txt(bonus_points, 'loyalty_rules.bonus_points') AS bonus_t,
        category(txt(applicable_category, 'loyalty_rules.applicable_category'))
            AS applicable_category,
        txt(valid_from, 'loyalty_rules.valid_from') AS from_t,
        txt(valid_to, 'loyalty_rules.valid_to') AS to_t,
        -- days of the week: upper-cased, whitespace removed, every one a known day
        regexp_replace(
            upper(txt(days_of_week, 'loyalty_rules.days_of_week')), '[/*ws*/]', '', 'g'
        ) AS days_t
    FROM raw_loyalty_rules
),
staged AS (
    SELECT
        *,
        money_parts(threshold_t, decimal_comma('loyalty_rules.min_spend_threshold'))
            AS threshold_parts,
        date_parts(from_t) AS from_parts,
        date_parts(to_t) AS to_parts
    FROM t
),
typed AS (
    SELECT
        *,
        rate(rate_t, decimal_comma('loyalty_rules.points_per_unit_spend')) AS points_per_unit_spend,
        CASE WHEN threshold_t IS NULL THEN 0 ELSE amount(
            threshold_t,
            threshold_parts,
            getvariable('loyalty_rules_files')[_file].min_spend_threshold,
            decimal_comma('loyalty_rules.min_spend_threshold')
        ) END AS min_spend_threshold,
        CASE WHEN bonus_t IS NULL THEN 0 ELSE whole(bonus_t) END AS bonus_points,
        calendar_day(
            from_t,
            'loyalty_rules.valid_from',
            from_parts,
            getvariable('loyalty_rules_files')[_file].valid_from
        ) AS valid_from,
        calendar_day(
            to_t,
            'loyalty_rules.valid_to',
            to_parts,
            getvariable('loyalty_rules_files')[_file].valid_to
        ) AS valid_to,
        CASE WHEN regexp_full_match(
            days_t, '(MON|TUE|WED|THU|FRI|SAT|SUN)(\|(MON|TUE|WED|THU|FRI|SAT|SUN))*'
        ) THEN days_t END AS days_of_week
    FROM staged
    WHERE rule_id IS NOT NULL
),
checked AS (
    SELECT
        *,
        rate_t IS NULL
            OR unparsed(rate_t, points_per_unit_spend)
            OR unparsed(threshold_t, min_spend_threshold)
            OR unparsed(bonus_t, bonus_points)
            OR unparsed(from_t, valid_from)
            OR unparsed(to_t, valid_to)
            OR unparsed(days_t, days_of_week)
            OR coalesce(points_per_unit_spend < 0, false)
            OR coalesce(min_spend_threshold < 0, false)
            OR coalesce(bonus_points < 0, false)
            OR coalesce(valid_to < valid_from, false) AS rejected
    FROM typed
)
SELECT
    rule_id,
    points_per_unit_spend,
    CAST(min_spend_threshold AS DECIMAL(18, 2)) AS min_spend_threshold,
    CAST(bonus_points AS BIGINT) AS bonus_points,
    applicable_category,
    valid_from,
    valid_to,
    days_of_week
FROM checked
QUALIFY row_number() OVER (PARTITION BY rule_id ORDER BY _ord) = 1 AND NOT rejected;

-- @clean checked_masters
-- Which masters references are checked against: those with a clean row. While a
-- master has none (its file never landed), a reference cannot be checked and is
-- accepted (loyalty_lake warns, UNVERIFIED_*), unless dq.unverified_references is
-- "reject".
CREATE TABLE checked_masters AS
SELECT
    getvariable('reject_unverified') OR EXISTS (FROM c_stores) AS stores,
    getvariable('reject_unverified') OR EXISTS (FROM c_customers) AS customers,
    getvariable('reject_unverified') OR EXISTS (FROM c_products) AS products,
    getvariable('reject_unverified') OR EXISTS (FROM c_promotions) AS promotions;

-- =====================================================================================
-- Facts (loyalty_lake/silver/tables/sales.py, facts.py). A key already seen earlier
-- in file order is a DUPLICATE (keys are almost always unique: only the shared ones
-- are looked at; a NULL key is never shared, it joins nothing).
-- =====================================================================================

-- @clean files_sales_header
-- Per file of sales_header: what its day/month dates prove, whether its totals mix
-- currencies.
SET VARIABLE sales_header_files = (
    SELECT map(list(_file), list(facts))
    FROM (
        SELECT
            _file,
            {
                'transaction_date': proof(
                    txt(transaction_date, 'sales_header.transaction_date')
                ),
                'total_amount': mixes_currencies(txt(total_amount, 'sales_header.total_amount'))
            } AS facts
        FROM raw_sales_header
        GROUP BY _file
    )
);

-- @clean s_header
-- One row per sales_header row: typed, with is_dup and rejected (the row's own rules).
CREATE TABLE s_header AS
WITH t AS NOT MATERIALIZED (
    SELECT
        rowid AS _ord,
        _file,
        ident(transaction_id, 'sales_header.transaction_id') AS transaction_id,
        ident(customer_id, 'sales_header.customer_id') AS customer_id,
        ident(store_id, 'sales_header.store_id') AS store_id,
        txt(transaction_date, 'sales_header.transaction_date') AS date_t,
        txt(total_amount, 'sales_header.total_amount') AS total_t,
        upper(txt(transaction_type, 'sales_header.transaction_type')) AS type_t,
        ident(original_transaction_id, 'sales_header.original_transaction_id')
            AS original_transaction_id
    FROM raw_sales_header
),
iso AS (
    SELECT *, instant_parts(date_t) AS p FROM t
),
parts AS (  -- the parts of the other texts, each computed once
    SELECT
        *,
        CASE WHEN p.d = '' THEN date_parts(date_t) END AS date_parts,
        money_parts(total_t, decimal_comma('sales_header.total_amount')) AS total_parts
    FROM iso
),
clocked AS (
    SELECT
        * EXCLUDE (p, date_parts),
        p.tz <> '' AS aware,
        -- the wall-clock time written, in the configured zone or at the given offset
        CASE WHEN p.d = '' THEN naive_wall(
                date_t,
                'sales_header.transaction_date',
                date_parts,
                getvariable('sales_header_files')[_file].transaction_date
            )
            WHEN clock_ok(p) THEN wall_clock(p) END AS wall,
        offset_minutes(p) AS offset_min
    FROM parts
),
typed AS (
    SELECT
        * EXCLUDE (offset_min, total_parts),
        amount(
            total_t,
            total_parts,
            getvariable('sales_header_files')[_file].total_amount,
            decimal_comma('sales_header.total_amount')
        ) AS total_amount,
        CASE WHEN type_t IS NULL THEN 'SALE' WHEN type_t IN ('SALE', 'RETURN') THEN type_t END
            AS transaction_type,
        -- the instant, as a UTC timestamp
        CASE WHEN aware THEN wall - to_minutes(offset_min) ELSE utc_of_local(wall) END
            AS transaction_at
    FROM clocked
),
dated AS (
    SELECT
        *,
        -- the local business date of the instant (for a naive value: the date written)
        CAST(
            CASE WHEN aware THEN local_of_utc(transaction_at)
                WHEN transaction_at IS NOT NULL THEN wall END AS DATE
        ) AS transaction_date
    FROM typed
),
shared AS (
    SELECT transaction_id, min(_ord) AS first_ord
    FROM t
    GROUP BY transaction_id
    HAVING count(*) > 1
)
SELECT
    d.transaction_id,
    d.customer_id,
    d.transaction_type,
    d.transaction_date,
    d.total_amount,
    d.original_transaction_id,
    coalesce(d._ord > s.first_ord, false) AS is_dup,
    d.transaction_id IS NULL                                              -- NULL_REQUIRED
        OR d.store_id IS NULL
        OR d.date_t IS NULL
        OR d.total_t IS NULL
        OR unparsed(d.total_t, d.total_amount)                           -- INVALID_TYPE
        OR unparsed(d.type_t, d.transaction_type)
        OR unparsed(d.date_t, d.transaction_at)
        OR coalesce(d.total_amount <= 0, false)                          -- NEGATIVE_OR_ZERO
        OR coalesce(d.transaction_at > getvariable('latest_at'), false)  -- INVALID_DATE
        OR coalesce(d.transaction_date < getvariable('earliest'), false)
        OR (d.store_id IS NOT NULL AND cs.store_id IS NULL AND m.stores) -- UNKNOWN_STORE
        OR (d.customer_id IS NOT NULL AND cc.customer_id IS NULL         -- UNKNOWN_CUSTOMER
            AND m.customers)
        OR coalesce(d._ord > s.first_ord, false) AS rejected             -- DUPLICATE
FROM dated AS d
CROSS JOIN checked_masters AS m
LEFT JOIN shared AS s ON s.transaction_id = d.transaction_id
LEFT JOIN c_stores AS cs ON cs.store_id = d.store_id
LEFT JOIN c_customers AS cc ON cc.customer_id = d.customer_id;

-- @clean drop_raw_header
DROP TABLE raw_sales_header;

-- @clean files_sales_lines
-- Per file of sales_lines: whether its amounts mix currencies.
SET VARIABLE sales_lines_files = (
    SELECT map(list(_file), list(facts))
    FROM (
        SELECT
            _file,
            {
                'line_item_amount': mixes_currencies(
                    txt(line_item_amount, 'sales_lines.line_item_amount')
                )
            } AS facts
        FROM raw_sales_lines
        GROUP BY _file
    )
);

-- @clean s_lines
-- One row per sales_lines row: typed, with is_dup and rejected (the row's own rules).
CREATE TABLE s_lines AS
WITH t AS NOT MATERIALIZED (
    SELECT
        rowid AS _ord,
        _file,
        ident(line_item_id, 'sales_lines.line_item_id') AS line_item_id,
        ident(transaction_id, 'sales_lines.transaction_id') AS transaction_id,
        ident(product_id, 'sales_lines.product_id') AS product_id,
        ident(promotion_id, 'sales_lines.promotion_id') AS promotion_id,
        txt(quantity, 'sales_lines.quantity') AS quantity_t,
        txt(line_item_amount, 'sales_lines.line_item_amount') AS amount_t
    FROM raw_sales_lines
),
staged AS (
    SELECT
        *, money_parts(amount_t, decimal_comma('sales_lines.line_item_amount')) AS amount_parts
    FROM t
),
typed AS (
    SELECT
        * EXCLUDE (amount_parts),
        whole(quantity_t) AS quantity,
        amount(
            amount_t,
            amount_parts,
            getvariable('sales_lines_files')[_file].line_item_amount,
            decimal_comma('sales_lines.line_item_amount')
        ) AS line_item_amount
    FROM staged
),
shared AS (
    SELECT transaction_id, line_item_id, min(_ord) AS first_ord
    FROM t
    GROUP BY transaction_id, line_item_id
    HAVING count(*) > 1
)
SELECT
    l._ord,
    l.transaction_id,
    l.product_id,
    l.promotion_id,
    l.quantity,
    l.line_item_amount,
    coalesce(l._ord > s.first_ord, false) AS is_dup,
    l.line_item_id IS NULL                                                -- NULL_REQUIRED
        OR l.transaction_id IS NULL
        OR l.product_id IS NULL
        OR l.quantity_t IS NULL
        OR l.amount_t IS NULL
        OR unparsed(l.quantity_t, l.quantity)                            -- INVALID_TYPE
        OR unparsed(l.amount_t, l.line_item_amount)
        OR coalesce(l.quantity <= 0, false)                              -- NEGATIVE_OR_ZERO
        OR coalesce(l.line_item_amount <= 0, false)
        OR (l.product_id IS NOT NULL AND cp.product_id IS NULL           -- UNKNOWN_PRODUCT
            AND m.products)
        OR (getvariable('reject_unknown_promotion')                      -- UNKNOWN_PROMOTION
            AND l.promotion_id IS NOT NULL AND cr.promotion_id IS NULL AND m.promotions)
        OR coalesce(l._ord > s.first_ord, false) AS rejected             -- DUPLICATE
FROM typed AS l
CROSS JOIN checked_masters AS m
LEFT JOIN shared AS s ON s.transaction_id = l.transaction_id AND s.line_item_id = l.line_item_id
LEFT JOIN c_products AS cp ON cp.product_id = l.product_id
LEFT JOIN c_promotions AS cr ON cr.promotion_id = l.promotion_id;

-- @clean drop_raw_lines
DROP TABLE raw_sales_lines;

-- @clean outliers when reject_outlier
-- OUTLIER, when configured to reject: a line's quantity far above its category's
-- usual, or its unit price (log scale) far from its product's usual; robust
-- z = (x - median) / (1.4826 MAD), the MAD floored, over the batch's clean lines.
UPDATE s_lines SET rejected = true
WHERE _ord IN (
    WITH measured AS (
        SELECT
            l._ord,
            p.product_category,
            l.product_id,
            CAST(l.quantity AS DOUBLE) AS q,
            ln(CAST(l.line_item_amount AS DOUBLE) / CAST(l.quantity AS DOUBLE)) AS lp
        FROM s_lines AS l
        LEFT JOIN c_products AS p ON p.product_id = l.product_id
        WHERE NOT l.rejected AND l.quantity > 0
    ),
    q_median AS (
        SELECT product_category, median(q) AS q_median FROM measured GROUP BY ALL
    ),
    q_mad AS (
        SELECT product_category, any_value(q_median) AS q_median, median(abs(q - q_median)) AS q_mad
        FROM measured JOIN q_median USING (product_category)
        GROUP BY ALL
    ),
    p_median AS (
        SELECT product_id, median(lp) AS p_median FROM measured GROUP BY ALL
    ),
    p_mad AS (
        SELECT product_id, any_value(p_median) AS p_median, median(abs(lp - p_median)) AS p_mad
        FROM measured JOIN p_median USING (product_id)
        GROUP BY ALL
    )
    SELECT m._ord
    FROM measured AS m
    JOIN q_mad USING (product_category)
    JOIN p_mad USING (product_id)
    WHERE (m.q - q_mad.q_median) / greatest(1.4826 * q_mad.q_mad, 1.0)
            > getvariable('outlier_threshold')
        OR abs((m.lp - p_mad.p_median) / greatest(1.4826 * p_mad.p_mad, 0.1))
            > getvariable('outlier_threshold')
);

-- @clean tx_lines
-- One row per transaction id with lines: whether any of its lines was rejected
-- and their amount (duplicate lines are not part of their transaction).
CREATE TABLE tx_lines AS
SELECT
    transaction_id,
    bool_or(rejected) AS lines_rejected,
    sum(line_item_amount) AS lines_amount
FROM s_lines
WHERE NOT is_dup AND transaction_id IS NOT NULL
GROUP BY transaction_id;

-- @clean c_header
-- Clean headers: one per transaction (its first header row). A transaction is all
-- or nothing: its header and every line must pass, it must have lines
-- (MISSING_LINES), the header total must match them (TOTAL_MISMATCH: by more than
-- dq.total_tolerance, judged when all lines are clean) and a RETURN must name a
-- clean SALE of the batch (UNKNOWN_ORIGINAL_TRANSACTION).
CREATE TABLE c_header AS
WITH judged AS (
    SELECT
        h.*,
        coalesce(x.lines_rejected, false) AS lines_rejected,
        h.rejected
            OR x.transaction_id IS NULL
            OR (getvariable('reject_total_mismatch')
                AND NOT x.lines_rejected
                AND coalesce(
                    abs(h.total_amount - x.lines_amount) > getvariable('total_tolerance'), false
                ))
            AS header_rejected
    FROM s_header AS h
    LEFT JOIN tx_lines AS x ON x.transaction_id = h.transaction_id
    WHERE NOT h.is_dup AND h.transaction_id IS NOT NULL
),
named AS (
    SELECT DISTINCT original_transaction_id AS transaction_id
    FROM judged
    WHERE transaction_type = 'RETURN'
),
sold AS (  -- the clean SALEs that RETURNs name
    SELECT j.transaction_id
    FROM judged AS j
    SEMI JOIN named AS n ON n.transaction_id = j.transaction_id
    WHERE NOT j.header_rejected AND NOT j.lines_rejected AND j.transaction_type = 'SALE'
)
SELECT
    j.transaction_id,
    j.customer_id,
    j.transaction_type,
    j.transaction_date,
    j.total_amount,
    j.original_transaction_id
FROM judged AS j
LEFT JOIN sold AS s ON s.transaction_id = j.original_transaction_id
WHERE NOT (
    j.header_rejected
    OR j.lines_rejected
    OR (j.transaction_type = 'RETURN' AND s.transaction_id IS NULL)
);

-- @clean c_lines
-- Clean lines: not duplicates, no reasons of their own, in a clean transaction
-- (a line without a header is an ORPHAN_LINE).
CREATE TABLE c_lines AS
SELECT l.transaction_id, l.product_id, l.promotion_id, l.line_item_amount
FROM s_lines AS l
SEMI JOIN c_header AS h ON h.transaction_id = l.transaction_id
WHERE NOT l.rejected;

-- @clean drop_staged
-- (what is left of the staged facts is in c_header and c_lines)
DROP TABLE s_lines;

-- @clean drop_staged_tx
DROP TABLE tx_lines;

-- @clean drop_staged_header
DROP TABLE s_header;

-- @clean files_redemptions
-- Per file of redemptions: what its day/month dates prove.
SET VARIABLE redemptions_files = (
    SELECT map(list(_file), list(facts))
    FROM (
        SELECT
            _file,
            {'redemption_date': proof(txt(redemption_date, 'redemptions.redemption_date'))}
                AS facts
        FROM raw_redemptions
        GROUP BY _file
    )
);

-- @clean c_redemptions
CREATE TABLE c_redemptions AS
WITH t AS NOT MATERIALIZED (
    SELECT
        rowid AS _ord,
        _file,
        ident(redemption_id, 'redemptions.redemption_id') AS redemption_id,
        ident(customer_id, 'redemptions.customer_id') AS customer_id,
        ident(store_id, 'redemptions.store_id') AS store_id,
        txt(redemption_date, 'redemptions.redemption_date') AS date_t,
        txt(points_redeemed, 'redemptions.points_redeemed') AS points_t
    FROM raw_redemptions
),
staged AS (
    SELECT *, date_parts(date_t) AS date_parts FROM t
),
typed AS (
    SELECT
        *,
        calendar_day(
            date_t,
            'redemptions.redemption_date',
            date_parts,
            getvariable('redemptions_files')[_file].redemption_date
        ) AS redemption_date,
        whole(points_t) AS points_redeemed
    FROM staged
),
shared AS (
    SELECT redemption_id, min(_ord) AS first_ord
    FROM t
    GROUP BY redemption_id
    HAVING count(*) > 1
)
SELECT r.redemption_id, r.customer_id, r.redemption_date, r.points_redeemed
FROM typed AS r
CROSS JOIN checked_masters AS m
LEFT JOIN shared AS s ON s.redemption_id = r.redemption_id
LEFT JOIN c_customers AS cc ON cc.customer_id = r.customer_id
LEFT JOIN c_stores AS cs ON cs.store_id = r.store_id
WHERE NOT (
    r.redemption_id IS NULL                                               -- NULL_REQUIRED
    OR r.customer_id IS NULL
    OR r.date_t IS NULL
    OR r.points_t IS NULL
    OR unparsed(r.date_t, r.redemption_date)                             -- INVALID_TYPE
    OR unparsed(r.points_t, r.points_redeemed)
    OR coalesce(r.points_redeemed <= 0, false)                           -- NEGATIVE_OR_ZERO
    OR coalesce(r.redemption_date > getvariable('latest_date'), false)   -- INVALID_DATE
    OR coalesce(r.redemption_date < getvariable('earliest'), false)
    OR (r.customer_id IS NOT NULL AND cc.customer_id IS NULL             -- UNKNOWN_CUSTOMER
        AND m.customers)
    OR (r.store_id IS NOT NULL AND cs.store_id IS NULL AND m.stores)     -- UNKNOWN_STORE
    OR coalesce(r._ord > s.first_ord, false)                             -- DUPLICATE
);

-- =====================================================================================
-- Gold: points (loyalty_lake/gold/points.py, docs/loyalty-points.md).
-- =====================================================================================

-- @gold as_of
-- The date of the latest clean transaction.
SET VARIABLE as_of = (SELECT max(transaction_date) FROM c_header);

-- @gold rules
-- The earning rules: the batch's clean loyalty rules, or the configured ones when
-- it has none; priority 1 first (a category rule before ALL, then the highest
-- rate, then the rule id).
CREATE TABLE rules AS
WITH landed AS (
    SELECT
        rule_id,
        points_per_unit_spend,
        min_spend_threshold,
        bonus_points,
        applicable_category,
        valid_from,
        valid_to,
        -- ISO day numbers (1 = Monday); NULL = every day
        list_transform(
            string_split(days_of_week, '|'),
            lambda d: list_position(['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], d)
        ) AS weekdays
    FROM c_loyalty_rules
),
configured AS (
    SELECT
        rule_id,
        points_per_unit_spend,
        min_spend_threshold,
        bonus_points,
        applicable_category,
        NULL::DATE AS valid_from,
        NULL::DATE AS valid_to,
        NULL::INTEGER[] AS weekdays
    FROM (/*default_rules*/)
    WHERE NOT EXISTS (SELECT 1 FROM landed)
),
every AS (
    SELECT * FROM landed
    UNION ALL
    SELECT * FROM configured
)
SELECT
    *,
    upper(applicable_category) = 'ALL' AS for_all,
    lower(applicable_category) AS category_key,
    row_number() OVER (
        ORDER BY upper(applicable_category) <> 'ALL' DESC, points_per_unit_spend DESC, rule_id
    ) AS priority
FROM every;

-- @gold originals
-- The sales that clean RETURNs name (a RETURN's points and spend go to its sale's customer).
CREATE TABLE originals AS
SELECT transaction_id, customer_id, transaction_date, total_amount
FROM c_header
WHERE transaction_id IN (
    SELECT original_transaction_id FROM c_header WHERE transaction_type = 'RETURN'
);

-- @gold member_transactions
-- One row per clean transaction of a member up to as_of: who earns (a RETURN
-- reverses the points of its original sale's customer) and the context its rules
-- are judged on (a RETURN: its original sale's date and total).
CREATE TABLE member_transactions AS
WITH attributed AS (
    SELECT
        h.transaction_id,
        h.transaction_type = 'SALE' AS is_sale,
        h.transaction_date AS event_date,
        CASE WHEN h.transaction_type = 'SALE' THEN h.customer_id ELSE o.customer_id END
            AS customer_id,
        CASE WHEN h.transaction_type = 'SALE' THEN h.transaction_date ELSE o.transaction_date END
            AS rule_day,
        CASE WHEN h.transaction_type = 'SALE' THEN h.total_amount ELSE o.total_amount END AS spend
    FROM c_header AS h
    LEFT JOIN originals AS o ON o.transaction_id = h.original_transaction_id
    WHERE h.transaction_date <= getvariable('as_of')
)
SELECT * FROM attributed WHERE customer_id IS NOT NULL AND rule_day IS NOT NULL;

-- @gold rule_ladder
-- Which rule a line earns under, per rule day, product category and spend: the
-- first rule (by priority) valid on the day for the category whose spend
-- threshold the transaction reaches. Rule k wins for spend in
-- [its threshold, the lowest threshold of the rules before it).
CREATE TABLE rule_ladder AS
WITH days AS (
    SELECT CAST(unnest(range(
        CAST(min(rule_day) AS TIMESTAMP), CAST(max(rule_day) AS TIMESTAMP) + INTERVAL 1 DAY,
        INTERVAL 1 DAY
    )) AS DATE) AS rule_day
    FROM member_transactions
),
categories AS (  -- NULL: a line whose product is unverified (no products landed)
    SELECT DISTINCT category_key FROM c_products
    UNION
    SELECT NULL
),
candidates AS (
    SELECT d.rule_day, c.category_key, r.rule_id, r.points_per_unit_spend, r.min_spend_threshold,
        r.priority
    FROM days AS d
    CROSS JOIN categories AS c
    JOIN rules AS r
        ON (r.valid_from IS NULL OR d.rule_day >= r.valid_from)
        AND (r.valid_to IS NULL OR d.rule_day <= r.valid_to)
        AND (r.weekdays IS NULL OR list_contains(r.weekdays, isodow(d.rule_day)))
        AND (r.for_all OR r.category_key = c.category_key)
),
laddered AS (
    SELECT
        *,
        min(min_spend_threshold) OVER (
            PARTITION BY rule_day, category_key ORDER BY priority
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS spend_below
    FROM candidates
)
SELECT rule_day, category_key, min_spend_threshold AS spend_from, spend_below, rule_id,
    points_per_unit_spend
FROM laddered
WHERE spend_below IS NULL OR min_spend_threshold < spend_below;

-- @gold transaction_points
-- One row per member transaction with lines: the sum of its line points,
-- floor(amount x rate x multiplier) each, on integers (cents x rate.10^4 x
-- multiplier.10^4 // 10^10); a promotion active on the rule day for the line's
-- category multiplies the rate.
CREATE TABLE transaction_points AS
SELECT
    l.transaction_id,
    CAST(sum(
        CAST(l.line_item_amount * 100 AS HUGEINT)
        * CAST(coalesce(r.points_per_unit_spend, 0) * 10000 AS HUGEINT)
        * CAST(
            CASE
                WHEN m.rule_day BETWEEN pr.start_date AND pr.end_date
                    AND (upper(pr.applicable_category) = 'ALL'
                        OR lower(pr.applicable_category) = p.category_key)
                    THEN pr.points_multiplier
                ELSE 1
            END * 10000 AS HUGEINT
        )
        // 10000000000
    ) AS BIGINT) AS points
FROM c_lines AS l
JOIN member_transactions AS m ON m.transaction_id = l.transaction_id
LEFT JOIN c_products AS p ON p.product_id = l.product_id
LEFT JOIN rule_ladder AS r
    ON r.rule_day = m.rule_day
    AND r.category_key IS NOT DISTINCT FROM p.category_key
    AND m.spend >= r.spend_from
    AND (r.spend_below IS NULL OR m.spend < r.spend_below)
LEFT JOIN c_promotions AS pr ON pr.promotion_id = l.promotion_id
GROUP BY l.transaction_id;

-- @gold bonus_points
-- One row per member sale and valid rule with a bonus (once per transaction); a
-- category rule's bonus needs a line of its category.
CREATE TABLE bonus_points AS
WITH bonus_rules AS (
    SELECT * FROM rules WHERE bonus_points > 0
),
category_hits AS (
    SELECT DISTINCT l.transaction_id, r.rule_id
    FROM c_lines AS l
    JOIN c_products AS p ON p.product_id = l.product_id
    JOIN bonus_rules AS r ON NOT r.for_all AND r.category_key = p.category_key
)
SELECT m.customer_id, m.event_date, r.bonus_points AS points
FROM member_transactions AS m
SEMI JOIN transaction_points AS t ON t.transaction_id = m.transaction_id
JOIN bonus_rules AS r
    ON m.spend >= r.min_spend_threshold
    AND (r.valid_from IS NULL OR m.rule_day >= r.valid_from)
    AND (r.valid_to IS NULL OR m.rule_day <= r.valid_to)
    AND (r.weekdays IS NULL OR list_contains(r.weekdays, isodow(m.rule_day)))
WHERE m.is_sale
    AND (r.for_all OR EXISTS (
        SELECT 1 FROM category_hits AS c
        WHERE c.transaction_id = m.transaction_id AND c.rule_id = r.rule_id
    ));

-- @gold points_days
-- One row per member and day with points events: points earned (EARN and BONUS,
-- the lots that expire) and reversed (REVERSAL), both as positive numbers.
CREATE TABLE points_days AS
SELECT customer_id, day, sum(earned) AS earned, sum(reversed) AS reversed
FROM (
    SELECT
        m.customer_id,
        m.event_date AS day,
        CASE WHEN m.is_sale THEN t.points ELSE 0 END AS earned,
        CASE WHEN m.is_sale THEN 0 ELSE t.points END AS reversed
    FROM member_transactions AS m
    JOIN transaction_points AS t ON t.transaction_id = m.transaction_id
    UNION ALL
    SELECT customer_id, event_date, points, 0 FROM bonus_points
)
GROUP BY customer_id, day;

-- @gold redemptions
-- The clean redemptions up to as_of; the points engine decides which are accepted.
CREATE TABLE redemptions AS
SELECT customer_id, redemption_id, redemption_date AS day, points_redeemed AS points
FROM c_redemptions
WHERE redemption_date <= getvariable('as_of');

-- @gold insufficient
-- Redemptions rejected (INSUFFICIENT_POINTS), and the round that rejected them.
CREATE TABLE insufficient (redemption_id VARCHAR, customer_id VARCHAR, round INTEGER);

-- @gold scope
-- The members whose points the ledger statements follow: first, those who redeem.
CREATE TABLE scope AS SELECT DISTINCT customer_id FROM redemptions;

-- @ledger kept
-- The redemptions of members in scope not (yet) rejected.
CREATE OR REPLACE TABLE kept AS
SELECT r.*
FROM redemptions AS r
SEMI JOIN scope AS s ON s.customer_id = r.customer_id
ANTI JOIN insufficient AS i ON i.redemption_id = r.redemption_id;

-- @ledger running
-- One row per member in scope and day with events: points earned and consumed
-- (reversed or redeemed) through the end of the day.
CREATE OR REPLACE TABLE running AS
WITH daily AS (
    SELECT customer_id, day, sum(earned) AS earned, sum(consumed) AS consumed
    FROM (
        SELECT d.customer_id, d.day, d.earned, d.reversed AS consumed
        FROM points_days AS d
        SEMI JOIN scope AS s ON s.customer_id = d.customer_id
        UNION ALL
        SELECT customer_id, day, 0, points FROM kept
    )
    GROUP BY customer_id, day
)
SELECT
    customer_id,
    day,
    earned,
    sum(earned) OVER (PARTITION BY customer_id ORDER BY day) AS earned_to,
    sum(consumed) OVER (PARTITION BY customer_id ORDER BY day) AS consumed_to
FROM daily;

-- @ledger expired
-- FIFO expiry without a loop (points.py): the points of day e's lots expire on
-- x = e + expiry_months; with E(e) the points earned through day e and R(x) those
-- consumed before day x, the points expired by x are
-- D(x) = max(0, max over lots expiring by x of E(e) - R(x)). One row per member
-- and expiry date up to as_of.
CREATE OR REPLACE TABLE expired AS
WITH lots AS (
    SELECT
        customer_id,
        CAST(day + to_months(getvariable('expiry_months')) AS DATE) AS expires_on,
        earned_to
    FROM running
    WHERE earned > 0
        AND getvariable('expiry_months') > 0
        AND day + to_months(getvariable('expiry_months')) <= getvariable('as_of')
),
excess AS (
    SELECT l.customer_id, l.expires_on, max(l.earned_to - coalesce(r.consumed_to, 0)) AS excess
    FROM lots AS l
    ASOF LEFT JOIN running AS r ON r.customer_id = l.customer_id AND l.expires_on > r.day
    GROUP BY l.customer_id, l.expires_on
)
SELECT
    customer_id,
    expires_on,
    greatest(0, max(excess) OVER (PARTITION BY customer_id ORDER BY expires_on)) AS expired_to
FROM excess;

-- @verdict insufficient_round
-- One round of the redemption verdicts, over the members in scope: each member's
-- first kept redemption (by day, then id) above the balance available then
-- (earned - consumed before it - expired by its day) is rejected. Rejecting it
-- can only free points for the later ones, so rounds repeat, for the members
-- whose redemptions changed, until none is rejected.
INSERT INTO insufficient
WITH verdicts AS (
    SELECT
        k.customer_id,
        k.redemption_id,
        k.day,
        r.earned_to
            - (r.consumed_to - k.same_day_from_here)
            - coalesce(e.expired_to, 0) AS available,
        k.points
    FROM (
        SELECT
            *,
            -- this and the later redemptions of the same day (not consumed before it)
            sum(points) OVER (PARTITION BY customer_id, day ORDER BY redemption_id DESC)
                AS same_day_from_here
        FROM kept
    ) AS k
    JOIN running AS r ON r.customer_id = k.customer_id AND r.day = k.day
    ASOF LEFT JOIN expired AS e ON e.customer_id = k.customer_id AND k.day >= e.expires_on
)
SELECT redemption_id, customer_id, getvariable('round')
FROM verdicts
WHERE available < points
QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY day, redemption_id) = 1;

-- @verdict next_scope
CREATE OR REPLACE TABLE scope AS
SELECT customer_id FROM insufficient WHERE round = getvariable('round');

-- @final every_member
-- After the last round: every member with points events (then the ledger statements
-- run once more, for all of them).
CREATE OR REPLACE TABLE scope AS
SELECT customer_id FROM points_days
UNION
SELECT customer_id FROM redemptions;

-- @balance balances
-- One row per member with points events: the balance as of as_of, earned -
-- reversed - redeemed (accepted) - expired.
CREATE TABLE balances AS
WITH totals AS (
    SELECT customer_id, arg_max(earned_to - consumed_to, day) AS net
    FROM running
    GROUP BY customer_id
),
expiry AS (
    SELECT customer_id, max(expired_to) AS expired FROM expired GROUP BY customer_id
)
SELECT t.customer_id, t.net - coalesce(x.expired, 0) AS total_loyalty_points
FROM totals AS t
LEFT JOIN expiry AS x ON x.customer_id = t.customer_id;

-- =====================================================================================
-- Gold: RFM and segments (loyalty_lake/gold/rfm.py, docs/analytics.md).
-- =====================================================================================

-- @balance activity
-- One row per customer with a clean transaction up to as_of: last SALE date,
-- number of SALEs, net spend (a RETURN counts against its original sale's customer).
CREATE TABLE activity AS
WITH attributed AS (
    SELECT
        CASE WHEN h.transaction_type = 'SALE' OR o.transaction_id IS NULL THEN h.customer_id
            ELSE o.customer_id END AS customer_id,
        h.transaction_type = 'SALE' AS is_sale,
        h.transaction_date,
        h.total_amount
    FROM c_header AS h
    LEFT JOIN originals AS o ON o.transaction_id = h.original_transaction_id
    WHERE h.transaction_date <= getvariable('as_of')
)
SELECT
    customer_id,
    max(transaction_date) FILTER (WHERE is_sale) AS last_purchase_date,
    count(*) FILTER (WHERE is_sale) AS frequency,  -- transaction ids are unique when clean
    sum(CASE WHEN is_sale THEN total_amount ELSE -total_amount END) AS monetary
FROM attributed
WHERE customer_id IS NOT NULL
GROUP BY customer_id;

-- @balance result
-- One row per customer of the clean customer master (gold customer_details):
-- points balance, recency / frequency / monetary, quintile scores among the
-- customers with a sale (score = 1 + floor(5 (avg_rank - 1) / N), exactly, on
-- integers), RFM segment, and the segment (High Spender > At Risk > Others).
-- Without a clean transaction there is no as_of, and loyalty_lake builds no
-- customer_details: no rows.
CREATE TABLE result AS
WITH base AS (
    SELECT
        c.customer_id,
        coalesce(b.total_loyalty_points, 0) AS total_loyalty_points,
        a.last_purchase_date,
        coalesce(a.frequency, 0) AS frequency,
        coalesce(a.monetary, 0) AS monetary,
        coalesce(a.frequency, 0) > 0 AS has_sale
    FROM c_customers AS c
    LEFT JOIN activity AS a ON a.customer_id = c.customer_id
    LEFT JOIN balances AS b ON b.customer_id = c.customer_id
),
ranked AS (
    -- Ranks ascending in goodness among customers with a sale: rank() is the
    -- lowest rank of a tied group, count(*) (peers included) the highest.
    SELECT
        *,
        count(*) OVER (PARTITION BY has_sale) AS n,
        rank() OVER (PARTITION BY has_sale ORDER BY last_purchase_date) AS r_lo,
        count(*) OVER (PARTITION BY has_sale ORDER BY last_purchase_date) AS r_hi,
        rank() OVER (PARTITION BY has_sale ORDER BY frequency) AS f_lo,
        count(*) OVER (PARTITION BY has_sale ORDER BY frequency) AS f_hi,
        rank() OVER (PARTITION BY has_sale ORDER BY monetary) AS m_lo,
        count(*) OVER (PARTITION BY has_sale ORDER BY monetary) AS m_hi
    FROM base
),
scored AS (
    SELECT
        *,
        CASE WHEN has_sale THEN CAST(1 + (5 * (r_lo + r_hi - 2)) // (2 * n) AS TINYINT) END
            AS r_score,
        CASE WHEN has_sale THEN CAST(1 + (5 * (f_lo + f_hi - 2)) // (2 * n) AS TINYINT) END
            AS f_score,
        CASE WHEN has_sale THEN CAST(1 + (5 * (m_lo + m_hi - 2)) // (2 * n) AS TINYINT) END
            AS m_score,
        CAST(getvariable('as_of') - last_purchase_date AS BIGINT) AS recency_days
    FROM ranked
),
flagged AS (
    SELECT
        *,
        -- customers with a strictly larger monetary (n - m_hi) below ceil(share x n)
        has_sale AND n - m_hi
            < (n * getvariable('share_num') + getvariable('share_den') - 1) // getvariable('share_den')
            AS is_high_spender,
        has_sale AND recency_days >= getvariable('at_risk_days') AND total_loyalty_points > 0
            AS is_at_risk
    FROM scored
)
SELECT
    customer_id,
    CAST(total_loyalty_points AS BIGINT) AS total_loyalty_points,
    recency_days,
    CAST(frequency AS BIGINT) AS frequency,
    CAST(monetary * 100 AS BIGINT) AS monetary_cents,
    r_score,
    f_score,
    m_score,
    CASE WHEN r_score IS NOT NULL THEN /*rfm_segment*/ END AS rfm_segment,
    CASE WHEN is_high_spender THEN 'High Spender' WHEN is_at_risk THEN 'At Risk' ELSE 'Others' END
        AS segment
FROM flagged
WHERE getvariable('as_of') IS NOT NULL
ORDER BY customer_id;
