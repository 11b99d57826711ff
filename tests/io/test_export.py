"""The BI export (``io/export.py``): formula neutralising, atomic files, and the lake's export."""

from __future__ import annotations

import fcntl
import io
import os
import stat
import subprocess
import sys
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import loyalty_lake as ll
from loyalty_lake.gold.models import GOLD_MODELS
from loyalty_lake.io import delta
from loyalty_lake.io.export import export_tables, neutralised, write_atomically
from loyalty_lake.pipeline import export_gold
from tests.conftest import HEADER, LINES, write_batch

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def sample() -> pl.DataFrame:
    """A small frame of every type the gold tables publish."""
    return pl.DataFrame(
        {
            "id": ["A", "B", "C"],
            "day": [date(2024, 1, 1), date(2024, 2, 29), None],
            "amount": [Decimal("-1.50"), Decimal("0.00"), Decimal("123456.78")],
            "points": [-30, 0, 7],
            "share": [33.33, None, -0.5],
            "flag": [True, False, None],
            "note": ["plain", None, "a=b"],
            "score": [1, 5, None],
        },
        schema={
            "id": pl.String,
            "day": pl.Date,
            "amount": pl.Decimal(18, 2),
            "points": pl.Int64,
            "share": pl.Float64,
            "flag": pl.Boolean,
            "note": pl.String,
            "score": pl.Int8,
        },
    )


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# --------------------------------------------------------------------------------------
# neutralised
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+44 7700 900294", "'+44 7700 900294"),
        ("-2", "'-2"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\rx", "'\rx"),
        ("Ada", "Ada"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("'=1", "'=1"),
        ("", ""),
        ("\nx", "\nx"),
        ("C0000001", "C0000001"),
        (None, None),
    ],
)
def test_neutralised_prefixes_formula_starts_only(value, expected):
    frame = pl.DataFrame({"text": [value]}, schema={"text": pl.String})
    assert neutralised(frame)["text"].item() == expected


def test_neutralised_leaves_numbers_dates_and_booleans_alone_and_the_input_unchanged():
    frame = sample().with_columns(pl.Series("id", ["=A", "-B", "C"]))
    before = frame.clone()
    got = neutralised(frame)
    assert_frame_equal(frame, before)
    assert got.schema == frame.schema
    assert_frame_equal(got.drop("id"), frame.drop("id"))
    assert got["id"].to_list() == ["'=A", "'-B", "C"]


def test_neutralised_covers_every_text_column():
    frame = pl.DataFrame({"a": ["=1", "x"], "b": ["y", "@2"], "n": [-1, 2]})
    got = neutralised(frame)
    assert got.rows() == [("'=1", "y", -1), ("x", "'@2", 2)]


# --------------------------------------------------------------------------------------
# write_atomically
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_write_atomically_leaves_only_the_target(tmp_path, file_format):
    target = tmp_path / "out" / f"table.{file_format}"  # the folder does not exist yet
    assert write_atomically(sample(), target, file_format=file_format) == target
    assert files_in(target.parent) == [target.name]
    # replacing it leaves no temporary file either
    write_atomically(sample().head(1), target, file_format=file_format)
    assert files_in(target.parent) == [target.name]
    if file_format == "parquet":
        assert_frame_equal(pl.read_parquet(target), sample().head(1))
    else:
        assert_frame_equal(pl.read_csv(target, schema=sample().schema), sample().head(1))


@pytest.mark.parametrize(
    ("file_format", "method"), [("parquet", "write_parquet"), ("csv", "write_csv")]
)
@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch, file_format, method, error):
    target = tmp_path / f"table.{file_format}"
    write_atomically(sample(), target, file_format=file_format)
    before = target.read_bytes()

    def half_written(self, file, *args, **kwargs):
        with open(file, "wb") as handle:
            handle.write(b"PAR1 half a file")
        raise error

    monkeypatch.setattr(pl.DataFrame, method, half_written)
    with pytest.raises(type(error)):
        write_atomically(sample().head(1), target, file_format=file_format)
    assert target.read_bytes() == before
    assert files_in(tmp_path) == [target.name]


