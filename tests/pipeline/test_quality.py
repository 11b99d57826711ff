"""The data quality report: counts by reason, and example rows that are safe to show."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from loyalty_lake.config import load_config
from loyalty_lake.errors import LakePathError, LoyaltyLakeError
from loyalty_lake.io import delta
from loyalty_lake.io.lake import Lake
from loyalty_lake.pipeline import build_silver, dq_report, ingest
from tests.conftest import HEADER, LINES, write_batch

NOW = datetime(2026, 11, 27, tzinfo=UTC)
CUSTOMERS = (
    "customer_id,first_name,last_name,email,phone,enrollment_date,loyalty_status,Mobile\n"
    "C1,Ada,Lovelace,ada@example.com,+44 7700 900123,2026-01-05,Gold,\n"
    "C2,Grace,Hopper,grace@example.com,+44 7700 900456,grace.hopper@example.com,Gold,"
    "07700 900789\n"
    "C3,Alan,Turing,alan@example.com,(555) 123-4567,13-13-2025 11:30:46,Silver,\n"
)


@pytest.fixture
def lake_with_rejects(lake, tmp_path):
    batch = write_batch(
        tmp_path / "landing" / "2026-10-31",
        {
            "customers.csv": CUSTOMERS,
            "sales_header.csv": HEADER + "T1,C1,S1,2026-10-30T10:00:00,12.50,SALE\n",
            "sales_lines.csv": LINES + "1,T1,P1,,1,12.50\n",
        },
    )
    ingest(batch, lake=lake)
    build_silver(lake=lake, config=load_config(env={}), run_id="r1", now=NOW)
    return lake


def test_examples_show_masked_messages_and_raw_values(lake_with_rejects):
    rejects = delta.scan_table(lake_with_rejects.table("silver", "rejects")).collect()
    customers = rejects.filter(table="customers").sort("row_number")
    assert customers["row_number"].to_list() == [2, 3]  # the stored rejects keep the raw text
    assert "grace.hopper@example.com" in customers["message"][0]
    assert "Hopper" in customers["raw_values"][0]

    report = dq_report(lake=lake_with_rejects, examples=5)
    examples = report.examples.filter(table="customers").sort("row_number")
    assert examples["row_number"].to_list() == [2, 3]
    grace, alan = examples.rows(named=True)
    assert grace["message"] == customers["message"][0].replace(
        "grace.hopper@example.com", "<email>"
    )
    assert "'13-13-2025 11:30:46'" in alan["message"]  # a date-time is not a phone
    values = json.loads(grace["raw_values"])
    assert values["customer_id"] == "C2"
    assert values["first_name"] == "Grace"
    assert values["enrollment_date"] == "<email>"
    for column in ("last_name", "email", "phone"):
        assert values[column] == "<masked>", column
    assert json.loads(values["_extra"]) == {"Mobile": "<phone>"}
    assert json.loads(alan["raw_values"])["enrollment_date"] == "13-13-2025 11:30:46"
    text = report.examples.drop("reason_codes").write_csv()
    for clear in ("Hopper", "Turing", "@example.com", "7700", "123-4567"):
        assert clear not in text, clear
    assert report.examples.schema["message"] == report.examples.schema["raw_values"] == pl.String


def test_configured_personal_columns_are_masked_too(lake_with_rejects):
    config = load_config(env={"LOYALTY_LAKE_PRIVACY__PERSONAL_COLUMNS": "Mobile"})
    assert config.privacy.personal_columns == ("Mobile",)
    report = dq_report(lake=lake_with_rejects, examples=5, config=load_config(env={}))
    (grace,) = report.examples.filter(row_number=2, table="customers").rows(named=True)
    assert values(grace)["_extra"] == {"Mobile": "<phone>"}
    report = dq_report(lake=lake_with_rejects, examples=5, config=config)
    (grace,) = report.examples.filter(row_number=2, table="customers").rows(named=True)
    assert values(grace)["_extra"] == {"Mobile": "<masked>"}
    assert values(grace)["first_name"] == "Grace"


def values(example: dict[str, str]) -> dict[str, object]:
    decoded = json.loads(example["raw_values"])
    return decoded | {"_extra": json.loads(decoded["_extra"])}


def test_no_examples_when_none_are_asked_for(lake_with_rejects):
    report = dq_report(lake=lake_with_rejects, examples=0)
    assert report.examples.is_empty()
    assert not report.summary.is_empty()


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"examples": -1}, "must be 0 or more, not -1"),
        ({"batch_id": "2026-13-01"}, "Batch '2026-13-01' never landed"),
    ],
)
def test_a_report_that_could_only_be_wrongly_empty_is_refused(lake_with_rejects, request_, message):
    with pytest.raises(LoyaltyLakeError, match=message) as err:
        dq_report(lake=lake_with_rejects, **request_)
    assert err.value.hint


def test_a_folder_with_no_lake_is_refused(tmp_path):
    with pytest.raises(LakePathError, match="No lake at") as err:
        dq_report(lake=Lake(tmp_path / "nothing"))
    assert "--lake" in err.value.hint
