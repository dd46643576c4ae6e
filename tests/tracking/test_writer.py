"""The batching metric writer: order, batching, back-pressure and a failing store."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from keel.errors import StoreError
from keel.tracking._writer import MetricRow, MetricWriter


class Sink:
    """Collects committed batches; can be told to fail, like an unreachable database."""

    def __init__(self) -> None:
        self.batches: list[list[MetricRow]] = []
        self.failing = False

    def __call__(self, rows: Sequence[MetricRow]) -> None:
        if self.failing:
            raise OSError("database is unreachable")
        if rows:
            self.batches.append(list(rows))

    @property
    def rows(self) -> list[MetricRow]:
        return [row for batch in self.batches for row in batch]


def _row(i: int) -> MetricRow:
    return ("run", "m", float(i), i, 0.0)


def test_rows_are_committed_in_order_from_many_threads() -> None:
    sink = Sink()
    writer = MetricWriter(sink, interval_s=0.01, batch_points=100)

    def log(offset: int) -> None:
        for i in range(5_000):
            writer.append(("run", f"t{offset}", float(i), i, 0.0))

    threads = [threading.Thread(target=log, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert len(sink.rows) == 20_000
    for t in range(4):
        steps = [r[3] for r in sink.rows if r[1] == f"t{t}"]
        assert steps == list(range(5_000))


def test_a_full_batch_wakes_the_flusher_before_the_interval() -> None:
    sink = Sink()
    writer = MetricWriter(sink, interval_s=60, batch_points=10)
    for i in range(10):
        writer.append(_row(i))
    deadline = time.monotonic() + 5
    while not sink.rows and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sink.rows) == 10
    writer.close()


def test_back_pressure_flushes_in_the_caller() -> None:
    sink = Sink()
    writer = MetricWriter(sink, interval_s=60, batch_points=1_000_000, max_pending=50)
    for i in range(50):
        writer.append(_row(i))
    assert writer.pending == 0 and len(sink.rows) == 50
    writer.close()


def test_failed_flush_keeps_rows_and_retries() -> None:
    sink = Sink()
    writer = MetricWriter(sink, interval_s=60, batch_points=1_000)
    for i in range(3):
        writer.append(_row(i))
    sink.failing = True
    with pytest.raises(StoreError, match=r"3 metric points.*kept in memory.*unreachable"):
        writer.flush()
    writer.append(_row(3))
    assert writer.pending == 4
    sink.failing = False
    writer.flush()
    assert [r[3] for r in sink.rows] == [0, 1, 2, 3]
    writer.close()
