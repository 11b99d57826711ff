"""Lake operations keep the lake consistent: restore, vacuum, snapshots, conservation.

Each test works on its own copy of one small built lake (three batches).
"""

from __future__ import annotations

import shutil
import threading

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import loyalty_lake as ll
from loyalty_lake.config import Config
from loyalty_lake.errors import ConservationError, LakePathError, TableNotFoundError
from loyalty_lake.gold.models import GOLD_MODELS
from loyalty_lake.io import catalog, delta
from loyalty_lake.pipeline import check_conservation, maintenance, status
from loyalty_lake.pipeline.gold import build_gold
from loyalty_lake.pipeline.statement import points_statement

CONFIG = Config()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    lake = ll.Lake(tmp_path_factory.mktemp("restore") / "lake")
    ll.generate(lake.landing, ll.GeneratorOptions(lines=3_000, batches=3, seed=11))
    ll.build(lake=lake, config=CONFIG)
    return lake


@pytest.fixture
def lake(built, tmp_path):
    shutil.copytree(built.root, tmp_path / "lake", symlinks=True)
    return ll.Lake(tmp_path / "lake")


def gold_of(lake: ll.Lake) -> dict[str, pl.DataFrame]:
    """Every gold table; of the outbox, the messages due (it keeps those an earlier state made)."""
    snapshot = catalog.gold_snapshot(lake)
    tables = {name: snapshot.scan(name).collect() for name in GOLD_MODELS}
    tables["notifications"] = (
        tables["notifications"].filter(pl.col("status") != "CANCELLED").drop("created_at")
    )
    return tables


