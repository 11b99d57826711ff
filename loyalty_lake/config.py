"""Configuration: one frozen dataclass tree, loaded in one place.

Precedence, lowest first: the defaults below, a TOML file
(``--config PATH``, else ``$LOYALTY_LAKE_CONFIG``, else ``./loyalty_lake.toml``
when present), environment variables, then explicit overrides (CLI options).

Environment variables are named ``LOYALTY_LAKE_<KEY>`` for top-level keys and
``LOYALTY_LAKE_<SECTION>__<KEY>`` inside a section, for example
``LOYALTY_LAKE_LAKE_ROOT=/data/lake`` or ``LOYALTY_LAKE_LOYALTY__EXPIRY_MONTHS=6``.
See ``docs/configuration.md`` for every key.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from loyalty_lake import memory
from loyalty_lake.codes import (
    CONFIGURABLE,
    Reason,
    Severity,
)
from loyalty_lake.errors import ConfigError

#: Text read as a missing value by default (exact, after trimming); see ``dq.null_tokens``.
NULL_TOKENS = ("NULL", "null", "NA", "N/A", "n/a", "None", "nan", "NaN", "#N/A", "<NA>")

ENV_PREFIX = "LOYALTY_LAKE_"
#: Environment variables with the prefix that are not configuration keys.
RESERVED_ENV = frozenset({"LOYALTY_LAKE_CONFIG", "LOYALTY_LAKE_PII_KEY"})
DEFAULT_CONFIG_FILE = Path("loyalty_lake.toml")


@dataclass(frozen=True, kw_only=True, slots=True)
class EarningRule:
    """A points-earning rule used when no ``loyalty_rules`` file was ever landed."""

    rule_id: str
    rule_name: str
    points_per_unit_spend: Decimal
    min_spend_threshold: Decimal = Decimal(0)
    bonus_points: int = 0
    applicable_category: str = "ALL"


def _default_rules() -> tuple[EarningRule, ...]:
    # The retail specification's example: 1 point per currency unit, and 50
    # bonus points for a purchase of 100 or more.
    return (
        EarningRule(rule_id="DEFAULT", rule_name="Standard", points_per_unit_spend=Decimal(1)),
        EarningRule(
            rule_id="DEFAULT_BONUS",
            rule_name="Big basket bonus",
            points_per_unit_spend=Decimal(1),
            min_spend_threshold=Decimal(100),
            bonus_points=50,
        ),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class TierThresholds:
    """Points earned in the trailing 12 months needed for each tier."""

    silver: int = 1000
    gold: int = 3000
    platinum: int = 5000


@dataclass(frozen=True, kw_only=True, slots=True)
class LoyaltyConfig:
    """Loyalty points settings (contract section 3.1)."""

    expiry_months: int = 12
    tiers: TierThresholds = field(default_factory=TierThresholds)
    default_rules: tuple[EarningRule, ...] = field(default_factory=_default_rules)


@dataclass(frozen=True, kw_only=True, slots=True)
class RfmSegmentRule:
    """An RFM segment: the score ranges (inclusive, 1..5) a customer's scores must fall in."""

    name: str
    r: tuple[int, ...] = (1, 5)
    f: tuple[int, ...] = (1, 5)
    m: tuple[int, ...] = (1, 5)


