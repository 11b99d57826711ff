"""Personal data never leaves the lake's private layers in clear."""

from __future__ import annotations

import json
import re
import stat
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import loyalty_lake as ll
from loyalty_lake.cli import app
from loyalty_lake.gold.models import GOLD_MODELS
from loyalty_lake.privacy import PERSONAL_COLUMNS, masked, masked_raw_values, printable

pytestmark = pytest.mark.reliability

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"\+44 ?7700 ?\d{6}")  # the generator's phone numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"email":"ada@example.com"', '"email":"<email>"'),
        ("call +44 7700 900123 now", "call <phone> now"),
        ("(555) 123-4567", "<phone>"),
        (
            "T000000123 on 2026-10-31T10:00:00 for 1234567.50",
            "T000000123 on 2026-10-31T10:00:00 for 1234567.50",
        ),
        # phones, alone and in text
        ("+44 7700 900123", "<phone>"),
        ("555-123-4567", "<phone>"),
        ("+1 (555) 123 4567", "<phone>"),
        ("07700 900123", "<phone>"),
        ("+33 1 23 45 67 89", "<phone>"),
        ("07700900123", "<phone>"),
        ("phone '+33 1 23 45 67 89' is invalid", "phone '<phone>' is invalid"),
        ('"phone":"(555) 123-4567","n":"2"', '"phone":"<phone>","n":"2"'),
        ("tel:+44 7700 900123.", "tel:<phone>."),
        # a phone next to a time, a date or an amount: only the phone is masked
        ("call 555-123-4567 10:30", "call <phone> 10:30"),
        ("+44 7700 900123 2026-10-31", "<phone> 2026-10-31"),
        ("2026-10-31 +44 7700 900123", "2026-10-31 <phone>"),
        ("07700 900123, 1,234.50", "<phone>, 1,234.50"),
        # in a CSV row
        (
            "C1,ada@example.com,+44 7700 900123,2026-10-31T10:00:00+02:00,1,234.50",
            "C1,<email>,<phone>,2026-10-31T10:00:00+02:00,1,234.50",
        ),
        ("C1,07700900123,12", "C1,<phone>,12"),
        ("T1,2,+44 7700 900123,3", "T1,2,<phone>,3"),
        # emails
        ("ada.lovelace@example.com", "<email>"),
        (
            "enrollment_date 'ada.lovelace@example.com' is not an ISO date",
            "enrollment_date '<email>' is not an ISO date",
        ),
    ],
)
def test_masked(text, expected):
    assert masked(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # dates and date-times
        "13-12-2025 11:30:46",
        "2025-12-13 11:30:46",
        "2026/05/27",
        "27.05.2026 12:15:50 PM",
        "12/31/2025 23:59",
        "2026-10-31T10:00:00+02:00",
        "2026-10-31T10:00:00-05:00",
        "2026-10-31 10:00:00.123456+00:00",
        "'2026-10-31 10'",
        "20261031",
        "Monday 13-12-2025 11:30",
        # amounts
        "1,234,567.50",
        "₹9,106.76",
        "-1,234,567.50",
        "1234567.50",
        "1 234 567,50",
        "1 234 567 890,50",
        "1 234 567 890 123.50",
        "€1.234.567,50",
        "total 1,234,567.50 on 2026-10-31",
        # ids and counts
        "T000000123",
        "C0000042",
        "row 123456 of 1234567",
        "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "1234567890123456789",
    ],
)
def test_masked_keeps_dates_amounts_and_ids(text):
    assert masked(text) == text


DATE_TIME_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %I:%M:%S %p",
    "%d/%m/%Y, %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y/%m/%d",
    "%d %b %Y %H:%M",
    "%d %m %Y %H:%M",
    "%Y%m%d",
    "%Y%m%d %H%M%S",
    "%Y%m%d%H%M%S",
    "%Y%m%d%H%M",
]
OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))


@given(
    moment=st.datetimes(
        min_value=datetime(1950, 1, 1), max_value=datetime(2099, 12, 31), timezones=OFFSETS
    ),
    date_format=st.sampled_from(DATE_TIME_FORMATS),
)
def test_masked_never_takes_a_date_time_for_a_phone(moment, date_format):
    for text in (moment.strftime(date_format), moment.isoformat(), f"at {moment} on"):
        assert masked(text) == text


