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


def test_an_id_crosswalk_is_read_from_the_configuration_files_folder(tmp_path):
    (tmp_path / "ids.csv").write_text("from,to\nC000421, 421\nC000007,7\n")
    (tmp_path / "c.toml").write_text(
        '[[dq.id_rewrites]]\ncolumns = ["sales_header.customer_id"]\ncrosswalk = "ids.csv"\n'
    )
    (rewrite,) = load_config(tmp_path / "c.toml", env={}).dq.id_rewrites
    assert rewrite.mapping == {"C000421": "421", "C000007": "7"}


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('columns = ["sales_header.store_id"]', "rewrites nothing"),
        ('columns = ["store_id"]\npattern = "x"', '"table.column"'),
        ('columns = ["sales_header.store_id"]\npattern = "("', "not a regular expression"),
        ('columns = ["sales_header.store_id"]\ncrosswalk = "missing.csv"', "cannot read"),
    ],
)
def test_a_bad_id_rewrite_is_refused_with_a_hint(tmp_path, toml, message):
    (tmp_path / "c.toml").write_text(f"[[dq.id_rewrites]]\n{toml}\n")
    with pytest.raises(ConfigError, match=message) as err:
        load_config(tmp_path / "c.toml", env={})
    assert err.value.hint


def test_a_crosswalk_mapping_one_id_twice_is_refused(tmp_path):
    (tmp_path / "ids.csv").write_text("from,to\nC1,1\nC1,2\n")
    (tmp_path / "c.toml").write_text(
        '[[dq.id_rewrites]]\ncolumns = ["sales_header.customer_id"]\ncrosswalk = "ids.csv"\n'
    )
    with pytest.raises(ConfigError, match="maps 'C1' to two ids"):
        load_config(tmp_path / "c.toml", env={})


def test_unverified_references_must_be_warn_or_reject():
    with pytest.raises(ConfigError, match=r"dq\.unverified_references"):
        load_config(env={}, overrides={"dq.unverified_references": "ignore"})
