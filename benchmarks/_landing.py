"""Opening a landing file as its CSV text: shared by the peers (not what they are timed on)."""

from __future__ import annotations

import contextlib
import gzip
import posixpath
import zipfile
from typing import IO, TYPE_CHECKING, cast

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class BadArchive(ValueError):
    """A ``.zip`` that does not hold exactly one CSV file."""


@contextlib.contextmanager
def landing_text(path: Path) -> Iterator[IO[bytes]]:
    """The CSV text of a landing file: the file, or what its ``.csv.gz`` or ``.zip`` holds.

    A zip must hold exactly one ``.csv`` file (folders and macOS' ``__MACOSX/``
    and ``.DS_Store`` aside); loyalty_lake's bounds on what an archive may
    unpack to are not mimicked.
    """
    name = path.name.strip().lower()
    if name.endswith(".csv.gz"):
        with cast("IO[bytes]", gzip.open(path, "rb")) as text:
            yield text
    elif name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir()
                and not info.filename.startswith("__MACOSX/")
                and posixpath.basename(info.filename) != ".DS_Store"
            ]
            if len(members) != 1 or not members[0].filename.lower().endswith(".csv"):
                raise BadArchive(f"{path.name} does not hold exactly one CSV file")
            with archive.open(members[0]) as text:
                yield text
    else:
        with path.open("rb") as text:
            yield text
