"""Lazy exports (``loyalty_lake/_lazy.py``): the public names work as eager imports did."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import loyalty_lake as ll

PACKAGES = [
    "loyalty_lake",
    "loyalty_lake.pipeline",
    "loyalty_lake.landing",
    "loyalty_lake.landing.generator",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_resolves_and_is_listed(name: str):
    package = importlib.import_module(name)
    for public in package.__all__:
        assert getattr(package, public) is not None, public
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        _ = package.nothing_here


def test_names_are_the_objects_they_name():
    build_module = importlib.import_module("loyalty_lake.pipeline.build")
    assert ll.build is build_module.build
    assert ll.reprocess is build_module.reprocess_rejects
    assert ll.Lake is importlib.import_module("loyalty_lake.io.lake").Lake
    options = importlib.import_module("loyalty_lake.landing.generator.options")
    assert ll.GeneratorOptions is options.GeneratorOptions


def test_a_function_named_like_its_module_stays_the_function():
    # In a fresh interpreter, the modules load before the package's names are used:
    # the import system then binds pipeline.build (and .ingest, .status) to the module.
    code = (
        "import loyalty_lake.pipeline.build, loyalty_lake.pipeline.ingest\n"
        "import loyalty_lake.pipeline.status\n"
        "import loyalty_lake as ll\n"
        "from loyalty_lake import pipeline\n"
        "from loyalty_lake.pipeline import build, ingest, status\n"
        "assert callable(build) and callable(ingest) and callable(status)\n"
        "assert pipeline.build is build is ll.build\n"
        "assert sys.modules['loyalty_lake.pipeline.build'].build is build\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
