"""Personal data never leaves the lake's private layers in clear."""

from __future__ import annotations

import re
import stat

import polars as pl
import pytest
from typer.testing import CliRunner

import loyalty_lake as ll
from loyalty_lake.cli import app
from loyalty_lake.gold.models import GOLD_MODELS
from loyalty_lake.privacy import masked

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
    ],
)
def test_masked(text, expected):
    assert masked(text) == expected


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
    assert "last_name" not in ll.scan(ll.Lake(lake), "gold", "customer_details").collect_schema()
    print(f"\nPII scan: {len(texts)} texts, emails or phones in clear: {len(found)}")


def test_layers_with_personal_data_are_owner_only(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    ll.generate(lake.landing, ll.GeneratorOptions(lines=500, seed=1))
    ll.build(lake=lake)
    for layer in ("bronze", "silver"):
        mode = stat.S_IMODE((lake.root / layer).stat().st_mode)
        assert mode == 0o700, (layer, oct(mode))
    assert stat.S_IMODE((lake.root / "gold").stat().st_mode) & 0o055  # readable for BI


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
