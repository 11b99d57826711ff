from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import stat
import tracemalloc
import zipfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from loyalty_lake.codes import BadFileReason
from loyalty_lake.config import LandingConfig
from loyalty_lake.errors import BadFileError, LandingError
from loyalty_lake.io.landing import (
    BatchFolder,
    consume_records,
    csv_name,
    file_facts,
    file_sha256,
    header_fields,
    landing_text,
    read_header,
    read_records,
    text_facts,
    text_limit,
)


def read_all(
    data: bytes,
    *,
    careful: bool = False,
    limits: LandingConfig | None = None,
    min_fields: int | None = None,
    name: str = "f.csv",
) -> tuple[list[str], pl.DataFrame]:
    """The header and records of a file's bytes (``name``: compressed by its name)."""
    fh = io.BytesIO(data)
    facts = file_facts(fh)
    with landing_text(fh, name=name, size=facts.size) as text:
        if text.compression is not None:
            facts = text_facts(facts, text.stream)
        header = read_header(text.stream, name=name)
        options = {
            "name": name,
            "header": header,
            "facts": facts,
            "limits": limits or LandingConfig(),
            "min_fields": min_fields,
        }
        if careful:
            chunks = list(read_records(text.stream, careful=True, **options))
        else:
            chunks = consume_records(text.stream, list, **options)
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


@pytest.mark.parametrize("careful", [False, True])
def test_short_rows_lacking_only_optional_fields_are_padded(careful):
    """Fields 1-2 hold required columns (``min_fields=2``): a row of 2 or 3 fields is a row."""
    data = b"a,b,c\n1,2,3\n4,5\n6,\n7\n8,9,10,11\n,,\n"
    _, frame = read_all(data, careful=careful, min_fields=2)
    assert rows(frame) == [
        ("1", "2", "3"),
        ("4", "5", None),  # null: the file did not give it
        ("6", "", None),  # "": the file gave it empty
        (None, None, None),
        (None, None, None),
        ("", "", ""),
    ]
    assert frame["_padded"].to_list() == [None, 1, 1, None, None, None]
    assert frame["_padded"].dtype == pl.Int32
    assert malformed(frame) == [
        (
            4,
            "line 5: has 1 fields where the header has 3 (its required columns need at least 2)",
            "7",
        ),
        (5, "line 6: has 4 fields where the header has 3", "8,9,10,11"),
    ]


def test_without_min_fields_a_short_row_is_malformed():
    _, frame = read_all(b"a,b,c\n1,2\n")
    assert malformed(frame) == [(1, "line 2: has 2 fields where the header has 3", "1,2")]
    assert frame["_padded"].to_list() == [None]


def test_a_short_row_with_a_quoted_value_spanning_lines_is_padded():
    _, frame = read_all(b'a,b,c\n1,"two\nlines"\n4,5,6\n', min_fields=1)
    assert rows(frame) == [("1", "two\nlines", None), ("4", "5", "6")]
    assert frame["_padded"].to_list() == [1, None]


