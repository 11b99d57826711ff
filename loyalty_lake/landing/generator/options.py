"""What to generate: the generator's options and anomaly rates, and their validation."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Final

from loyalty_lake.errors import ConfigError
from loyalty_lake.landing.generator.reference import CATEGORIES
from loyalty_lake.landing.generator.styles import ExportStyle, resolve_styles

#: Largest share of rows any single anomaly kind may corrupt.
MAX_RATE: Final = 0.2


@dataclass(frozen=True, kw_only=True, slots=True)
class AnomalyRates:
    """Share of eligible rows corrupted, one knob per kind (0 = none).

    A rate is applied to the row count of every file the kind can corrupt
    (``round(rate * rows)`` rows per file), the rows being drawn without
    replacement from the rows where the kind makes sense. Each rate must lie
    in ``[0, 0.2]``.
    """

    missing_required: float = 0.002
    duplicate_row: float = 0.002
    duplicate_key: float = 0.001
    unknown_product: float = 0.001
    unknown_store: float = 0.001
    unknown_customer: float = 0.001
    unknown_promotion: float = 0.001
    nonpositive_value: float = 0.001
    unparseable_number: float = 0.001
    unparseable_date: float = 0.001
    future_date: float = 0.001
    total_mismatch: float = 0.001
    outlier: float = 0.001
    redemption_over_balance: float = 0.01

    @classmethod
    def none(cls) -> AnomalyRates:
        """All rates zero: a clean batch."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def items(self) -> tuple[tuple[str, float], ...]:
        """Returns ``(kind, rate)`` pairs in declaration order."""
        return tuple((f.name, getattr(self, f.name)) for f in fields(self))


@dataclass(frozen=True, kw_only=True, slots=True)
class GeneratorOptions:
    """What to generate. The seed alone determines the output for given options.

    ``lines`` is the target number of clean sales line rows (sales and
    returns, within a few percent); ``customers`` defaults to ``lines / 30``
    (at least 50). With ``batches`` > 1 the first batch is an initial load up
    to ``end_date - (batches - 1)`` days and every following day is a batch.
    ``styles`` names :class:`ExportStyle` values (``"currency"``, ``"messy"``...):
    how the files are written, never what they mean.
    """

    seed: int = 42
    lines: int = 20_000
    days: int = 120
    end_date: date = date(2026, 10, 31)
    stores: int = 8
    products: int = 300
    customers: int | None = None
    batches: int = 1
    guest_share: float = 0.10
    return_share: float = 0.025
    anomalies: AnomalyRates = field(default_factory=AnomalyRates)
    styles: tuple[ExportStyle | str, ...] = ()


# --- validation ---------------------------------------------------------------------

_MAX_LINES: Final = 200_000_000
_MAX_DAYS: Final = 3650
_MAX_STORES: Final = 899  # S900..S999 are reserved for unknown-store anomalies
_MAX_PRODUCTS: Final = 99_999
_MAX_CUSTOMERS: Final = 9_999_999
_MAX_RETURN_SHARE: Final = 0.2
_MAX_GUEST_SHARE: Final = 0.9
_EARLIEST_END: Final = date(1950, 1, 1)
_LATEST_END: Final = date(9000, 12, 31)


def _bad_option(name: str, value: object, allowed: str) -> ConfigError:
    """Returns the error for option ``name`` having an invalid ``value``."""
    return ConfigError(
        f"Invalid generator option {name}={value!r}: it must be {allowed}.",
        hint=f"Pass GeneratorOptions({name}=...) with {allowed}.",
    )


def _check_int(name: str, value: object, low: int, high: int) -> None:
    """Raises ConfigError unless ``value`` is an int in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad_option(name, value, f"an integer from {low:,} to {high:,}")


def _check_share(name: str, value: object, high: float) -> None:
    """Raises ConfigError unless ``value`` is a number in ``0..high``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= high:
        raise _bad_option(name, value, f"a number from 0 to {high}")


def validate(options: GeneratorOptions) -> None:
    """Raises ConfigError naming the first invalid option."""
    if not isinstance(options, GeneratorOptions):
        raise ConfigError(
            f"Expected GeneratorOptions, got {type(options).__name__}.",
            hint="Build the options with loyalty_lake.landing.GeneratorOptions(...).",
        )
    _check_int("seed", options.seed, 0, 2**63 - 1)
    _check_int("lines", options.lines, 1, _MAX_LINES)
    _check_int("days", options.days, 1, _MAX_DAYS)
    end = options.end_date
    if (
        not isinstance(end, date)
        or isinstance(end, datetime)
        or not (_EARLIEST_END <= end <= _LATEST_END)
    ):
        raise _bad_option("end_date", end, f"a date from {_EARLIEST_END} to {_LATEST_END}")
    _check_int("stores", options.stores, 1, _MAX_STORES)
    _check_int("products", options.products, len(CATEGORIES), _MAX_PRODUCTS)
    if options.customers is not None:
        _check_int("customers", options.customers, 1, _MAX_CUSTOMERS)
    _check_int("batches", options.batches, 1, options.days)
    _check_share("guest_share", options.guest_share, _MAX_GUEST_SHARE)
    _check_share("return_share", options.return_share, _MAX_RETURN_SHARE)
    if not isinstance(options.anomalies, AnomalyRates):
        raise _bad_option("anomalies", options.anomalies, "an AnomalyRates instance")
    for kind, rate in options.anomalies.items():
        _check_share(f"anomalies.{kind}", rate, MAX_RATE)
    resolve_styles(options.styles)