@given(amount=st.decimals(min_value=-(10**12), max_value=10**12, places=2))
def test_masked_never_takes_an_amount_for_a_phone(amount):
    grouped = f"{amount:,.2f}"
    european = grouped.replace(",", " ").replace(".", ",")
    german = grouped.replace(",", "_").replace(".", ",").replace("_", ".")
    for text in (grouped, f"{amount:.2f}", f"₹{grouped}", f"{european} €", german):
        assert masked(text) == text


def raw(**values) -> str:
    """A rejects row's raw_values, as polars writes it."""
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def test_masked_raw_values_masks_the_personal_columns_then_emails_and_phones():
    text = raw(
        customer_id="C1",
        first_name="ada@example.com",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+44 7700 900123",
        enrollment_date="07700 900123",
        loyalty_status="",
        _extra=None,
    )
    assert json.loads(masked_raw_values(text)) == {
        "customer_id": "C1",
        "first_name": "<email>",
        "last_name": "<masked>",
        "email": "<masked>",
        "phone": "<masked>",
        "enrollment_date": "<phone>",
        "loyalty_status": "",
        "_extra": None,
    }


def test_masked_raw_values_masks_personal_columns_among_the_unknown_ones():
    extra = raw(**{" Last_Name ": "Lovelace", "PHONE": "n/a", "note": "hi", "Email": None})
    text = raw(customer_id="C1", last_name=None, _extra=extra)
    shown = json.loads(masked_raw_values(text))
    assert shown["last_name"] is None
    assert json.loads(shown["_extra"]) == {
        " Last_Name ": "<masked>",
        "PHONE": "<masked>",
        "note": "hi",
        "Email": None,
    }
    assert "Lovelace" not in masked_raw_values(text)


def test_masked_raw_values_takes_the_personal_columns_to_mask():
    text = raw(first_name="Ada", last_name="Lovelace", store_id="S1")
    shown = json.loads(masked_raw_values(text, personal={" First_Name"}))
    assert shown == {"first_name": "<masked>", "last_name": "Lovelace", "store_id": "S1"}
    assert {"last_name", "email", "phone"} == PERSONAL_COLUMNS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"last_name":"Lovelace", ada@example.com', '{"last_name":"Lovelace", <email>'),
        ("call +44 7700 900123", "call <phone>"),
        ('["ada@example.com"]', '["<email>"]'),
        ('{"_extra":"{not json ada@example.com"}', '{"_extra":"{not json <email>"}'),
    ],
)
def test_masked_raw_values_of_text_that_is_not_a_json_object_is_masked(text, expected):
    assert masked_raw_values(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[bold red]x.csv", "[bold red]x.csv"),
        ("root:x:0:0", "root:x:0:0"),
        ("Zoë, 日本, €5 ☕", "Zoë, 日本, €5 ☕"),
        ("a\x1b[31mred\x1b[0m", "a\\x1b[31mred\\x1b[0m"),
        ("two\nlines\r\tend", "two\\nlines\\r\\tend"),
        ("nul\x00 del\x7f c1\x9b bell\x07", "nul\\x00 del\\x7f c1\\x9b bell\\x07"),
        ("invoice\u202efdp.csv", "invoice\\u202efdp.csv"),
        ("zero\u200bwidth\u2066isolate", "zero\\u200bwidth\\u2066isolate"),
        ("line\u2028separator", "line\\u2028separator"),
        ("bad\udcffbyte", "bad\\udcffbyte"),
        ("tag\U000e0041", "tag\\U000e0041"),
    ],
)
def test_printable_shows_control_and_format_characters_as_escapes(text, expected):
    shown = printable(text)
    assert shown == expected
    assert shown.isprintable()