def _default_rfm_segments() -> tuple[RfmSegmentRule, ...]:
    # The usual R x F grid of RFM marketing, refined by M for the most valuable;
    # the first matching rule wins.
    rule = RfmSegmentRule
    return (
        rule(name="Champions", r=(4, 5), f=(4, 5), m=(4, 5)),
        rule(name="Loyal", r=(3, 5), f=(3, 5), m=(3, 5)),
        rule(name="Potential Loyalist", r=(4, 5), f=(2, 3)),
        rule(name="New", r=(5, 5), f=(1, 1)),
        rule(name="Promising", r=(4, 4), f=(1, 1)),
        rule(name="Need Attention", r=(3, 3), f=(2, 3)),
        rule(name="About to Sleep", r=(3, 3), f=(1, 2)),
        rule(name="Can't Lose Them", r=(1, 2), f=(4, 5), m=(4, 5)),
        rule(name="At Risk", r=(1, 2), f=(3, 5)),
        rule(name="Hibernating", r=(2, 2), f=(1, 2)),
        rule(name="Lost", r=(1, 1), f=(1, 2)),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class SegmentConfig:
    """Segmentation settings (contract sections 3.2 and 3.3)."""

    at_risk_days: int = 30
    high_spender_share: Decimal = Decimal("0.10")
    rfm_segments: tuple[RfmSegmentRule, ...] = field(default_factory=_default_rfm_segments)
    #: The RFM segment of a customer no rule matches.
    rfm_fallback: str = "Need Attention"


@dataclass(frozen=True, kw_only=True, slots=True)
class IdRewrite:
    """Ids as a file writes them, mapped onto the master's keys (``dq.id_rewrites``).

    ``columns`` are ``"table.column"`` names. Either ``pattern`` (a regular
    expression that must match the whole id) with ``replace`` (the id it
    stands for; ``$1`` is the first group), or ``mapping`` (``{"C000421" =
    "421"}``), or ``crosswalk``: a CSV file with the columns ``from`` and ``to``
    (a relative path is read from the configuration file's folder; loading the
    configuration reads it into ``mapping``). An id that does not match stays
    as it is.
    """

    columns: tuple[str, ...]
    pattern: str | None = None
    replace: str = "$1"
    crosswalk: Path | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)


#: What a reference to a master that never landed is: a warning or a reject.
UNVERIFIED_CHOICES = ("warn", "reject")


@dataclass(frozen=True, kw_only=True, slots=True)
class DataQualityConfig:
    """Data quality settings (silver layer)."""

    future_tolerance_days: int = 1
    earliest_date: date = date(2000, 1, 1)
    outlier_threshold: float = 10.0
    severity: Mapping[Reason, Severity] = field(default_factory=dict)
    #: Text read as a missing value in every column (besides the empty text).
    null_tokens: tuple[str, ...] = NULL_TOKENS
    #: More null tokens for one column: ``{"sales_lines.promotion_id" = ["0"]}``.
    null_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The order or format of a date column no value proves:
    #: ``{"sales_header.transaction_date" = "day-first"}`` (or ``"month-first"``, or a
    #: strftime format such as ``"%d.%m.%Y %H:%M"``).
    dates: Mapping[str, str] = field(default_factory=dict)
    #: Tables or columns whose money uses a decimal comma (``1.234,50``).
    decimal_comma: tuple[str, ...] = ()
    #: How far a header's total may differ from the sum of its lines (TOTAL_MISMATCH).
    total_tolerance: Decimal = Decimal("0.01")
    #: A reference to a master table that has never landed (no customers file yet,
    #: say): ``"warn"`` (accepted with an UNVERIFIED_<MASTER> warning) or ``"reject"``.
    unverified_references: str = "warn"
    #: Ids written otherwise than the master's keys: ``[[dq.id_rewrites]]`` tables.
    id_rewrites: tuple[IdRewrite, ...] = ()


class ByteSize(str):
    """A size setting: ``"auto"``, ``"4GiB"``, or a number of bytes (a TOML integer too)."""


AUTO_BUDGET = ByteSize("auto")