def test_full_rows_stay_on_the_fast_reader(monkeypatch):
    """The common case never reaches the careful reader (no Python per row)."""
    import loyalty_lake.io.landing.records as records

    def refuse(*args, **kwargs):
        raise AssertionError("the careful reader was used")

    monkeypatch.setattr(records, "careful_records", refuse)
    for delimiter in (",", ";", "\t", "|"):
        data = ("a,b,c\n" + "1,2,3\n" * 1000).replace(",", delimiter).encode()
        _, frame = read_all(data, min_fields=1)
        assert frame.height == 1000
        assert frame["_padded"].null_count() == 1000


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a,b,c", (",", ["a", "b", "c"])),
        ("a;b;c", (";", ["a", "b", "c"])),
        ("a\tb\tc", ("\t", ["a", "b", "c"])),
        ("a|b|c", ("|", ["a", "b", "c"])),
        ("transaction_id", (",", ["transaction_id"])),
        ("a;b,c", (",", ["a;b", "c"])),  # a tie: comma
        ("a,b;c;d", (";", ["a,b", "c", "d"])),  # the most fields
        ('"amount, EUR";"store;id";x', (";", ["amount, EUR", "store;id", "x"])),
        ('"a;b",c', (",", ["a;b", "c"])),  # quotes respected
        ('a,"b', None),
    ],
)
def test_the_delimiter_is_the_one_splitting_the_header_most(line, expected):
    assert header_fields(line) == expected


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
@pytest.mark.parametrize("careful", [False, True])
def test_files_delimited_otherwise_than_by_commas(delimiter, careful):
    text = 'id;name;amount\r\n1;"Ada; the first";"1,5"\r\n2;Bob;2,50\r\n3;"multi\nline";0\r\n'
    data = text.replace(";", delimiter).encode()
    header, frame = read_all(data, careful=careful)
    assert header == ["id", "name", "amount"]
    assert rows(frame) == [
        ("1", f"Ada{delimiter} the first", "1,5"),
        ("2", "Bob", "2,50"),  # a comma is a value's character here
        ("3", "multi\nline", "0"),
    ]
    assert malformed(frame) == []


def test_a_semicolon_file_has_its_ragged_rows_judged_by_semicolons():
    _, frame = read_all(b"a;b;c\n1;2;3\n4;5\n6,7,8\n", min_fields=2)
    assert rows(frame)[:2] == [("1", "2", "3"), ("4", "5", None)]
    assert malformed(frame) == [
        (
            3,
            "line 4: has 1 fields where the header has 3 (its required columns need at least 2)",
            "6,7,8",
        )
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


cells = st.text(alphabet=st.sampled_from(list('ab ,;|\t"\n1é')), max_size=6)


def written(records: list[tuple[str, ...]], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(records)
    return buffer.getvalue()


def blank(line: str, delimiter: str) -> bool:
    """Blank lines are not rows: nothing but spaces (in a tab file, a line of tabs is a row)."""
    return not line.strip() and delimiter not in line


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(cells, min_size=1, max_size=4).map(tuple), max_size=8),
    st.sampled_from([",", ";", "\t", "|"]),
    st.integers(min_value=1, max_value=3),
)
def test_the_fast_and_the_careful_reader_agree(records, delimiter, min_fields):
    """Any delimiter, rows of any width: the same records, short rows padded alike."""
    data = (delimiter.join("abc") + "\n" + written(records, delimiter)).encode()
    _, fast = read_all(data, min_fields=min_fields)
    _, careful = read_all(data, careful=True, min_fields=min_fields)
    assert fast.equals(careful)
    if not malformed(fast):  # (a value holding a line that is a whole row of its own is)
        kept = [r for r in records if not blank(written([r], delimiter), delimiter)]
        assert all(min_fields <= len(r) <= 3 for r in kept)
        assert rows(fast) == [r + (None,) * (3 - len(r)) for r in kept]
        if kept:
            assert fast["_padded"].to_list() == [3 - len(r) or None for r in kept]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(cells, cells, cells), max_size=8), st.sampled_from([",", ";", "\t", "|"]))
def test_full_rows_in_any_delimiter_read_back_as_written(records, delimiter):
    data = (delimiter.join("abc") + "\n" + written(records, delimiter)).encode()
    header, frame = read_all(data)
    assert header == ["a", "b", "c"]
    if not malformed(frame):
        assert rows(frame) == records


def test_sha256_and_batch_listing(tmp_path):
    (tmp_path / "sales_header.csv").write_bytes(b"x")
    (tmp_path / "sales_lines.csv.gz").write_bytes(b"x")
    (tmp_path / "customers.ZIP").write_bytes(b"x")
    (tmp_path / "_ground_truth.csv").write_bytes(b"y")
    (tmp_path / "_ground_truth.csv.gz").write_bytes(b"y")
    (tmp_path / "notes.txt").write_bytes(b"z")
    (tmp_path / "stores.gz").write_bytes(b"z")
    (tmp_path / "folder.csv").mkdir()
    with BatchFolder(tmp_path) as folder:
        entries = folder.entries()
    assert entries.files == ("customers.ZIP", "sales_header.csv", "sales_lines.csv.gz")
    assert entries.ignored == (
        "_ground_truth.csv",
        "_ground_truth.csv.gz",
        "folder.csv",
        "notes.txt",
        "stores.gz",
    )
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