def test_a_failed_first_write_creates_nothing(tmp_path, monkeypatch):
    def failing(self, file, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(sample(), tmp_path / "table.parquet", file_format="parquet")
    assert files_in(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_exported_files_get_the_permissions_of_any_new_file(tmp_path, file_format):
    reference = tmp_path / "reference"
    reference.touch()  # 0o666 minus the umask, like any file a program creates
    expected = stat.S_IMODE(reference.stat().st_mode)
    target = tmp_path / f"table.{file_format}"
    write_atomically(sample(), target, file_format=file_format)
    assert oct(stat.S_IMODE(target.stat().st_mode)) == oct(expected)


def test_csv_is_neutralised_but_parquet_keeps_the_values(tmp_path):
    frame = pl.DataFrame({"name": ["=cmd()", "Bo"], "points": [-5, 5]})
    write_atomically(frame, tmp_path / "t.csv", file_format="csv")
    write_atomically(frame, tmp_path / "t.parquet", file_format="parquet")
    assert pl.read_csv(tmp_path / "t.csv")["name"].to_list() == ["'=cmd()", "Bo"]
    assert pl.read_csv(tmp_path / "t.csv")["points"].to_list() == [-5, 5]
    assert_frame_equal(pl.read_parquet(tmp_path / "t.parquet"), frame)


# --------------------------------------------------------------------------------------
# export_tables
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_export_tables_writes_one_file_per_table_that_reads_back_equal(tmp_path, file_format):
    tables = {
        "first": sample(),
        "second": pl.DataFrame({"x": [1, 2, 3]}),
        "empty": sample().clear(),
    }
    folder = tmp_path / "export"
    paths = export_tables(tables, folder=folder, file_format=file_format)
    assert paths == [folder / f"{name}.{file_format}" for name in tables]
    assert files_in(folder) == sorted(f"{name}.{file_format}" for name in tables)
    for name, frame in tables.items():
        path = folder / f"{name}.{file_format}"
        if file_format == "parquet":
            back = pl.read_parquet(path)
        else:
            back = pl.read_csv(path, schema=frame.schema)
        assert_frame_equal(back, frame)


def test_export_tables_removes_the_stale_temporary_files_of_its_names(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    outside = tmp_path / "outside.parquet"
    outside.write_bytes(b"not the export's")
    stale = [".first.parquet.k3j_x9a1", ".second.parquet.00000000"]
    kept = [
        ".first.csv.k3j_x9a1",  # another format
        ".other.parquet.k3j_x9a1",  # another table
        "first.parquet.k3j_x9a1",  # not a temporary file's name
        ".first.parquetx.k3j_x9a1",
    ]
    for name in stale + kept:
        (folder / name).write_bytes(b"")
    (folder / ".second.parquet.link").symlink_to(outside)
    (folder / ".second.parquet.folder").mkdir()

    export_tables({"first": sample(), "second": sample()}, folder=folder, file_format="parquet")
    assert files_in(folder) == sorted(
        [*kept, ".second.parquet.folder", ".second.parquet.link", "first.parquet", "second.parquet"]
    )
    assert outside.read_bytes() == b"not the export's"


def test_export_tables_leaves_the_temporary_file_of_a_running_export(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    running = folder / ".first.parquet.k3j_x9a1"
    running.write_bytes(b"being written")
    with open(running, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as write_atomically holds it
        export_tables({"first": sample()}, folder=folder, file_format="parquet")
    assert files_in(folder) == [running.name, "first.parquet"]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_the_next_export_removes_what_a_killed_export_left(tmp_path):
    folder = tmp_path / "export"
    code = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        import polars as pl
        from loyalty_lake.io.export import write_atomically

        def stuck(self, file, *args, **kwargs):
            print("writing", flush=True)
            time.sleep(60)

        pl.DataFrame.write_parquet = stuck
        target = Path({str(folder)!r}) / "points_ledger.parquet"
        write_atomically(pl.DataFrame({{"x": [1]}}), target, file_format="parquet")
        """
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "writing"
        (left,) = folder.iterdir()
        assert left.name.startswith(".points_ledger.parquet.")
        assert left.stat().st_size == 0
        export_tables({"points_ledger": sample()}, folder=folder, file_format="parquet")
        assert left.exists()  # still being written: left alone
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    export_tables({"points_ledger": sample()}, folder=folder, file_format="parquet")
    assert files_in(folder) == ["points_ledger.parquet"]


# --------------------------------------------------------------------------------------
# End to end: a small generated lake
# --------------------------------------------------------------------------------------

#: Customers whose first names a spreadsheet would run as formulas.
NAMES = {
    "C9000001": '=HYPERLINK("x")',
    "C9000002": "+SUM(A,B)",
    "C9000003": "-Minus",
    "C9000004": "+Plus",  # (an @ or digits are never a first name: see INVALID_NAME)
    "C9000005": "Plain",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> ll.Lake:
    root = tmp_path_factory.mktemp("export")
    lake = ll.Lake(root / "lake")
    ll.generate(lake.landing, ll.GeneratorOptions(lines=1500, seed=3))
    customers = "customer_id,first_name,last_name\n" + "".join(
        f'{customer_id},"{name.replace(chr(34), chr(34) * 2)}",Test\n'
        for customer_id, name in NAMES.items()
    )
    write_batch(
        lake.landing / "2026-11-01",  # after the generated batch (2026-10-31)
        {
            "customers.csv": customers,
            "sales_header.csv": HEADER + "T9000001,C9000001,S001,2026-10-30T12:00:00,1.29,SALE\n",
            # As pandas writes it: a quantity as a float (so normalisation_summary has a row).
            "sales_lines.csv": LINES + "1,T9000001,P00001,,1.0,1.29\n",
        },
    )
    ll.build(lake=lake)
    return lake


def delta_table(lake: ll.Lake, name: str) -> pl.DataFrame:
    return delta.scan_table(lake.table("gold", name)).collect()


#: Tables a lake this small leaves empty: too few repeat customers to fit the CLV models,
#: no member with a message due.
EMPTY_HERE = {"customer_value", "clv_parameters", "notifications"}


def test_build_exports_one_readable_parquet_file_per_gold_table(built):
    assert files_in(built.export) == sorted(f"{name}.parquet" for name in GOLD_MODELS)
    for name in GOLD_MODELS:
        exported = pl.read_parquet(built.export / f"{name}.parquet")
        table = delta_table(built, name)
        assert exported.columns == table.columns, name
        assert exported.schema == table.schema, name
        assert exported.height == table.height, name
        assert table.height > 0 or name in EMPTY_HERE, name
        assert_frame_equal(exported, table, check_row_order=False)


def test_the_landed_customers_are_in_gold(built):
    details = delta_table(built, "customer_details").filter(pl.col("customer_id").is_in(NAMES))
    assert dict(details.select("customer_id", "first_name").iter_rows()) == NAMES
    assert details.filter(pl.col("customer_id") == "C9000001")["frequency"].item() == 1


def test_export_gold_csv_neutralises_formulas(built, tmp_path):
    out = tmp_path / "csv"
    paths = export_gold(lake=built, out=out, file_format="csv")
    assert sorted(p.name for p in paths) == sorted(f"{name}.csv" for name in GOLD_MODELS)
    assert files_in(out) == sorted(f"{name}.csv" for name in GOLD_MODELS)
    details = pl.read_csv(out / "customer_details.csv", infer_schema=False)
    names = dict(
        details.filter(pl.col("customer_id").is_in(NAMES))
        .select("customer_id", "first_name")
        .iter_rows()
    )
    assert names == {
        "C9000001": '\'=HYPERLINK("x")',
        "C9000002": "'+SUM(A,B)",
        "C9000003": "'-Minus",
        "C9000004": "'+Plus",
        "C9000005": "Plain",
    }
    for name in GOLD_MODELS:
        table = delta_table(built, name)
        text = [c for c, t in table.schema.items() if t == pl.String]
        csv = pl.read_csv(out / f"{name}.csv", infer_schema=False)
        assert csv.columns == table.columns, name
        assert csv.height == table.height, name
        for column in text:
            starts = csv[column].drop_nulls().str.slice(0, 1)
            assert not starts.is_in(FORMULA_STARTS).any(), (name, column)


def test_export_gold_defaults_to_parquet_in_the_lake(built):
    before = {name: (built.export / f"{name}.parquet").read_bytes() for name in GOLD_MODELS}
    paths = export_gold(lake=built)
    assert sorted(paths) == sorted(built.export / f"{name}.parquet" for name in GOLD_MODELS)
    assert files_in(built.export) == sorted(f"{name}.parquet" for name in GOLD_MODELS)
    for name in GOLD_MODELS:
        assert_frame_equal(
            pl.read_parquet(built.export / f"{name}.parquet"),
            pl.read_parquet(io.BytesIO(before[name])),
            check_row_order=False,
        )


def test_export_gold_of_a_lake_without_gold_says_what_to_do(tmp_path):
    with pytest.raises(ll.LoyaltyLakeError, match="no gold tables") as info:
        export_gold(lake=ll.Lake(tmp_path / "empty"))
    assert "loyalty-lake build" in str(info.value.hint)