def assert_same_gold(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> None:
    assert left.keys() == right.keys()
    for name, rows in left.items():
        sortable = [c for c, t in rows.schema.items() if not isinstance(t, pl.List)]
        assert_frame_equal(rows.sort(sortable), right[name].sort(sortable), check_exact=True)


def customer(lake: ll.Lake) -> str:
    ledger = catalog.gold_snapshot(lake).scan("points_ledger")
    return ledger.select(pl.col("customer_id").first()).collect().item()


# --- restore, layer by layer ----------------------------------------------------------------


def test_restoring_a_bronze_table_restores_the_batch_with_its_manifest_and_downstream(lake):
    before = gold_of(lake)
    restored = maintenance.restore(lake=lake, table="bronze/sales_lines", version=0, config=CONFIG)
    assert restored.unlanded == ("2026-10-30", "2026-10-31")
    assert restored.rebuilt
    check_conservation(lake=lake)  # bronze, its manifest and silver agree
    manifest = ll.scan(lake, "bronze", "landed_files").collect()
    assert set(manifest["batch_id"]) == {"2026-10-29"}
    assert set(ll.scan(lake, "silver", "sales_lines").collect()["_batch_id"]) == {"2026-10-29"}
    # The next build lands the two batches again and converges to the same gold.
    assert ll.build(lake=lake, config=CONFIG).clean
    assert_same_gold(gold_of(lake), before)


@pytest.mark.parametrize("table", ["silver/sales_lines", "silver/rejects", "silver/customers"])
def test_restoring_a_silver_table_derives_silver_again_from_bronze(lake, table):
    before = gold_of(lake)
    restored = maintenance.restore(lake=lake, table=table, version=0, config=CONFIG)
    assert restored.rebuilt
    assert not restored.unlanded
    assert "silver/processed_files" in restored.tables  # the layer goes back as a whole
    check_conservation(lake=lake)
    assert_same_gold(gold_of(lake), before)
    assert ll.build(lake=lake, config=CONFIG).clean
    assert_same_gold(gold_of(lake), before)


def test_restoring_a_gold_table_restores_its_whole_snapshot_and_the_export(lake, tmp_path):
    published = catalog.gold_snapshot(lake)
    old_export = pl.read_parquet(lake.export / "points_ledger.parquet")
    build_gold(lake=lake, config=CONFIG, run_id="earlier", as_of=published.as_of.replace(day=1))
    assert catalog.gold_snapshot(lake).snapshot == published.snapshot + 1

    version = published.versions["customer_details"]
    restored = maintenance.restore(lake=lake, table="gold/customer_details", version=version)
    now = catalog.gold_snapshot(lake)
    assert now.restored_from == published.snapshot
    assert now.as_of == published.as_of
    assert restored.snapshot == now.snapshot
    assert_same_gold(
        {n: t for n, t in gold_of(lake).items() if n != "notifications"},
        {n: published.scan(n).collect() for n in GOLD_MODELS if n != "notifications"},
    )
    # The statement's ledger and balance agree again, and so does the export.
    statement = points_statement(lake=lake, customer_id=customer(lake))
    assert statement.ledger["points"].sum() == statement.balance
    assert statement.as_of == published.as_of
    exported = pl.read_parquet(lake.export / "points_ledger.parquet")
    assert_frame_equal(
        exported.sort("customer_id", "sequence"), old_export.sort("customer_id", "sequence")
    )


def test_a_build_after_a_gold_restore_says_it_republishes(lake, caplog):
    as_of = catalog.gold_snapshot(lake).as_of
    build_gold(lake=lake, config=CONFIG, run_id="earlier", as_of=as_of.replace(day=1))
    maintenance.restore(lake=lake, table="gold/snapshots", version=0)
    build_gold(lake=lake, config=CONFIG, run_id="same", as_of=as_of)
    assert "restored" not in caplog.text  # the same gold: nothing republished
    build_gold(lake=lake, config=CONFIG, run_id="next", as_of=as_of.replace(day=2))
    assert "had been restored to snapshot 0" in caplog.text


def test_gold_is_restored_only_to_published_snapshots(lake):
    with pytest.raises(TableNotFoundError, match="no version 99"):
        maintenance.restore(lake=lake, table="gold/customer_details", version=99)
    with pytest.raises(TableNotFoundError, match="no version 7"):
        maintenance.restore(lake=lake, table="gold/snapshots", version=7)


def test_a_version_deleted_by_vacuum_is_refused_and_nothing_changes(lake):
    as_of = catalog.gold_snapshot(lake).as_of
    build_gold(lake=lake, config=CONFIG, run_id="earlier", as_of=as_of.replace(day=1))
    maintenance.vacuum(lake=lake, retention_hours=0, dry_run=False)
    versions = {p.name: delta.table_version(p) for p in catalog.present(lake, "gold")}
    with pytest.raises(TableNotFoundError, match="vacuum deleted its files"):
        maintenance.restore(lake=lake, table="gold/snapshots", version=0)
    assert versions == {p.name: delta.table_version(p) for p in catalog.present(lake, "gold")}


# --- conservation sees what bronze lost ------------------------------------------------------


def test_conservation_counts_from_the_manifest(lake):
    """A bronze table put back alone (behind loyalty_lake's back) loses rows that landed."""
    delta.restore_table(lake.table("bronze", "sales_lines"), 0, metadata={"run_id": "x"})
    with pytest.raises(ConservationError, match="rows landed") as error:
        check_conservation(lake=lake)
    assert "restore bronze/landed_files" in (error.value.hint or "")


def test_master_rows_in_silver_must_come_from_accepted_rows(lake):
    table = check_conservation(lake=lake)
    masters = table.filter(pl.col("table") == "customers")
    assert masters["in_silver"].sum() == ll.scan(lake, "silver", "customers").collect().height
    assert (masters["in_silver"] <= masters["accepted"]).all()


# --- metadata that survives maintenance -------------------------------------------------------


def test_as_of_survives_vacuum_and_optimize(lake):
    as_of = catalog.gold_snapshot(lake).as_of.replace(day=2)
    ll.build(lake=lake, config=CONFIG, as_of=as_of)  # a second build: old versions to vacuum
    maintenance.optimize(lake=lake)
    maintenance.vacuum(lake=lake, retention_hours=0, dry_run=False)
    last = delta.last_commit(lake.table("gold", "customer_details"))
    assert last.operation == "VACUUM END"
    assert catalog.gold_snapshot(lake).as_of == as_of
    statement = points_statement(lake=lake, customer_id=customer(lake))
    assert statement.as_of == as_of
    assert statement.ledger["points"].sum() == statement.balance


def test_layer_folders_tolerate_unrelated_files(lake):
    (lake.layer("gold") / "README.txt").write_text("our notes")
    (lake.layer("silver") / "scratch").mkdir()
    names = {(t.layer, t.name) for t in status(lake=lake)}
    assert ("gold", "customer_details") in names
    assert ("gold", "README.txt") not in names
    maintenance.optimize(lake=lake)
    maintenance.vacuum(lake=lake, retention_hours=0, dry_run=False)


def test_status_reads_one_commit_even_if_the_log_grows_while_it_reads(lake, monkeypatch):
    real = delta.DeltaTable.history

    def growing(self, limit=None):  # another process committed between two reads
        return real(self, None if limit is None else limit + 1)

    ll.build(lake=lake, config=CONFIG, as_of=catalog.gold_snapshot(lake).as_of.replace(day=2))
    monkeypatch.setattr(delta.DeltaTable, "history", growing)
    assert status(lake=lake)
    path = lake.table("gold", "snapshots")
    assert delta.last_commit(path).version == delta.table_version(path)


# --- one consistent snapshot -------------------------------------------------------------------


def test_a_reader_never_sees_two_builds_mixed(lake):
    """Republish gold for alternating dates while a reader reads the ledger and the balances."""
    as_of = catalog.gold_snapshot(lake).as_of
    dates = [as_of.replace(day=d) for d in (5, 20, 12, 28)]
    mixed: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            snapshot = catalog.gold_snapshot(lake)
            ledger = snapshot.scan("points_ledger").select(pl.col("points").sum()).collect()
            details = snapshot.scan("customer_details")
            balances = details.select(pl.col("total_loyalty_points").sum()).collect()
            daily = snapshot.scan("loyalty_daily").select(pl.col("date").max()).collect()
            if ledger.item() != balances.item() or daily.item() != snapshot.as_of:
                mixed.append(f"snapshot {snapshot.snapshot}")

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for day in dates:
            build_gold(lake=lake, config=CONFIG, run_id=f"r{day}", as_of=day)
    finally:
        done.set()
        reader.join()
    assert not mixed


def test_an_interrupted_publish_leaves_readers_on_the_last_snapshot(lake):
    published = catalog.gold_snapshot(lake)
    details = published.scan("customer_details").collect()
    delta.write_table(  # a build stopped after writing one table
        lake.table("gold", "customer_details"),
        details.head(1),
        mode="overwrite",
        metadata={"run_id": "killed"},
    )
    assert ll.scan(lake, "gold", "customer_details").collect().height == details.height
    with pytest.raises(LakePathError, match="half-published"):
        maintenance.vacuum(lake=lake, retention_hours=0, dry_run=False)
    ll.build(lake=lake, config=CONFIG)
    assert_frame_equal(
        ll.scan(lake, "gold", "customer_details").collect().sort("customer_id"),
        details.sort("customer_id"),
    )
    maintenance.vacuum(lake=lake, retention_hours=0, dry_run=False)


# --- upgrades, the library's simple calls, truthful logs ------------------------------------


def test_a_gold_table_of_an_older_schema_is_replaced(lake):
    old = pl.DataFrame({"segment": ["Others"], "customers": [1]})
    delta.write_table(
        lake.table("gold", "segment_summary"), old, mode="overwrite", metadata={}, new_schema=True
    )
    assert ll.build(lake=lake, config=CONFIG).clean
    summary = ll.scan(lake, "gold", "segment_summary").collect()
    assert summary.schema == catalog.table_schema("gold", "segment_summary")


def test_refusals_an_older_version_put_in_rejects_are_removed(lake):
    rejects = ll.scan(lake, "silver", "rejects").collect()
    legacy = rejects.head(1).with_columns(pl.lit("gold").alias("stage"), pl.lit("R?").alias("key"))
    delta.write_table(lake.table("silver", "rejects"), legacy, mode="append", metadata={})
    build_gold(lake=lake, config=CONFIG, run_id="upgrade", as_of=None)
    after = ll.scan(lake, "silver", "rejects").collect()
    assert after.filter(pl.col("stage") == "gold").is_empty()
    assert after.height == rejects.height


def test_reprocess_takes_just_the_lake_and_republishes_gold(lake):
    report = ll.reprocess(str(lake.root))
    assert report.promoted == 0
    assert report.gold is None  # nothing moved: gold stays as published
    later = catalog.gold_snapshot(lake).as_of.replace(day=3)
    report = ll.reprocess(lake.root, as_of=later)
    assert report.gold is not None
    assert catalog.gold_snapshot(lake).as_of == later


def test_an_as_of_beyond_the_data_warns(lake, caplog):
    latest = catalog.gold_snapshot(lake).as_of
    build_gold(lake=lake, config=CONFIG, run_id="future", as_of=latest.replace(year=2030))
    assert "after the latest transaction" in caplog.text


def test_a_lake_fed_from_elsewhere_builds_without_a_landing_warning(lake, caplog):
    shutil.rmtree(lake.landing)
    assert ll.build(lake=lake, config=CONFIG).clean
    assert "No landing batches" not in caplog.text
    with pytest.raises(ll.LandingError, match="does not exist"):
        ll.build(lake=lake, config=CONFIG, landing=lake.root / "elsewhere")


def test_a_lake_given_as_a_folder_name_whose_only_file_is_empty_builds(tmp_path):
    batch = tmp_path / "landing" / "b1"
    batch.mkdir(parents=True)
    (batch / "stores.csv").write_text("store_id,store_name,store_city,store_region,opening_date\n")
    report = ll.build(lake=str(tmp_path / "lake"), landing=tmp_path / "landing", config=CONFIG)
    assert report.clean
    balance = check_conservation(lake=ll.Lake(tmp_path / "lake"))
    assert balance.select("table", "landed_rows", "bronze_rows", "balanced").rows() == [
        ("stores", 0, 0, True)
    ]


def test_the_reprocess_command_republishes_gold_when_rows_move(lake, monkeypatch):
    import importlib

    from typer.testing import CliRunner

    from loyalty_lake import cli

    pipeline_build = importlib.import_module("loyalty_lake.pipeline.build")
    monkeypatch.setattr(pipeline_build, "reprocess", lambda **kwargs: 3)  # three rows promoted
    result = CliRunner().invoke(cli.app, ["reprocess", "--lake", str(lake.root)])
    assert result.exit_code == 0, result.output
    assert "Promoted 3" in result.output
    assert "Gold published again" in result.output


# --- the notification outbox across builds ---------------------------------------------------


def test_rebuilding_never_duplicates_a_notification_and_keeps_what_was_sent(lake):
    from loyalty_lake.io.notify import JsonLinesSink
    from loyalty_lake.pipeline.notify import deliver

    outbox = ll.scan(lake, "gold", "notifications").collect()
    assert outbox.height > 0
    assert outbox["notification_id"].is_unique().all()
    ll.build(lake=lake, config=CONFIG)
    assert_frame_equal(ll.scan(lake, "gold", "notifications").collect(), outbox)

    report = deliver(lake=lake, sink=JsonLinesSink(lake.root / "outbox" / "messages.jsonl"))
    assert report.sent == outbox.height
    ll.build(lake=lake, config=CONFIG, as_of=catalog.gold_snapshot(lake).as_of)
    after = ll.scan(lake, "gold", "notifications").collect()
    assert set(after["notification_id"]) == set(outbox["notification_id"])
    assert set(after["status"]) == {"SENT"}


def test_a_restored_gold_is_kept_by_the_next_build_only_if_asked(lake):
    from typer.testing import CliRunner

    from loyalty_lake import cli

    as_of = catalog.gold_snapshot(lake).as_of
    build_gold(lake=lake, config=CONFIG, run_id="later", as_of=as_of.replace(day=2))
    maintenance.restore(lake=lake, table="gold/snapshots", version=0)
    restored = catalog.gold_snapshot(lake)
    args = ["build", str(lake.landing), "--lake", str(lake.root), "--as-of", "2026-10-03"]
    kept = CliRunner().invoke(cli.app, [*args, "--keep-restored-gold"])
    assert kept.exit_code == 0, kept.output
    assert catalog.gold_snapshot(lake) == restored
    assert "Gold stays as restored to snapshot 0" in " ".join(kept.output.split())
    republished = CliRunner().invoke(cli.app, args)
    assert republished.exit_code == 0, republished.output
    now = catalog.gold_snapshot(lake)
    assert now.restored_from is None
    assert now.as_of.isoformat() == "2026-10-03"
