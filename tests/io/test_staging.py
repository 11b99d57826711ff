"""The scratch space a run splits a big input into."""

from __future__ import annotations

import stat

import polars as pl
import pytest

from loyalty_lake.io import staging


def test_parts_are_written_once_and_read_back_whole(tmp_path):
    rows = pl.LazyFrame({"id": [str(i) for i in range(1000)], "n": list(range(1000))})
    with staging.staging(tmp_path / "silver" / "_staging") as folder:
        staging.write_parts(folder / "t", rows, part=pl.col("n") % 3)
        parts = [staging.scan_part(folder / "t", p, schema=rows.collect_schema()) for p in range(4)]
        frames = [part.collect() for part in parts]
    assert [f.height for f in frames] == [334, 333, 333, 0]  # an empty part reads as no rows
    assert frames[3].schema == rows.collect_schema()
    assert pl.concat(frames).sort("n").equals(rows.collect())
    assert all(set(f["n"] % 3) <= {p} for p, f in enumerate(frames))
    assert not folder.exists()  # removed when the run ends


def test_a_killed_runs_leftovers_are_removed_and_the_folder_is_private(tmp_path):
    folder = tmp_path / "silver" / "_staging"
    (folder / "old").mkdir(parents=True)
    (folder / "old" / "x.parquet").write_bytes(b"left by a killed run")
    with staging.staging(folder) as fresh:
        assert list(fresh.iterdir()) == []
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o700


def test_the_folder_is_removed_when_the_run_fails(tmp_path):
    folder = tmp_path / "_staging"

    def failing_run() -> None:
        with staging.staging(folder):
            (folder / "part").mkdir()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_run()
    assert not folder.exists()


@pytest.mark.parametrize("link_to", ["folder", "file", "nothing"])
def test_a_link_in_the_staging_folders_place_is_unlinked_never_followed(tmp_path, link_to):
    target = tmp_path / "elsewhere"
    if link_to == "folder":
        target.mkdir()
        (target / "keep.parquet").write_bytes(b"not the run's")
    elif link_to == "file":
        target.write_bytes(b"not the run's")
    folder = tmp_path / "silver" / "_staging"
    folder.parent.mkdir()
    folder.symlink_to(target, target_is_directory=link_to == "folder")
    with staging.staging(folder) as fresh:
        assert not fresh.is_symlink()
        assert fresh.is_dir()
        assert list(fresh.iterdir()) == []
        (fresh / "part").mkdir()
    assert not folder.exists()
    assert not folder.is_symlink()
    if link_to == "folder":
        assert [p.name for p in target.iterdir()] == ["keep.parquet"]
    elif link_to == "file":
        assert target.read_bytes() == b"not the run's"
    else:
        assert not target.exists()


def test_links_among_a_killed_runs_leftovers_are_unlinked_never_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.parquet").write_bytes(b"not the run's")
    folder = tmp_path / "_staging"
    (folder / "t").mkdir(parents=True)
    (folder / "t" / "_part=0").symlink_to(target, target_is_directory=True)
    (folder / "file.parquet").symlink_to(target / "keep.parquet")
    with staging.staging(folder) as fresh:
        assert list(fresh.iterdir()) == []
    assert [p.name for p in target.iterdir()] == ["keep.parquet"]
    assert (target / "keep.parquet").read_bytes() == b"not the run's"


def test_a_link_the_run_left_in_its_folder_is_unlinked_at_the_end(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.parquet").write_bytes(b"not the run's")
    folder = tmp_path / "_staging"
    with staging.staging(folder) as fresh:
        fresh.rmdir()
        fresh.symlink_to(target, target_is_directory=True)  # swapped in during the run
    assert not folder.is_symlink()
    assert not folder.exists()
    assert (target / "keep.parquet").read_bytes() == b"not the run's"
