from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from loyalty_lake.config import Config, load_config
from loyalty_lake.errors import ConfigError


def test_defaults():
    config = load_config(env={})
    assert config == Config()
    assert config.loyalty.expiry_months == 12
    assert config.segments.high_spender_share == Decimal("0.10")
    assert [r.bonus_points for r in config.loyalty.default_rules] == [0, 50]


def test_file_then_environment_then_overrides(tmp_path: Path):
    path = tmp_path / "ll.toml"
    path.write_text(
        'lake_root = "/data/lake"\n'
        "[loyalty]\nexpiry_months = 6\n"
        "[loyalty.tiers]\nsilver = 500\n"
        "[[loyalty.default_rules]]\n"
        'rule_id = "R1"\nrule_name = "Only"\npoints_per_unit_spend = 0.1\n'
        "[segments]\nat_risk_days = 45\n"
    )
    env = {"LOYALTY_LAKE_SEGMENTS__AT_RISK_DAYS": "60", "LOYALTY_LAKE_PII_KEY": "secret"}
    config = load_config(path, env=env, overrides={"lake_root": "/override", "timezone": None})

    assert config.lake_root == Path("/override")
    assert config.loyalty.expiry_months == 6
    assert config.loyalty.tiers.silver == 500
    assert config.loyalty.tiers.gold == 3000
    assert config.loyalty.default_rules[0].points_per_unit_spend == Decimal("0.1")  # exact
    assert config.segments.at_risk_days == 60


def test_config_file_from_environment(tmp_path: Path):
    path = tmp_path / "ll.toml"
    path.write_text('timezone = "Europe/London"\n')
    assert load_config(env={"LOYALTY_LAKE_CONFIG": str(path)}).timezone == "Europe/London"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LOYALTY_LAKE_LOYALTY__EXPIRY_MONTH": "6"}, "Unknown setting 'loyalty.expiry_month'"),
        ({"LOYALTY_LAKE_LOYALTY__EXPIRY_MONTHS": "six"}, "'loyalty.expiry_months'"),
        ({"LOYALTY_LAKE_LOYALTY__EXPIRY_MONTHS": "-1"}, "expiry_months"),
        ({"LOYALTY_LAKE_TIMEZONE": "Mars/Olympus"}, "time zone"),
        ({"LOYALTY_LAKE_SEGMENTS__HIGH_SPENDER_SHARE": "1.5"}, "high_spender_share"),
        ({"LOYALTY_LAKE_SEGMENTS": "x"}, "must be a table"),
    ],
)
def test_bad_settings_are_named(env, message):
    with pytest.raises(ConfigError, match=message) as err:
        load_config(env=env)
    assert err.value.hint


def test_bad_files(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("lake_root = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, env={})
