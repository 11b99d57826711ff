"""Writing a styled file: delimiter, quoting, header, short rows, blank lines, compression.

The plain generator writes with :meth:`polars.LazyFrame.sink_csv`. A styled
file is assembled as lines of text instead (each field quoted only where it
must be), so that a row may end early and blank lines may sit between rows,
then written as it is, gzip-compressed or in a zip archive. Compressed files
carry no time stamp, so the same seed still gives byte-identical files.
"""

from __future__ import annotations

import gzip
import re
import zipfile
from contextlib import ExitStack
from typing import IO, TYPE_CHECKING, Final

import polars as pl

from loyalty_lake.landing.generator.styles import DROPPED, ExportStyle

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

    from loyalty_lake.landing.generator.styles import FileStyle, StyledFile

#: Share of rows a ``blank_lines`` file follows with a blank line.
_BLANK_SHARE: Final = 0.02
_ZIP_TIME: Final = (1980, 1, 1, 0, 0, 0)


def header_names(style: FileStyle, rng: np.random.Generator) -> list[str]:
    """Returns the header row's names: aliases, letter case and padding applied."""
    names = [style.headers[c] for c in style.columns]
    if style.header_case == "upper":
        names = [n.upper() for n in names]
    elif style.header_case == "title":
        names = ["_".join(part.capitalize() for part in n.split("_")) for n in names]
    if style.has(ExportStyle.WHITESPACE):
        padded = rng.random(len(names)) < 0.5
        names = [f" {n} " if pad else n for n, pad in zip(names, padded, strict=True)]
    return names


def _field(value: pl.Expr, delimiter: str) -> pl.Expr:
    """Returns a field's text: empty for null, quoted (RFC 4180) where it must be."""
    text = value.fill_null("")
    needs_quotes = text.str.contains(f'[{re.escape(delimiter)}"\r\n]')
    quoted = '"' + text.str.replace_all('"', '""', literal=True) + '"'
    return pl.when(needs_quotes).then(quoted).otherwise(text)


def _lines(
    styled: StyledFile, style: FileStyle, rng: np.random.Generator, terminator: str
) -> pl.DataFrame:
    """Returns one text line per row; a short row ends early, a blank line may follow."""
    frame = styled.frame
    line = pl.concat_str(
        [_field(pl.col(c), style.delimiter) for c in style.columns], separator=style.delimiter
    )
    line = line.str.slice(0, line.str.len_chars() - pl.col(DROPPED))
    if style.has(ExportStyle.BLANK_LINES) and frame.height:
        after = rng.random(frame.height) < _BLANK_SHARE
        after[rng.integers(0, frame.height)] = True
        spaces = rng.random(frame.height) < 0.5
        blank = pl.when(pl.lit(pl.Series(spaces))).then(pl.lit("   ")).otherwise(pl.lit(""))
        line = pl.when(pl.lit(pl.Series(after))).then(line + terminator + blank).otherwise(line)
    return frame.select(line.alias("line"))


def write_styled(
    folder: Path, style: FileStyle, styled: StyledFile, rng: np.random.Generator
) -> str:
    """Writes ``styled`` into ``folder`` as ``style`` says; returns the file's name."""
    terminator = "\r\n" if style.has(ExportStyle.CRLF) else "\n"
    blank_lines = style.has(ExportStyle.BLANK_LINES)
    head = style.delimiter.join(header_names(style, rng)) + terminator
    if blank_lines:
        head = terminator + head
    if style.has(ExportStyle.BOM):
        head = "\ufeff" + head
    lines = _lines(styled, style, rng, terminator)
    name = style.filename
    with ExitStack() as stack:
        raw = stack.enter_context((folder / name).open("wb"))
        out: IO[bytes] | gzip.GzipFile = raw
        if style.compression == "gzip":
            out = stack.enter_context(
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
            )
        elif style.compression == "zip":
            archive = stack.enter_context(
                zipfile.ZipFile(raw, mode="w", compression=zipfile.ZIP_DEFLATED)
            )
            member = zipfile.ZipInfo(f"{style.stem}.csv", date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            out = stack.enter_context(archive.open(member, mode="w", force_zip64=True))
        body = lines.select(pl.col("line").str.join(terminator)).item() if lines.height else ""
        tail = terminator if lines.height else ""
        out.write((head + body + tail + (terminator if blank_lines else "")).encode())
    return name