@dataclass(frozen=True, kw_only=True, slots=True)
class LandingConfig:
    """Limits of the landing reader: a value beyond them makes its row MALFORMED_ROW."""

    #: The longest value a field may hold, in characters.
    max_field_chars: int = 32_768
    #: How many physical lines one quoted value may span.
    max_record_lines: int = 100
    #: Header names that stand for a contract column, besides the built-in ones:
    #: ``{"sales_lines.qty" = "quantity"}`` (``"file.header name" = "column"``).
    column_aliases: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class PrivacyConfig:
    """Personal data: columns masked wherever values are shown (besides the built-in ones)."""

    #: Extra personal columns, e.g. ``["address", "date_of_birth"]``; ``last_name``,
    #: ``email`` and ``phone`` are always personal.
    personal_columns: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ClvConfig:
    """Customer lifetime value settings (contract section 3.5, docs/analytics.md).

    The models count time in ``time_unit`` ("week" or "day"); CLV is the
    expected spend of the next ``horizon_months``, discounted monthly at
    ``annual_discount_rate``. Fewer than ``min_repeat_customers`` customers
    with a repeat purchase are too few to fit: gold publishes without CLV.
    """

    horizon_months: int = 12
    annual_discount_rate: Decimal = Decimal("0.10")
    time_unit: str = "week"
    min_repeat_customers: int = 100


@dataclass(frozen=True, kw_only=True, slots=True)
class GoldConfig:
    """How gold is built (docs/operations.md, "Incremental builds").

    A full build computes the per-customer stage one shard of customers at a
    time, a shard per ``shard_lines`` silver sales lines: memory follows the
    shard, not the history. None (the default): as many lines as the
    ``memory_budget`` allows. The result does not depend on it.
    """

    shard_lines: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class NotificationConfig:
    """The notification rules' settings (docs/notifications.md).

    ``expiring_within_days``: tell members of points expiring within that
    many days of ``as_of``. ``lookback_days``: redemptions and milestones of
    the last that many days are told (not a first load's whole history).
    ``milestones``: lifetime points earned worth a message.
    """

    expiring_within_days: int = 30
    lookback_days: int = 7
    milestones: tuple[int, ...] = (1_000, 5_000, 10_000, 25_000, 50_000)


