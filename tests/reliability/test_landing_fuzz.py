"""Landing under fire: a corpus of broken and hostile files, generated here, never committed.

Each variant is one file (or link, or pipe) in a batch of its own, landed into
one lake on top of a clean batch. For every variant: no internal error, no
hang, no silent row loss (every original record still in the file is in
bronze as a row or inside a malformed row's raw text, never swallowed into
another row's value), nothing personal or from the environment in any
message or output, and conservation after silver.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import random
import signal
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import polars as pl
import pytest
from typer.testing import CliRunner

from loyalty_lake.cli import app
from loyalty_lake.config import load_config
from loyalty_lake.errors import LandingError
from loyalty_lake.io import delta
from loyalty_lake.io.lake import Lake
from loyalty_lake.pipeline import FileStatus, build_silver, conservation, ingest
from loyalty_lake.privacy import masked

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

pytestmark = pytest.mark.reliability

ENV_SECRET = "ENVSECRET-7f3a9c"
EMAIL, LAST_NAME, PHONE = "leak.marker@example.com", "Zyxmarker", "+44 7700 900999"
#: Text that must never appear in a message or an output.
SECRETS = (ENV_SECRET, "leak.marker", LAST_NAME, "900999", "root:x:0")
SECONDS_PER_VARIANT = 20


def clean_files() -> dict[str, str]:
    """A small clean batch; the first column of every file is unique per row."""
    header = ["transaction_id,customer_id,store_id,transaction_date,total_amount,transaction_type"]
    lines = ["line_item_id,transaction_id,product_id,promotion_id,quantity,line_item_amount"]
    for i in range(1, 41):
        header.append(f"T{i:05d},C{i % 5 + 1:03d},S1,2026-10-{i % 28 + 1:02d}T10:00:00,3.00,SALE")
        lines.append(f"L{i:05d},T{i:05d},P{i % 3 + 1},,1,3.00")
    customers = ["customer_id,first_name,last_name,email,phone,enrollment_date"]
    customers += [f"C{i:03d},Ada,Smith{i},c{i}@example.org,,2024-01-01" for i in range(1, 6)]
    customers.append(f"C006,Eve,{LAST_NAME},{EMAIL},{PHONE},2024-01-01")
    return {
        "stores.csv": "store_id,store_name\nS1,Main\n",
        "products.csv": "product_id,product_category,unit_price\nP1,Food,3.00\nP2,Food,3.00\n"
        "P3,Home,3.00\n",
        "customers.csv": "\n".join(customers) + "\n",
        "sales_header.csv": "\n".join(header) + "\n",
        "sales_lines.csv": "\n".join(lines) + "\n",
    }


@dataclass(frozen=True)
class Variant:
    family: str
    name: str  # the file's name in its batch
    content: bytes | None  # None: not a regular file (see ``make``)
    make: Callable[[Path], None] | None = None


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def variants(seed: int = 12) -> Iterator[Variant]:
    """Every variant of the corpus, the same for the same seed."""
    rng = random.Random(seed)
    files = clean_files()
    targets = ["sales_header.csv", "sales_lines.csv", "customers.csv"]
    for family in (_damaged, _oversized, _quoted, _reencoded, _binaries, _links, _hostile_names):
        yield from family(rng, files, targets)


def _damaged(rng: random.Random, files: dict[str, str], targets: list[str]) -> Iterator[Variant]:
    for _ in range(60):  # byte flips
        name = rng.choice(targets)
        data = bytearray(files[name].encode())
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        yield Variant("byte flips", name, bytes(data))
    for _ in range(30):  # truncation
        name = rng.choice(targets)
        data = files[name].encode()
        yield Variant("truncation", name, data[: rng.randrange(1, len(data))])
    for _ in range(15):  # NUL bytes
        name = rng.choice(targets)
        data = bytearray(files[name].encode())
        data.insert(rng.randrange(len(data)), 0)
        yield Variant("NUL bytes", name, bytes(data))


def _oversized(rng: random.Random, files: dict[str, str], targets: list[str]) -> Iterator[Variant]:
    for size in (40_000, 140_000, 2_000_000):  # huge fields, in a row and in the header
        for name in targets:
            lines = _lines(files[name])
            row = rng.randrange(1, len(lines))
            lines[row] = lines[row].rstrip("\n") + "x" * size + "\n"
            yield Variant("huge field", name, "".join(lines).encode())
            lines = _lines(files[name])
            lines[0] = lines[0].rstrip("\n") + ",h" + "x" * size + "\n"
            yield Variant("huge header field", name, "".join(lines).encode())
    for name in targets:  # 10k columns
        lines = _lines(files[name])
        yield Variant(
            "10k columns",
            name,
            (",".join(f"c{i}" for i in range(10_000)) + "\n" + "".join(lines[1:])).encode(),
        )
        lines[3] = lines[3].rstrip("\n") + ",x" * 10_000 + "\n"
        yield Variant("10k fields in a row", name, "".join(lines).encode())


def _quoted(rng: random.Random, files: dict[str, str], targets: list[str]) -> Iterator[Variant]:
    for i in range(45):  # unbalanced quotes
        name = rng.choice(targets)
        lines = _lines(files[name])
        row = rng.randrange(1, len(lines))
        how = i % 3
        if how == 0:
            lines[row] = lines[row].rstrip("\n") + '"\n'
        elif how == 1:
            lines[row] = '"' + lines[row]
        else:
            cut = rng.randrange(len(lines[row]))
            lines[row] = lines[row][:cut] + '"' + lines[row][cut:]
        yield Variant("unbalanced quotes", name, "".join(lines).encode())


def _reencoded(rng: random.Random, files: dict[str, str], targets: list[str]) -> Iterator[Variant]:
    for name in targets:  # encodings
        text = files[name].replace("Ada", "Zoë")
        yield Variant("latin-1", name, text.encode("latin-1"))
        yield Variant("utf-16", name, text.encode("utf-16"))
        yield Variant("bom", name, codecs.BOM_UTF8 + text.encode())
        yield Variant("cp1252 quotes", name, text.replace("Main", "\u2019Main").encode("cp1252"))
    for name in targets:  # delimiters and line endings
        text = files[name]
        yield Variant("semicolons", name, text.replace(",", ";").encode())
        yield Variant("tabs", name, text.replace(",", "\t").encode())
        yield Variant("pipes", name, text.replace(",", "|").encode())
        yield Variant("CR only", name, text.replace("\n", "\r").encode())
        yield Variant("CRLF", name, text.replace("\n", "\r\n").encode())
        mixed = "".join(
            line.replace("\n", rng.choice(["\n", "\r\n", "\r"])) for line in _lines(text)
        )
        yield Variant("mixed line endings", name, mixed.encode())
        spaced = "".join(line + rng.choice(["", "\n", "  \n"]) for line in _lines(text))
        yield Variant("blank lines", name, ("\n\n" + spaced + "\n\n").encode())
        yield Variant("no header", name, "".join(_lines(text)[1:]).encode())
        yield Variant("header only", name, _lines(text)[0].encode())
        yield Variant("empty", name, b"")


def _binaries(rng: random.Random, files: dict[str, str], targets: list[str]) -> Iterator[Variant]:
    for _ in range(8):  # binary files
        blob = bytes(rng.randrange(256) for _ in range(rng.randint(10, 5000)))
        prefix = rng.choice([b"PK\x03\x04", b"\x89PNG\r\n\x1a\n", b"%PDF-1.4\n", b"\x7fELF", b""])
        yield Variant("binary", rng.choice(targets), prefix + blob)


def _links(rng: random.Random, files: dict[str, str], targets: list[str]) -> Iterator[Variant]:
    for name in targets:  # links and special files
        for target in ("/proc/self/environ", "/etc/passwd", "/etc/shadow", "/nonexistent", "/tmp"):
            yield Variant(
                "symlink", name, None, lambda path, target=target: path.symlink_to(target)
            )
        yield Variant("fifo", name, None, os.mkfifo)


def _hostile_names(
    rng: random.Random, files: dict[str, str], targets: list[str]
) -> Iterator[Variant]:
    hostile = [
        "[bold red]x.csv",
        ":x: sales_header.csv",
        "$(touch pwned).csv",
        "sales\nheader.csv",
        "\x1b[31msales_header.csv",
        "sales_\u202eredaeh.csv",
        "-rf.csv",
        " SALES_HEADER.CSV ",
        "x" * 250 + ".csv",
        "..csv",
        f"{EMAIL}.csv",
    ]
    for name in hostile:
        yield Variant("hostile names", name, files["sales_header.csv"].encode())


def landed_ids(lake: Lake, table: str, sha: str) -> tuple[set[str], str]:
    """First-column values of the file's well-formed bronze rows, and its malformed raw text."""
    key = {"sales_header": "transaction_id", "sales_lines": "line_item_id"}.get(
        table, "customer_id"
    )
    rows = delta.scan_table(lake.table("bronze", table)).filter(pl.col("_file_sha256") == sha)
    rows = rows.collect()
    good = rows.filter(pl.col("_malformed").is_null())[key].drop_nulls()
    bad = rows.filter(pl.col("_malformed").is_not_null())["_extra"].to_list()
    records = " ".join(json.loads(text)["_record"] for text in bad)
    return {value.strip() for value in good}, records


