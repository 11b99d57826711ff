"""The prefetching iterator landing reads a file's chunks with."""

from __future__ import annotations

import threading

import pytest

from loyalty_lake.io.prefetch import prefetched


def test_items_arrive_in_order_and_all_of_them():
    assert list(prefetched(iter(range(1000)), depth=3)) == list(range(1000))


def test_an_error_arrives_after_the_items_produced_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("row 3 is broken")

    batches = prefetched(items())
    assert [next(batches), next(batches)] == [1, 2]
    with pytest.raises(ValueError, match="row 3 is broken"):
        next(batches)


def test_a_consumer_that_stops_early_stops_the_producer():
    produced = []
    threads = threading.active_count()

    def items():
        for i in range(10_000):
            produced.append(i)
            yield i

    batches = prefetched(items(), depth=2)
    assert next(batches) == 0
    batches.close()  # joins the producer
    assert len(produced) <= 4  # the item taken, the queue's two, the one being offered
    assert threading.active_count() == threads


def test_an_empty_iterator_ends_at_once():
    assert list(prefetched(iter([]))) == []