@dataclass(frozen=True, kw_only=True, slots=True)
class Config:
    """The whole configuration of a loyalty_lake installation."""

    lake_root: Path = Path("lake")
    timezone: str = "UTC"
    #: How long a command waits for another one writing to the lake (0: don't wait).
    lock_wait_seconds: int = 600
    #: How much memory a build plans for: "auto" (half the machine's) or a size
    #: such as "4GiB" (see :mod:`loyalty_lake.memory`).
    memory_budget: ByteSize = AUTO_BUDGET
    loyalty: LoyaltyConfig = field(default_factory=LoyaltyConfig)
    segments: SegmentConfig = field(default_factory=SegmentConfig)
    dq: DataQualityConfig = field(default_factory=DataQualityConfig)
    landing: LandingConfig = field(default_factory=LandingConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    clv: ClvConfig = field(default_factory=ClvConfig)
    notifications: NotificationConfig = field(default_factory=NotificationConfig)
    gold: GoldConfig = field(default_factory=GoldConfig)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(
                f"Unknown time zone {self.timezone!r} in setting 'timezone'.",
                hint="Use an IANA name such as 'UTC' or 'Europe/London'.",
            ) from exc
        if self.lock_wait_seconds < 0:
            raise ConfigError(
                "Setting 'lock_wait_seconds' must be 0 (don't wait) or more.",
                hint="It is how long a command waits for another one writing to the lake; "
                "the default is 600.",
            )
        for key in ("max_field_chars", "max_record_lines"):
            if not 1 <= getattr(self.landing, key) <= 10_000_000:
                raise ConfigError(
                    f"Setting 'landing.{key}' must be a positive whole number.",
                    hint="The defaults are max_field_chars = 32768 and max_record_lines = 100.",
                )
        if self.loyalty.expiry_months < 0:
            raise ConfigError(
                "Setting 'loyalty.expiry_months' must be 0 (never) or more.",
                hint="Points expire this many months after they were earned.",
            )
        _check_dq(self.dq)
        _check_clv(self.clv)
        _check_memory_budget(self.memory_budget)
        if self.gold.shard_lines is not None and self.gold.shard_lines < 1:
            raise ConfigError(
                "Setting 'gold.shard_lines' must be 1 or more.",
                hint="It is the number of sales lines per customer shard; "
                "leave it out to size shards from 'memory_budget'.",
            )
        if min(self.notifications.expiring_within_days, self.notifications.lookback_days) < 0:
            raise ConfigError(
                "Settings 'notifications.expiring_within_days' and "
                "'notifications.lookback_days' must be 0 or more days.",
                hint="The defaults are 30 and 7.",
            )
        for rule in self.segments.rfm_segments:
            for axis in ("r", "f", "m"):
                low, high = (*getattr(rule, axis), 0)[:2]
                if len(getattr(rule, axis)) != 2 or not 1 <= low <= high <= 5:
                    raise ConfigError(
                        f"RFM segment {rule.name!r}: {axis} must be [low, high] within 1..5.",
                        hint="Write e.g. r = [4, 5] in a [[segments.rfm_segments]] table.",
                    )
        if not Decimal(0) < self.segments.high_spender_share < Decimal(1):
            raise ConfigError(
                "Setting 'segments.high_spender_share' must lie between 0 and 1.",
                hint="The default 0.10 makes the top 10 % by monetary High Spenders.",
            )


def _check_memory_budget(setting: str) -> None:
    """Refuse a ``memory_budget`` that is not "auto" or a size of at least 64 MiB."""
    hint = 'Write "auto" (half the machine\'s memory) or a size such as "4GiB" or "500MB".'
    try:
        budget = memory.budget_bytes(setting)
    except ValueError:
        raise ConfigError(
            f"Setting 'memory_budget' is {setting!r}, not a size.", hint=hint
        ) from None
    if budget < memory.MIN_BUDGET:
        raise ConfigError(
            f"Setting 'memory_budget' is {setting!r}, below the smallest budget (64MiB).",
            hint=hint,
        )


def _check_clv(clv: ClvConfig) -> None:
    """Refuse CLV settings the models cannot use."""
    if clv.time_unit not in ("week", "day"):
        raise ConfigError(
            f"Setting 'clv.time_unit' is {clv.time_unit!r}.", hint="Use 'week' or 'day'."
        )
    if not 1 <= clv.horizon_months <= 120:
        raise ConfigError(
            "Setting 'clv.horizon_months' must be 1 to 120 months.", hint="The default is 12."
        )
    if not Decimal(0) <= clv.annual_discount_rate < Decimal(1):
        raise ConfigError(
            "Setting 'clv.annual_discount_rate' must be 0 or more and below 1.",
            hint="The default 0.10 discounts 10 % a year.",
        )
    if clv.min_repeat_customers < 1:
        raise ConfigError(
            "Setting 'clv.min_repeat_customers' must be 1 or more.", hint="The default is 100."
        )


def _check_dq(dq: DataQualityConfig) -> None:
    """Refuse data quality settings that cannot work."""
    fixed = sorted(set(dq.severity) - CONFIGURABLE)
    if fixed:
        raise ConfigError(
            f"Setting 'dq.severity.{fixed[0]}' cannot be changed: that rule guards the "
            "silver contract and always rejects.",
            hint=f"Configurable: {', '.join(sorted(CONFIGURABLE))}.",
        )

    if dq.unverified_references not in UNVERIFIED_CHOICES:
        raise ConfigError(
            f"Setting 'dq.unverified_references' is {dq.unverified_references!r}.",
            hint="Use 'warn' (the default: accept with a warning) or 'reject'.",
        )
    for i, rewrite in enumerate(dq.id_rewrites):
        if rewrite.pattern is not None and (rewrite.crosswalk or rewrite.mapping):
            raise ConfigError(
                f"Setting 'dq.id_rewrites[{i}]' has both a 'pattern' and a crosswalk.",
                hint="Give either pattern (and replace), or crosswalk (a CSV file), or mapping.",
            )
        if rewrite.pattern is None and not rewrite.mapping:
            raise ConfigError(
                f"Setting 'dq.id_rewrites[{i}]' rewrites nothing.",
                hint='E.g. columns = ["sales_header.store_id"], pattern = "^Store-(S\\d+)$", '
                'or crosswalk = "stores_crosswalk.csv" (columns from,to).',
            )
        if rewrite.pattern is not None:
            try:
                re.compile(rewrite.pattern)
            except re.error as exc:
                raise ConfigError(
                    f"Setting 'dq.id_rewrites[{i}].pattern' is not a regular expression: {exc}.",
                    hint="Write it as in Python's re module, e.g. ^Store-(S\\d+)$.",
                ) from None
        for column in rewrite.columns:
            if "." not in column:
                raise ConfigError(
                    f"Setting 'dq.id_rewrites[{i}].columns' names {column!r}.",
                    hint='Name columns as "table.column", e.g. "sales_header.store_id".',
                )


def load_config(
    path: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Return the configuration from defaults, a TOML file, the environment and overrides.

    ``overrides`` maps dotted keys to values (``{"lake_root": "/data/lake"}``);
    None values are ignored, so CLI options that were not given change nothing.
    """
    env = os.environ if env is None else env
    merged: dict[str, Any] = {}
    source = _config_file(path, env)
    if source is not None:
        _deep_update(merged, _read_toml(source))
    for key, value in _env_settings(env).items():
        _set_dotted(merged, key, value)
    for key, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(merged, key, value)
    where = f"configuration file {source}" if source else "configuration"
    _read_crosswalks(merged, Path(source).parent if source else Path.cwd(), where=where)
    return _build(Config, merged, prefix="", where=where)


def _read_crosswalks(merged: dict[str, Any], folder: Path, *, where: str) -> None:
    """Read each ``dq.id_rewrites`` crosswalk CSV file (``from,to``) into its ``mapping``."""
    rewrites = merged.get("dq", {}).get("id_rewrites", [])
    for i, rewrite in enumerate(rewrites if isinstance(rewrites, list) else []):
        if not isinstance(rewrite, dict) or not rewrite.get("crosswalk"):
            continue
        path = folder / str(rewrite["crosswalk"])
        try:
            pairs = pl.read_csv(path, infer_schema=False, columns=["from", "to"])
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise ConfigError(
                f"Setting 'dq.id_rewrites[{i}].crosswalk' in {where}: cannot read {path} "
                f"({type(exc).__name__}).",
                hint="A crosswalk is a CSV file with the columns from and to, one id per row.",
            ) from None
        pairs = pairs.drop_nulls().with_columns(pl.all().str.strip_chars()).unique()
        twice = pairs.filter(pl.col("from").is_duplicated())["from"]
        if twice.len():
            raise ConfigError(
                f"Setting 'dq.id_rewrites[{i}].crosswalk': {path} maps {twice[0]!r} to two ids.",
                hint="Each id in the from column may appear once.",
            )
        rewrite["mapping"] = dict(zip(pairs["from"], pairs["to"], strict=True))


def _config_file(path: str | Path | None, env: Mapping[str, str]) -> Path | None:
    if path is None and env.get("LOYALTY_LAKE_CONFIG"):
        path = env["LOYALTY_LAKE_CONFIG"]
    if path is None:
        return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None
    source = Path(path)
    if not source.is_file():
        raise ConfigError(
            f"Configuration file {source} does not exist.",
            hint="Pass the path of a TOML file to --config, or leave it out to use the defaults.",
        )
    return source


def _read_toml(source: Path) -> dict[str, Any]:
    try:
        with source.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Configuration file {source} is not valid TOML: {exc}.",
            hint="See docs/configuration.md for an example file.",
        ) from exc


def _env_settings(env: Mapping[str, str]) -> dict[str, str]:
    settings = {}
    for name, value in env.items():
        if name.startswith(ENV_PREFIX) and name not in RESERVED_ENV:
            key = name.removeprefix(ENV_PREFIX).lower().replace("__", ".")
            settings[key] = value
    return settings


def _set_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    *sections, leaf = key.split(".")
    for section in sections:
        target = target.setdefault(section, {})
    target[leaf] = value


def _deep_update(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value


def _build(cls: type[Any], values: Mapping[str, Any], *, prefix: str, where: str) -> Any:
    """Build dataclass ``cls`` from ``values``, converting and checking every key."""
    if not isinstance(values, dict):
        raise ConfigError(
            f"Setting '{prefix.rstrip('.')}' in {where} must be a table of settings.",
            hint="See docs/configuration.md for the layout.",
        )
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(
            f"Unknown setting '{prefix}{unknown[0]}' in {where}.",
            hint=f"Known settings here: {', '.join(sorted(prefix + k for k in known))}.",
        )
    kwargs = {
        name: _convert(hints[name], value, key=prefix + name, where=where)
        for name, value in values.items()
    }
    return cls(**kwargs)


def _convert(tp: Any, value: Any, *, key: str, where: str) -> Any:
    """Convert a TOML or environment value to the annotated type ``tp``."""
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _build(tp, value, prefix=key + ".", where=where)
    if origin is tuple:
        (item_type, _ellipsis) = typing.get_args(tp)
        if isinstance(value, str):  # from the environment: a comma-separated list
            value = [item.strip() for item in value.split(",") if item.strip()]
        if not isinstance(value, list):
            raise _bad_value(key, value, "a list", where)
        return tuple(
            _convert(item_type, item, key=f"{key}[{i}]", where=where)
            for i, item in enumerate(value)
        )
    if origin in (dict, Mapping):
        key_type, value_type = typing.get_args(tp)
        if not isinstance(value, dict):
            raise _bad_value(key, value, "a table", where)
        return {
            _convert(key_type, k, key=f"{key}.{k}", where=where): _convert(
                value_type, v, key=f"{key}.{k}", where=where
            )
            for k, v in value.items()
        }
    if origin in (typing.Union, types.UnionType):
        (tp,) = (arg for arg in typing.get_args(tp) if arg is not type(None))
    try:
        return _convert_scalar(tp, value)
    except (ValueError, InvalidOperation, TypeError) as exc:
        expected = "a size" if tp is ByteSize else getattr(tp, "__name__", str(tp))
        raise _bad_value(key, value, expected, where) from exc


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in {"true", "false", "1", "0", "yes", "no"}:
        raise ValueError(value)
    return text in {"true", "1", "yes"}


def _integer(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(value)
    return int(value)


def _member(tp: type[Enum], value: Any) -> Enum:
    members = {m.value.lower(): m for m in tp}
    text = str(value).strip().lower()
    if text not in members:
        raise ValueError(value)
    return members[text]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _size(value: Any) -> ByteSize:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(value)
    return ByteSize(str(value).strip())


#: How a TOML or environment value becomes each scalar type of the configuration.
_SCALARS: dict[Any, Any] = {
    bool: _boolean,
    int: _integer,
    # str() first so that a TOML float such as 0.1 stays exactly 0.1.
    Decimal: lambda value: Decimal(str(value).strip()),
    date: lambda value: (
        value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    ),
    Path: lambda value: Path(str(value)),
    str: _text,
    ByteSize: _size,
}


def _convert_scalar(tp: Any, value: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _member(tp, value)
    if tp not in _SCALARS:
        raise TypeError(tp)
    return _SCALARS[tp](value)


def _bad_value(key: str, value: Any, expected: str, where: str) -> ConfigError:
    return ConfigError(
        f"Setting '{key}' in {where} has the value {value!r}, which is not {expected}.",
        hint="Fix the value in the file, the environment variable or the option.",
    )