@pytest.fixture
def hang_guard() -> Iterator[Callable[[], None]]:
    def timeout(signum: int, frame: object) -> None:
        raise TimeoutError("a variant took too long")

    previous = signal.signal(signal.SIGALRM, timeout)

    def arm() -> None:
        signal.alarm(SECONDS_PER_VARIANT)

    yield arm
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.slow
def test_landing_fuzz_corpus(tmp_path, monkeypatch, caplog, hang_guard):
    monkeypatch.setenv("LOYALTY_LAKE_PII_KEY", ENV_SECRET)
    caplog.set_level(logging.DEBUG)
    lake = Lake(tmp_path / "lake")
    config = load_config(env={})
    clean = tmp_path / "landing" / "b0000"
    clean.mkdir(parents=True)
    for name, text in clean_files().items():
        (clean / name).write_text(text)
    ingest(clean, lake=lake, config=config)

    outcomes: Counter[str] = Counter()
    lost: list[str] = []
    messages: list[str] = []
    for number, variant in enumerate(variants(), start=1):
        batch = tmp_path / "landing" / f"b{number:04d}"
        batch.mkdir()
        path = batch / variant.name
        if variant.make is not None:
            variant.make(path)
        else:
            assert variant.content is not None
            path.write_bytes(variant.content)
        hang_guard()
        try:
            report = ingest(batch, lake=lake, config=config)
        except LandingError as exc:  # a batch-level refusal: said, never raised further
            outcomes["batch refused"] += 1
            messages.append(str(exc))
            continue
        finally:
            signal.alarm(0)
        for outcome in report.files:
            outcomes[outcome.status.value] += 1
            messages.append(outcome.message or "")
            if outcome.status is FileStatus.REJECTED:
                assert outcome.reason, variant
            if outcome.status is not FileStatus.LANDED or variant.content is None:
                continue
            ids, malformed = landed_ids(lake, outcome.table or "", outcome.file_sha256 or "")
            text = variant.content.decode("utf-8-sig", errors="replace")
            records = set(clean_files()[f"{outcome.table}.csv"].splitlines()[1:])
            for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                if line in records and line.split(",")[0] not in ids and line not in malformed:
                    lost.append(f"{variant.family}/{variant.name}: {line.split(',')[0]}")

    hang_guard()
    build_silver(lake=lake, config=config, run_id="fuzz", now=datetime(2026, 11, 1, tzinfo=UTC))
    signal.alarm(0)
    balance = conservation(lake=lake)
    manifest = delta.scan_table(lake.table("bronze", "landed_files")).collect()
    dq = CliRunner().invoke(app, ["dq", "--lake", str(lake.root), "--examples", "50"]).output
    # What people see: messages as the CLI prints them, the dq report, the logs.
    outputs = [*map(masked, messages), dq, masked(manifest.write_csv()), caplog.text]
    leaks = [(secret, i) for secret in SECRETS for i, text in enumerate(outputs) if secret in text]
    variants_count = sum(1 for _ in variants())
    print(
        f"\nlanding fuzz: {variants_count} variants, {dict(outcomes)}, "
        f"rows lost {len(lost)}, leaks {len(leaks)}, "
        f"conservation {'holds' if balance['balanced'].all() else 'BROKEN'}"
    )
    assert lost == []
    assert leaks == []
    assert balance["balanced"].all()
    assert "Internal error" not in dq


def test_hostile_file_names_are_shown_inert(tmp_path):
    """Markup, emoji codes, escapes and e-mails in file names: printed as text, masked."""
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    for variant in variants():
        if variant.family == "hostile names" and variant.content is not None:
            (hostile / variant.name).write_bytes(variant.content)
    shown = (
        CliRunner()
        .invoke(
            app, ["ingest", str(hostile), "--lake", str(tmp_path / "lake2")], terminal_width=400
        )
        .output
    )
    assert "[bold red]x.csv" in shown  # shown as it is: markup of a name is never applied
    assert r"\x1b[31m" in shown  # an escape sequence in a name is shown, never sent
    assert "\x1b" not in shown
    assert not any(secret in shown for secret in SECRETS)
