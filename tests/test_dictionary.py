from __future__ import annotations

from pathlib import Path

from loyalty_lake.dictionary import data_dictionary, er_diagram
from loyalty_lake.gold.models import GOLD_MODELS

DOC = Path(__file__).parents[1] / "docs" / "data-dictionary.md"


def test_the_committed_data_dictionary_is_up_to_date():
    assert DOC.read_text() == data_dictionary(), (
        "docs/data-dictionary.md is stale: run "
        "`python -m loyalty_lake.dictionary > docs/data-dictionary.md`"
    )


def test_every_gold_table_and_column_is_described():
    text = data_dictionary()
    for name, model in GOLD_MODELS.items():
        assert f"## {name}" in text
        for column_name, column in model.to_schema().columns.items():
            assert f"`{column_name}`" in text
            assert column.description, f"{name}.{column_name} has no description"


def test_er_diagram_names_every_gold_table():
    diagram = er_diagram()
    assert diagram.startswith("erDiagram")
    for name in GOLD_MODELS:
        assert f"    {name} {{" in diagram
