from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from loyalty_lake.errors import BadFileError, BadFileReason
from loyalty_lake.io.landing import file_sha256, landing_files, read_header, read_text_chunks


def read_all(path: Path) -> tuple[list[str], list[tuple[str, ...]]]:
    header = read_header(path)
    names = [f"c{i}" for i in range(len(header))]
    rows = [
        tuple(row[n] for n in names)
        for chunk in read_text_chunks(path, names)
        for row in chunk.to_pylist()
    ]
    return header, rows


@pytest.fixture
def csv_file(tmp_path: Path):
    def write(data: bytes) -> Path:
        path = tmp_path / "f.csv"
        path.write_bytes(data)
        return path

    return write


def test_text_is_kept_exactly(csv_file):
    data = (
        b"\xef\xbb\xbfa,b,c\r\n"
        b' padded ,"x,\ny ""q""",=SUM(A1)\r\n'
        b"\xc3\xa9t\xc3\xa9,,-0\r\n"
        b"\n"
        b'1e309,NaN,"1,234.50"\r\n'
    )
    header, rows = read_all(csv_file(data))
    assert header == ["a", "b", "c"]
    assert rows == [
        (" padded ", 'x,\ny "q"', "=SUM(A1)"),
        ("été", "", "-0"),
        ("1e309", "NaN", "1,234.50"),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", BadFileReason.EMPTY_FILE),
        (b"\xef\xbb\xbf \n", BadFileReason.EMPTY_FILE),
        (b"a,b\ncaf\xe9,2\n", BadFileReason.UNDECODABLE),
        (b"a,b\n" + b"x,y\n" * 300_000 + b"caf\xe9,2\n", BadFileReason.UNDECODABLE),
        (b"a,b,c\n1,2,3\n1,2\n", BadFileReason.RAGGED_ROWS),
        (b"a,b\n1,2,3\n", BadFileReason.RAGGED_ROWS),
    ],
    ids=["empty", "bom-only", "latin1", "latin1-late", "too-few", "too-many"],
)
def test_bad_files_are_refused_with_a_reason(csv_file, data, reason):
    with pytest.raises(BadFileError) as err:
        read_all(csv_file(data))
    assert err.value.reason is reason
    assert "f.csv" in str(err.value)
    assert err.value.hint


def test_header_only_file_has_no_rows(csv_file):
    assert read_all(csv_file(b"a,b\n")) == (["a", "b"], [])


def test_sha256_and_batch_listing(tmp_path):
    (tmp_path / "sales_header.csv").write_bytes(b"x")
    (tmp_path / "_ground_truth.csv").write_bytes(b"y")
    (tmp_path / "notes.txt").write_bytes(b"z")
    wanted, ignored = landing_files(tmp_path)
    assert [p.name for p in wanted] == ["sales_header.csv"]
    assert sorted(p.name for p in ignored) == ["_ground_truth.csv", "notes.txt"]
    assert file_sha256(tmp_path / "sales_header.csv") == hashlib.sha256(b"x").hexdigest()