# --- compressed files -----------------------------------------------------------------------

PLAIN = b"a;b;c\n1;2;3\n4;5\n" + b"".join(b"%d;x;y\n" % i for i in range(1000))


def zipped(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("f.csv.gz", gzip.compress(PLAIN)),
        ("F.CSV.GZ", gzip.compress(PLAIN[:9]) + gzip.compress(PLAIN[9:])),  # two gzip members
        ("f.zip", zipped({"f.csv": PLAIN})),
        ("f.zip", zipped({"export/2026/data.CSV": PLAIN, "export/": b""})),
        ("f.zip", zipped({"f.csv": PLAIN, "__MACOSX/._f.csv": b"\x00\x05", ".DS_Store": b"\x00"})),
        ("f.zip", zipped({"f.csv": PLAIN}, method=zipfile.ZIP_STORED)),
        ("f.zip", zipped({"f.csv": PLAIN}, method=zipfile.ZIP_BZIP2)),
    ],
    ids=["gzip", "gzip-members", "zip", "zip-folder", "zip-macos", "zip-stored", "zip-bzip2"],
)
@pytest.mark.parametrize("careful", [False, True])
def test_a_compressed_file_reads_as_the_plain_file(name, data, careful):
    header, frame = read_all(data, name=name, careful=careful, min_fields=2)
    plain_header, plain_frame = read_all(PLAIN, careful=careful, min_fields=2)
    assert header == plain_header == ["a", "b", "c"]
    assert_frame_equal(frame, plain_frame)
    assert frame.height == 1002
    assert frame["_padded"].to_list()[:3] == [None, 1, None]
    fh = io.BytesIO(data)
    facts = file_facts(fh)
    with landing_text(fh, name=name, size=facts.size) as text:
        unpacked = text_facts(facts, text.stream)
        text.stream.seek(0)  # read again from the start, as every reader does
        assert text.stream.read() == PLAIN
    plain = file_facts(io.BytesIO(PLAIN))
    assert unpacked.sha256 == hashlib.sha256(data).hexdigest() != plain.sha256
    assert unpacked.size == len(data)
    assert (unpacked.lines, unpacked.blank_lines, unpacked.text_size) == (
        plain.lines,
        plain.blank_lines,
        len(PLAIN),
    )


def test_an_empty_compressed_file_is_an_empty_file():
    for name, data in (
        ("f.csv.gz", b""),
        ("f.csv.gz", gzip.compress(b"")),
        ("f.zip", zipped({"f.csv": b""})),
    ):
        with pytest.raises(BadFileError) as err:
            read_all(data, name=name)
        assert err.value.reason is BadFileReason.EMPTY_FILE


def test_compressed_names_stand_for_their_csv_file():
    assert csv_name("sales_lines.csv.gz") == "sales_lines.csv"
    assert csv_name("Sales_Lines.CSV.GZ") == "Sales_Lines.CSV"
    assert csv_name("sales_lines.zip") == "sales_lines.csv"
    assert csv_name("sales_lines.csv") == "sales_lines.csv"


def _encrypted_zip() -> bytes:
    """A zip whose one member is marked encrypted in both of its headers."""
    patched = bytearray(zipped({"f.csv": PLAIN}))
    local = patched.index(b"PK\x03\x04")
    central = patched.index(b"PK\x01\x02")
    patched[local + 6] |= 0x1
    patched[central + 8] |= 0x1
    return bytes(patched)


def _symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("f.csv")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _corrupt_member() -> bytes:
    data = bytearray(zipped({"f.csv": PLAIN}, method=zipfile.ZIP_STORED))
    data[data.index(b"4;x;y")] = ord("5")  # the stored text changes: its CRC no longer matches
    return bytes(data)


