from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty_lake.codes import BadFileReason
from loyalty_lake.config import LandingConfig
from loyalty_lake.errors import BadFileError, LandingError
from loyalty_lake.io.landing import (
    BatchFolder,
    consume_records,
    file_facts,
    file_sha256,
    read_header,
    read_records,
)


def read_all(
    data: bytes, *, careful: bool = False, limits: LandingConfig | None = None
) -> tuple[list[str], pl.DataFrame]:
    fh = io.BytesIO(data)
    facts = file_facts(fh)
    header = read_header(fh, name="f.csv")
    limits = limits or LandingConfig()
    if careful:
        chunks = list(
            read_records(fh, name="f.csv", header=header, facts=facts, limits=limits, careful=True)
        )
    else:
        chunks = consume_records(fh, list, name="f.csv", header=header, facts=facts, limits=limits)
    return list(header.names), pl.concat(chunks) if chunks else pl.DataFrame()


def rows(frame: pl.DataFrame) -> list[tuple[str | None, ...]]:
    return [tuple(r) for r in frame.select(pl.col("^c\\d+$")).rows()]


def malformed(frame: pl.DataFrame) -> list[tuple[int, str, str]]:
    if frame.is_empty():
        return []
    bad = frame.filter(pl.col("_malformed").is_not_null())
    return list(zip(bad["_row_number"], bad["_malformed"], bad["_record"], strict=True))


def test_text_is_kept_exactly():
    data = (
        b"\xef\xbb\xbfa,b,c\r\n"
        b' padded ,"x,\ny ""q""",=SUM(A1)\r\n'
        b"\xc3\xa9t\xc3\xa9,,-0\r\n"
        b"\n"
        b'1e309,NaN,"1,234.50"\r\n'
    )
    header, frame = read_all(data)
    assert header == ["a", "b", "c"]
    assert rows(frame) == [
        (" padded ", 'x,\ny "q"', "=SUM(A1)"),
        ("été", "", "-0"),
        ("1e309", "NaN", "1,234.50"),
    ]
    assert frame["_row_number"].to_list() == [1, 2, 3]
    assert frame["_malformed"].null_count() == 3


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", BadFileReason.EMPTY_FILE),
        (b"\xef\xbb\xbf \n", BadFileReason.EMPTY_FILE),
        (b"a,b\ncaf\xe9,2\n", BadFileReason.UNDECODABLE),
        (b"a,b\n" + b"x,y\n" * 300_000 + b"caf\xe9,2\n", BadFileReason.UNDECODABLE),
        ("a,b\n1,2\n".encode("utf-16"), BadFileReason.UNDECODABLE),
        (b"a,b\n1,\x002\n", BadFileReason.BINARY),
        (b"a," + b"x" * 140_000 + b"\n1,2\n", BadFileReason.BAD_HEADER),
        (b"x" * (1 << 21), BadFileReason.BAD_HEADER),
        (b",".join(b"c%d" % i for i in range(10_000)) + b"\n", BadFileReason.BAD_HEADER),
        (b'a,"b\n1,2\n', BadFileReason.BAD_HEADER),
    ],
    ids=[
        "empty",
        "bom-only",
        "latin1",
        "latin1-late",
        "utf16",
        "nul",
        "huge-header-field",
        "no-line-break",
        "10k-columns",
        "header-quote",
    ],
)
def test_bad_files_are_refused_with_a_reason(data, reason):
    with pytest.raises(BadFileError) as err:
        read_all(data)
    assert err.value.reason is reason
    assert "f.csv" in str(err.value)
    assert err.value.hint
    assert "xxxxxxxxxx" not in str(err.value)  # never the content


@pytest.mark.parametrize("careful", [False, True])
def test_rows_with_the_wrong_number_of_fields_are_malformed_rows(careful):
    _, frame = read_all(b"a,b,c\n1,2,3\n1,2\n1,2,3,4\n5,6,7\n", careful=careful)
    assert rows(frame) == [("1", "2", "3"), (None, None, None), (None, None, None), ("5", "6", "7")]
    assert malformed(frame) == [
        (2, "line 3: has 2 fields where the header has 3", "1,2"),
        (3, "line 4: has 4 fields where the header has 3", "1,2,3,4"),
    ]


def sales_header(count: int) -> list[str]:
    return [f"T{i:06d},C{i % 7},S1,2026-10-30,{i}.00,SALE," for i in range(1, count + 1)]


def test_a_stray_quote_never_swallows_the_rest_of_the_file():
    lines = sales_header(305)
    lines[26] += '"'  # sed -i '28s/$/"/': row 27 ends with an opening quote
    data = (
        "transaction_id,customer_id,store_id,transaction_date,total_amount,"
        "transaction_type,original_transaction_id\n" + "\n".join(lines) + "\n"
    ).encode()
    _, frame = read_all(data)
    assert frame.height == 305  # every physical record is a row
    assert malformed(frame) == [
        (
            27,
            "line 28: an unbalanced quote (the quoted value opened here would swallow the "
            "complete rows after it)",
            lines[26],
        )
    ]
    good = frame.filter(pl.col("_malformed").is_null())
    assert good["c0"].to_list() == [f"T{i:06d}" for i in range(1, 306) if i != 27]
    assert good["c6"].str.len_chars().max() == 0


