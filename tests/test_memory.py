"""The memory budget: what it parses, what "auto" reads, and the parts it sizes."""

from __future__ import annotations

import pytest

from loyalty_lake import memory
from loyalty_lake.config import load_config
from loyalty_lake.errors import ConfigError
from loyalty_lake.pipeline import silver as silver_pipeline


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("800000000", 800_000_000),
        ("4GiB", 4 * 2**30),
        ("1.5 GB", 1_500_000_000),
        ("512mib", 512 * 2**20),
        (" 2 TB ", 2 * 10**12),
        ("64KiB", 64 * 1024),
        ("4G", 4 * 2**30),
    ],
)
def test_sizes(text, size):
    assert memory.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "4 GiBs", "-1GB", "1e9", "GB", "4X"])
def test_not_sizes(text):
    with pytest.raises(ValueError, match="not a size"):
        memory.parse_size(text)


def test_auto_plans_for_half_of_the_machine_or_its_container(monkeypatch, tmp_path):
    monkeypatch.setattr(memory, "_CGROUP_LIMITS", (tmp_path / "memory.max",))
    machine = memory.machine_memory()
    assert machine is not None
    assert machine > memory.MIN_BUDGET
    assert memory.budget_bytes("auto") == int(machine * memory.AUTO_SHARE)
    (tmp_path / "memory.max").write_text("max\n")  # a container without a limit
    assert memory.machine_memory() == machine
    (tmp_path / "memory.max").write_text(f"{2**30}\n")  # a container of 1 GiB
    assert memory.machine_memory() == 2**30
    assert memory.budget_bytes("AUTO") == 2**29
    assert memory.describe("auto") == "0.5 GiB (auto: 50% of 1.0 GiB)"


def test_auto_on_a_machine_it_cannot_read(monkeypatch):
    monkeypatch.setattr(memory, "machine_memory", lambda: None)
    assert memory.budget_bytes("auto") == memory.UNKNOWN_MACHINE // 2
    assert "unknown machine" in memory.describe("auto")


@pytest.mark.parametrize(
    ("value", "message"),
    [("plenty", "not a size"), ("1MB", "below the smallest budget")],
)
def test_a_bad_budget_is_named_with_a_hint(value, message):
    with pytest.raises(ConfigError, match=f"'memory_budget' is '{value}', {message}") as err:
        load_config(env={"LOYALTY_LAKE_MEMORY_BUDGET": value})
    assert "4GiB" in err.value.hint


def test_auto_plans_for_at_least_the_smallest_budget(monkeypatch):
    monkeypatch.setattr(memory, "machine_memory", lambda: 100 * 2**20)  # a tiny container
    assert memory.budget_bytes("auto") == memory.MIN_BUDGET
    assert load_config(env={}).memory_budget == "auto"  # accepted, not refused


def test_a_budget_is_a_size_in_text_or_a_number_of_bytes(tmp_path):
    path = tmp_path / "ll.toml"
    path.write_text("memory_budget = 8000000000\n")
    assert memory.budget_bytes(load_config(path, env={}).memory_budget) == 8 * 10**9
    path.write_text("memory_budget = true\n")
    with pytest.raises(ConfigError, match="which is not a size"):
        load_config(path, env={})


def test_silver_parts_follow_the_budget():
    def part_lines(budget: str) -> int:
        return silver_pipeline.part_lines(load_config(env={"LOYALTY_LAKE_MEMORY_BUDGET": budget}))

    fixed, per_line = silver_pipeline.RUN_BYTES, silver_pipeline.LINE_BYTES
    assert part_lines("8GB") == (8 * 10**9 - fixed) // per_line
    assert part_lines("16GB") == (16 * 10**9 - fixed) // per_line
    assert part_lines("64MiB") == silver_pipeline.LEAST_PART_LINES  # less than the run's own