def _gzip_with_bad_crc() -> bytes:
    data = bytearray(gzip.compress(PLAIN))
    data[-8] ^= 0xFF
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("f.csv.gz", PLAIN, "it is corrupt"),
        ("f.csv.gz", gzip.compress(PLAIN)[:-20], "it is truncated"),
        ("f.csv.gz", _gzip_with_bad_crc(), "it is corrupt"),
        ("f.zip", PLAIN, "it is not a readable zip archive"),
        ("f.zip", zipped({}), "it holds no file"),
        ("f.zip", zipped({"a.csv": PLAIN, "b.csv": PLAIN}), "it holds 2 files"),
        ("f.zip", zipped({"f.csv": PLAIN, "readme.txt": b"hi"}), "it holds 2 files"),
        ("f.zip", zipped({"f.xlsx": PLAIN}), "its file is not a .csv file"),
        ("f.zip", _symlink_zip(), "its file is a symbolic link"),
        ("f.zip", _encrypted_zip(), "encrypted"),
        ("f.zip", _corrupt_member(), "it is corrupt"),
        ("f.zip", zipped({"f.csv": PLAIN})[:-30], "it is not a readable zip archive"),
    ],
    ids=[
        "not-gzip",
        "gzip-truncated",
        "gzip-crc",
        "not-zip",
        "zip-empty",
        "zip-two-csv",
        "zip-csv-and-more",
        "zip-not-csv",
        "zip-symlink",
        "zip-encrypted",
        "zip-crc",
        "zip-truncated",
    ],
)
def test_bad_archives_are_refused_with_a_reason(name, data, why):
    with pytest.raises(BadFileError) as err:
        read_all(data, name=name)
    assert err.value.reason is BadFileReason.BAD_ARCHIVE
    assert str(err.value).startswith(f"{name} cannot be unpacked: ")
    assert why in str(err.value)
    assert err.value.hint
    assert "passwd" not in str(err.value)


def gzip_bomb(text_bytes: int, *, chunk: int = 16 << 20) -> bytes:
    """A CSV text of ``text_bytes`` (plausible rows, no NUL) in a small gzip file.

    Gzip members concatenate: one compressed chunk repeated makes a file of
    about a thousandth of its text, built without compressing it all.
    """
    row = b"1,T1,P1,,1,1.00\n"
    member = gzip.compress(row * (chunk // len(row)), compresslevel=9)
    head = gzip.compress(b"line_item_id,transaction_id,product_id,promotion_id,quantity,x\n")
    return head + member * (text_bytes // chunk)


def test_a_gzip_bomb_is_refused_without_holding_its_text():
    bomb = gzip_bomb(1 << 30)  # 1 GiB of text in about 1 MiB
    assert len(bomb) < 2 << 20
    fh = io.BytesIO(bomb)
    facts = file_facts(fh)
    limit = text_limit(facts.size)
    assert limit < 512 << 20
    tracemalloc.start()
    try:
        with (
            pytest.raises(BadFileError) as err,
            landing_text(fh, name="f.csv.gz", size=facts.size) as text,
        ):
            text_facts(facts, text.stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.reason is BadFileReason.ARCHIVE_TOO_LARGE
    assert f"more than {limit:,} bytes" in str(err.value)
    assert peak < 64 << 20  # read in bounded chunks: never the whole text


def test_a_zip_declaring_too_much_text_is_refused_before_reading_it():
    data = zipped({"f.csv": b"a,b\n" + b"1,2\n" * 1_000_000})
    fh = io.BytesIO(data)
    with (
        pytest.raises(BadFileError) as err,
        landing_text(fh, name="f.zip", size=len(data), limit=1000),
    ):
        pass
    assert err.value.reason is BadFileReason.ARCHIVE_TOO_LARGE


def test_the_text_limit_grows_with_the_file_between_bounds():
    assert text_limit(1) == 64 << 20
    assert text_limit(1 << 20) == 200 << 20
    assert text_limit(1 << 30) == 20 << 30