def test_a_pii_scan_after_the_demo_finds_nothing_in_clear(tmp_path):
    lake = tmp_path / "lake"
    runner = CliRunner()
    outputs = [runner.invoke(app, ["demo", "--lake", str(lake)], catch_exceptions=False).output]
    outputs.append(runner.invoke(app, ["dq", "--lake", str(lake), "--examples", "5"]).output)
    customer = ll.scan(ll.Lake(lake), "gold", "customer_details").collect()["customer_id"][0]
    outputs.append(runner.invoke(app, ["points", customer, "--lake", str(lake)]).output)
    csv = tmp_path / "csv"
    outputs.append(
        runner.invoke(
            app, ["export", "--lake", str(lake), "--format", "csv", "--out", str(csv)]
        ).output
    )

    # The lake does hold personal data (silver customers), so the scan can find it...
    silver = ll.scan(ll.Lake(lake), "silver", "customers").collect()
    assert silver["email"].str.contains(EMAIL.pattern).any()
    # ...but not in gold, the exports or what the commands printed.
    texts = list(outputs)
    for name in GOLD_MODELS:
        frame = ll.scan(ll.Lake(lake), "gold", name).collect()
        texts += [frame.select(pl.col(pl.String)).write_csv()]
        texts += [pl.read_parquet(lake / "export" / f"{name}.parquet").write_csv()]
        texts += [(csv / f"{name}.csv").read_text()]
    found = [m.group() for text in texts for m in (*EMAIL.finditer(text), *PHONE.finditer(text))]
    assert found == []
    # dq shows rejected customers' raw values with their last names masked
    shown_last_names = re.findall(r'"last_name":"([^"]*)"', outputs[1])
    assert shown_last_names
    assert set(shown_last_names) == {"<masked>"}
    assert "last_name" not in ll.scan(ll.Lake(lake), "gold", "customer_details").collect_schema()
    print(f"\nPII scan: {len(texts)} texts, emails or phones in clear: {len(found)}")


@pytest.mark.parametrize("made_by", ["generate", "demo"])
def test_layers_with_personal_data_are_owner_only(tmp_path, made_by):
    lake = ll.Lake(tmp_path / "lake")
    if made_by == "generate":
        ll.generate(lake.landing, ll.GeneratorOptions(lines=500, seed=1, batches=2))
        ll.build(lake=lake)
    else:
        result = CliRunner().invoke(app, ["demo", "--lake", str(lake.root)])
        assert result.exit_code == 0, result.output
    batches = [p for p in lake.landing.iterdir() if p.is_dir()]
    assert batches
    for folder in (lake.landing, *batches, lake.root / "bronze", lake.root / "silver"):
        mode = stat.S_IMODE(folder.stat().st_mode)
        assert mode == 0o700, (folder.name, oct(mode))
    assert stat.S_IMODE((lake.root / "gold").stat().st_mode) & 0o055  # readable for BI


def test_generate_leaves_the_mode_of_an_existing_folder_alone(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir(mode=0o755)
    landing.chmod(0o755)
    dataset = ll.generate(landing, ll.GeneratorOptions(lines=500, seed=1))
    assert stat.S_IMODE(landing.stat().st_mode) == 0o755
    (batch,) = dataset.batches
    assert stat.S_IMODE(batch.path.stat().st_mode) == 0o700


def test_gold_pseudonyms_are_keyed_hmacs_or_masked(tmp_path, monkeypatch):
    import hashlib
    import hmac

    lake = ll.Lake(tmp_path / "lake")
    ll.generate(lake.landing, ll.GeneratorOptions(lines=500, seed=1))
    monkeypatch.delenv("LOYALTY_LAKE_PII_KEY", raising=False)
    ll.build(lake=lake)
    details = ll.scan(lake, "gold", "customer_details").collect()
    assert set(details["email_pseudonym"].drop_nulls()) == {"<masked>"}

    monkeypatch.setenv("LOYALTY_LAKE_PII_KEY", "s3cret")
    ll.build(lake=lake)  # gold is recomputed: same data, new pseudonyms
    details = ll.scan(lake, "gold", "customer_details").collect().sort("customer_id")
    customers = ll.scan(lake, "silver", "customers").collect().sort("customer_id")
    row = customers.filter(pl.col("email").is_not_null()).row(0, named=True)
    expected = hmac.new(
        b"s3cret", row["email"].strip().lower().encode(), hashlib.sha256
    ).hexdigest()
    got = details.filter(pl.col("customer_id") == row["customer_id"])["email_pseudonym"].item()
    assert got == expected
    text = details.write_csv()
    assert not EMAIL.search(text)
    assert "s3cret" not in text
