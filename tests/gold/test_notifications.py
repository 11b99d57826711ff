"""The notification outbox: rules over literal gold frames, stable ids, the outbox merge."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty_lake.config import NotificationConfig
from loyalty_lake.gold.notifications import OUTBOX_SCHEMA, notification_events, outbox
from loyalty_lake.gold.points.balances import next_expiry

AS_OF = date(2024, 6, 30)
TIERS = ("Bronze", "Silver", "Gold", "Platinum")
RULES = NotificationConfig(expiring_within_days=30, lookback_days=7, milestones=(1_000,))
NOW = datetime(2024, 7, 1, tzinfo=UTC)


def details(*rows: dict) -> pl.LazyFrame:
    base = {
        "loyalty_status": "Bronze",
        "email_pseudonym": "e-hash",
        "phone_pseudonym": None,
        "is_at_risk": False,
        "total_loyalty_points": 0,
        "last_purchase_date": AS_OF,
        "recency_days": 0,
    }
    return pl.LazyFrame(
        [base | row for row in rows],
        schema={
            "customer_id": pl.String,
            "loyalty_status": pl.String,
            "email_pseudonym": pl.String,
            "phone_pseudonym": pl.String,
            "is_at_risk": pl.Boolean,
            "total_loyalty_points": pl.Int64,
            "last_purchase_date": pl.Date,
            "recency_days": pl.Int64,
        },
    )


def ledger(*rows: tuple[str, int, date, str, int, date | None]) -> pl.LazyFrame:
    """(customer, sequence, date, event type, points, expires on)."""
    return pl.LazyFrame(
        rows,
        schema={
            "customer_id": pl.String,
            "sequence": pl.Int64,
            "event_date": pl.Date,
            "event_type": pl.String,
            "points": pl.Int64,
            "expires_on": pl.Date,
        },
        orient="row",
    )


def verdicts(*rows: tuple[str, str, date, int, str]) -> pl.LazyFrame:
    """(redemption, customer, date, points, status)."""
    return pl.LazyFrame(
        [
            (r, c, d, p, s, "INSUFFICIENT_POINTS" if s == "REFUSED" else None)
            for r, c, d, p, s in rows
        ],
        schema={
            "redemption_id": pl.String,
            "customer_id": pl.String,
            "redemption_date": pl.Date,
            "points_redeemed": pl.Int64,
            "status": pl.String,
            "reason": pl.String,
        },
        orient="row",
    )


def crm(*rows: tuple[str, str]) -> pl.LazyFrame:
    return pl.LazyFrame(
        rows, schema={"customer_id": pl.String, "loyalty_status": pl.String}, orient="row"
    )


def events(people, points=None, redemptions=None, customers=None) -> pl.DataFrame:
    return notification_events(
        people,
        points if points is not None else ledger(),
        redemptions if redemptions is not None else verdicts(),
        customers if customers is not None else crm(),
        expiring=next_expiry(points if points is not None else ledger(), as_of=AS_OF),
        as_of=AS_OF,
        rules=RULES,
        tier_names=TIERS,
    ).collect()


def kinds(frame: pl.DataFrame) -> list[tuple[str, str, dict]]:
    return sorted(
        (c, k, json.loads(p))
        for c, k, p in frame.select("customer_id", "kind", "parameters").rows()
    )


def test_each_rule_makes_its_message():
    people = details(
        {"customer_id": "C1", "loyalty_status": "Gold"},
        {"customer_id": "C2", "loyalty_status": "Bronze"},
        {"customer_id": "C3", "is_at_risk": True, "total_loyalty_points": 40, "recency_days": 45},
        {"customer_id": "C4", "is_at_risk": True, "total_loyalty_points": 0},  # nothing to win
    )
    soon, later = AS_OF + timedelta(days=10), AS_OF + timedelta(days=90)
    points = ledger(
        ("C2", 1, AS_OF - timedelta(days=300), "EARN", 300, soon),
        ("C2", 2, AS_OF - timedelta(days=2), "EARN", 800, later),  # crosses 1,000 lifetime
        ("C3", 1, AS_OF - timedelta(days=100), "EARN", 40, later),
    )
    redemptions = verdicts(
        ("R1", "C1", AS_OF - timedelta(days=1), 100, "CONFIRMED"),
        ("R2", "C2", AS_OF, 5_000, "REFUSED"),
        ("R0", "C1", AS_OF - timedelta(days=30), 10, "CONFIRMED"),  # before the lookback
    )
    customers = crm(("C1", "Silver"), ("C2", "Silver"), ("C3", "bronze"))
    got = events(people, points, redemptions, customers)
    assert kinds(got) == [
        (
            "C1",
            "REDEMPTION_CONFIRMED",
            {"redemption_id": "R1", "points": 100, "redemption_date": "2024-06-29"},
        ),
        ("C1", "TIER_UPGRADE", {"from_tier": "Silver", "to_tier": "Gold"}),
        ("C2", "POINTS_EXPIRING", {"points": 300, "expiry_date": "2024-07-10"}),
        ("C2", "POINTS_MILESTONE", {"milestone": 1000}),
        (
            "C2",
            "REDEMPTION_REFUSED",
            {
                "redemption_id": "R2",
                "points": 5000,
                "redemption_date": "2024-06-30",
                "reason": "INSUFFICIENT_POINTS",
            },
        ),
        ("C2", "TIER_DOWNGRADE", {"from_tier": "Silver", "to_tier": "Bronze"}),
        ("C3", "WIN_BACK", {"points": 40, "days_since_purchase": 45}),
    ]
    assert set(got["template"]) == {k.lower() for _, k, _ in kinds(got)}
    assert got["notification_id"].n_unique() == got.height


def test_the_channel_follows_the_contact_a_member_has():
    people = details(
        {"customer_id": "E", "is_at_risk": True, "total_loyalty_points": 1},
        {
            "customer_id": "S",
            "email_pseudonym": None,
            "phone_pseudonym": "p-hash",
            "is_at_risk": True,
            "total_loyalty_points": 1,
        },
        {
            "customer_id": "N",
            "email_pseudonym": None,
            "is_at_risk": True,
            "total_loyalty_points": 1,
        },
    )
    got = events(people).sort("customer_id")
    assert got.select("customer_id", "channel", "contact_pseudonym").rows() == [
        ("E", "email", "e-hash"),
        ("S", "sms", "p-hash"),
    ]


def test_ids_are_stable_and_name_the_event():
    people = details({"customer_id": "C1", "is_at_risk": True, "total_loyalty_points": 5})
    first, again = events(people), events(people)
    assert first["notification_id"].to_list() == again["notification_id"].to_list()
    lapsed_again = details(
        {
            "customer_id": "C1",
            "is_at_risk": True,
            "total_loyalty_points": 9,
            "last_purchase_date": AS_OF - timedelta(days=1),
        }
    )
    assert events(lapsed_again)["notification_id"][0] != first["notification_id"][0]


def outbox_rows(*rows: tuple[str, str]) -> pl.LazyFrame:
    """(notification id, status) rows of an earlier outbox."""
    return pl.LazyFrame(
        [
            {
                "notification_id": n,
                "customer_id": "C",
                "kind": "WIN_BACK",
                "event_date": AS_OF,
                "channel": "email",
                "contact_pseudonym": "e",
                "template": "win_back",
                "parameters": "{}",
                "status": s,
                "created_at": NOW - timedelta(days=1),
                "attempts": 1,
                "last_error": None,
                "sent_at": None,
            }
            for n, s in rows
        ],
        schema=OUTBOX_SCHEMA,
    )


def test_the_outbox_adds_new_messages_and_never_touches_delivered_ones():
    previous = outbox_rows(
        ("sent", "SENT"), ("failed", "FAILED"), ("waiting", "PENDING"), ("gone", "PENDING")
    )
    due = outbox_rows(("sent", "PENDING"), ("waiting", "PENDING"), ("new", "PENDING"))
    due = due.drop("status", "created_at", "attempts", "last_error", "sent_at")
    got = outbox(previous, due, now=NOW).collect()
    assert dict(got.select("notification_id", "status").rows()) == {
        "failed": "FAILED",
        "gone": "CANCELLED",
        "new": "PENDING",
        "sent": "SENT",
        "waiting": "PENDING",
    }
    new = got.filter(pl.col("notification_id") == "new").row(0, named=True)
    assert new["created_at"] == NOW
    assert new["attempts"] == 0
    waiting = got.filter(pl.col("notification_id") == "waiting").row(0, named=True)
    assert waiting["attempts"] == 1  # its delivery attempts so far are kept
    assert got.schema == OUTBOX_SCHEMA


@settings(max_examples=40, deadline=None)
@given(
    before=st.dictionaries(
        st.sampled_from("abcdefgh"), st.sampled_from(["PENDING", "SENT", "FAILED", "CANCELLED"])
    ),
    due=st.sets(st.sampled_from("abcdefgh")),
)
def test_merging_the_same_events_twice_changes_nothing(before, due):
    previous = outbox_rows(*before.items())
    events_ = outbox_rows(*((n, "PENDING") for n in sorted(due))).drop(
        "status", "created_at", "attempts", "last_error", "sent_at"
    )
    once = outbox(previous, events_, now=NOW).collect()
    twice = outbox(once.lazy(), events_, now=NOW + timedelta(days=1)).collect()
    assert once.equals(twice)
    assert set(once["notification_id"]) == set(before) | due
    for n, status in before.items():
        if status in {"SENT", "FAILED"}:
            assert once.filter(pl.col("notification_id") == n)["status"].item() == status


@pytest.mark.parametrize("milestones", [(), (100, 200)])
def test_milestones_are_told_once_each(milestones):
    people = details({"customer_id": "C1"})
    points = ledger(
        ("C1", 1, AS_OF - timedelta(days=1), "EARN", 150, None),
        ("C1", 2, AS_OF, "BONUS", 100, None),
    )
    rules = NotificationConfig(milestones=milestones)
    got = notification_events(
        people,
        points,
        verdicts(),
        crm(),
        expiring=next_expiry(points, as_of=AS_OF),
        as_of=AS_OF,
        rules=rules,
        tier_names=TIERS,
    ).collect()
    told = sorted(json.loads(p)["milestone"] for p in got["parameters"])
    assert told == list(milestones)