def test_a_quote_left_open_at_the_end_is_a_malformed_row():
    _, frame = read_all(b'a,b,c\n1,2,3\n4,5,"six\n')
    assert malformed(frame) == [
        (2, "line 3: a quoted value opened here is never closed", '4,5,"six')
    ]


def test_a_quoted_value_spanning_lines_is_kept_within_the_limit():
    value = "\n".join(f"line {i}" for i in range(5))
    data = f'a,b\n1,"{value}"\n2,x\n'.encode()
    _, frame = read_all(data)
    assert rows(frame) == [("1", value), ("2", "x")]
    _, frame = read_all(data, limits=LandingConfig(max_record_lines=3))
    assert malformed(frame)[0][1].startswith("line 2: a quoted value opened here spans more than 3")
    assert rows(frame)[1:] == [(None, None)] * 4 + [("2", "x")]
    assert frame.height == 6  # the rest of the value's lines are rows of their own


def test_a_field_over_the_limit_is_a_malformed_row():
    _, frame = read_all(
        b"a,b\n1," + b"y" * 200 + b"\n2,x\n", limits=LandingConfig(max_field_chars=100)
    )
    ((number, why, _),) = malformed(frame)
    assert (number, why) == (
        1,
        "line 2: a value is longer than 100 characters (landing.max_field_chars)",
    )
    assert rows(frame)[1] == ("2", "x")


@pytest.mark.parametrize(
    "data",
    [
        b"a,b\r1,2\r3,4\r",
        b"a,b\r\n1,2\n3,4\r\n",
        b"a,b\n1,2\r3,4",
        b"\n\n  \na,b\n\n1,2\n \n3,4\n\n",
    ],
    ids=["cr-only", "mixed-crlf-lf", "mixed-cr", "blank-lines"],
)
def test_line_endings_and_blank_lines(data):
    _, frame = read_all(data)
    assert rows(frame) == [("1", "2"), ("3", "4")]
    assert frame["_row_number"].to_list() == [1, 2]


def test_header_only_file_has_no_rows():
    header, frame = read_all(b"a,b\n")
    assert (header, frame.height) == (["a", "b"], 0)


def test_file_facts_count_lines():
    facts = file_facts(io.BytesIO(b"a,b\r\n\r\n1,2\n\n3,4\r5,6"))
    assert (facts.lines, facts.blank_lines, facts.bare_cr, facts.nul) == (6, 2, True, False)
    assert facts.sha256 == hashlib.sha256(b"a,b\r\n\r\n1,2\n\n3,4\r5,6").hexdigest()


cells = st.text(alphabet=st.sampled_from(list('ab ,"\n1é')), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(cells, cells, cells), max_size=8))
def test_the_fast_and_the_careful_reader_agree(records):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["a", "b", "c"])
    writer.writerows(records)
    data = buffer.getvalue().encode()
    _, fast = read_all(data)
    _, careful = read_all(data, careful=True)
    assert fast.equals(careful)
    if not malformed(fast):  # (a value holding a line that is a whole row of its own is)
        assert rows(fast) == records


def test_sha256_and_batch_listing(tmp_path):
    (tmp_path / "sales_header.csv").write_bytes(b"x")
    (tmp_path / "_ground_truth.csv").write_bytes(b"y")
    (tmp_path / "notes.txt").write_bytes(b"z")
    (tmp_path / "folder.csv").mkdir()
    with BatchFolder(tmp_path) as folder:
        entries = folder.entries()
    assert entries.files == ("sales_header.csv",)
    assert entries.ignored == ("_ground_truth.csv", "folder.csv", "notes.txt")
    assert file_sha256(tmp_path / "sales_header.csv") == hashlib.sha256(b"x").hexdigest()


def test_links_and_special_files_are_refused_unread(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("LOYALTY_LAKE_PII_KEY=hunter2\n")
    batch = tmp_path / "b1"
    batch.mkdir()
    (batch / "products.csv").symlink_to(secret)
    (batch / "stores.csv").symlink_to("/proc/self/environ")
    os.mkfifo(batch / "customers.csv")
    (batch / "sales_header.csv").write_text("transaction_id\n")
    with BatchFolder(batch) as folder:
        entries = folder.entries()
        assert entries.files == ("sales_header.csv",)
        refused = {name: error.reason for name, error in entries.refused}
        assert refused == {
            "customers.csv": BadFileReason.NOT_A_FILE,
            "products.csv": BadFileReason.SYMLINK,
            "stores.csv": BadFileReason.SYMLINK,
        }
        for name in ("products.csv", "customers.csv"):  # opened by name anyway: still refused
            with pytest.raises(BadFileError):
                folder.open(name)
    messages = " ".join(str(error) for _, error in entries.refused)
    assert "hunter2" not in messages
    assert "environ" not in messages


def test_a_linked_batch_folder_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "sales_header.csv").write_text("transaction_id\n")
    (tmp_path / "linked").symlink_to(real)
    with pytest.raises(LandingError, match="symbolic link"):
        BatchFolder(tmp_path / "linked")
    assert Path(real / "sales_header.csv").exists()
