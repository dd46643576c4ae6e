"""The prediction log: every prediction written for monitoring, off the request path.

``write`` only appends a tuple (references to the request's arrays, not copies) to an
in-memory list under a lock held for a few instructions: it never waits for a disk.
A writer thread wakes every ``flush_interval_s`` and turns what has gathered into
Parquet segments (see ``keel.store._prediction_log`` for the layout). When more than
``max_pending_rows`` rows gather first (the writer fell behind), the whole list is
handed to a spill thread that parks it on disk as Arrow files, which the writer turns
into segments later: memory stays bounded, nothing is dropped and no request waits.
``close()`` writes everything that is left.

Arrays passed to ``write`` must not be changed afterwards (the serving app makes new
ones for every request).

Example:
    >>> import tempfile, numpy as np
    >>> from keel.serving._spec import PredictionLogSpec
    >>> folder = Path(tempfile.mkdtemp())
    >>> log = PredictionLog(folder, PredictionLogSpec())
    >>> log.write("churn", 3, "req-1", np.array([[1.0, 2.0]]), ["age", "spend"],
    ...           np.array([0.7]), latency_s=0.0002)
    >>> log.feedback("churn", "req-1", label=1)
    >>> log.close()
    >>> df = read_predictions(folder, "churn")
    >>> list(df.columns), len(df)
    (['request_id', 'row', 'at', 'latency_s', 'version', 'age', 'spend', 'output'], 1)
    >>> read_feedback(folder, "churn").merge(df, on="request_id")[["label", "output"]]
      label  output
    0     1     0.7
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from keel.serving._predlog_spill import SpillFolder
from keel.serving._predlog_tables import Feedback, Queued, rows_of, tables_by_segment
from keel.serving._spec import PredictionLogSpec
from keel.store._prediction_log import (
    SegmentKey,
    read_feedback,
    read_predictions,
    read_spill,
    write_segment,
    write_spill,
)

__all__ = ["PredictionLog", "read_feedback", "read_predictions"]

logger = logging.getLogger("keel.serving.predlog")


class PredictionLog:
    """Writes predictions and feedback under ``folder``; thread-safe, never blocking.

    Attributes:
        rows_spilled: rows that went through the disk because the writer fell behind.
        segments_written: Parquet segments written so far.
    """

    def __init__(self, folder: Path | str, spec: PredictionLogSpec):
        self.folder = Path(folder)
        self.spec = spec
        self.rows_spilled = 0
        self.segments_written = 0
        self._lock = threading.Lock()
        self._pending: list[Queued] = []
        self._pending_rows = 0
        self._overflow: deque[list[Queued]] = deque()
        self._closed = False
        self._spill = SpillFolder(self.folder)
        self._spill_done = threading.Event()
        self._wake_spiller = threading.Event()
        self._wake_writer = threading.Event()
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._spill_loop, name="keel-predlog-spill", daemon=True),
            threading.Thread(target=self._write_loop, name="keel-predlog-write", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def write(
        self,
        model: str,
        version: int | None,
        request_id: str,
        inputs: np.ndarray,
        columns: Sequence[str],
        outputs: np.ndarray,
        latency_s: float,
        at: float | None = None,
    ) -> None:
        """Log one request's rows: inputs (n_rows, n_columns) after validation, outputs
        (n_rows,) or (n_rows, n_outputs); ``at`` in seconds since the epoch (now)."""
        at = time.time() if at is None else at
        # A plain tuple, not the Prediction NamedTuple: the cyclic GC untracks an exact tuple
        # of untracked items (str, numbers, ndarrays, the validator's tuple of column names)
        # at its first collection, so a flush interval's worth of queued requests (about
        # 30,000 at 6,000 requests/s) is never scanned by the full collections that run
        # every ~0.4 s under load. Measured at 16 connections with the loaded heap frozen
        # (_server_gc): with NamedTuples queued those collections grew to 14-17 ms before
        # each flush; with plain tuples they stay at 0.2-1.5 ms.
        entry = (model, version, request_id, inputs, columns, outputs, latency_s, at)
        self._put(entry, len(outputs))

    def feedback(
        self,
        model: str,
        request_id: str,
        *,
        label: Any = None,
        reward: float | None = None,
        at: float | None = None,
    ) -> None:
        """Log the true label (kept as text) or a reward for an earlier request."""
        self._put(Feedback(model, request_id, label, reward, time.time() if at is None else at), 1)

    def close(self) -> None:
        """Write everything still queued or spilled, then stop the threads. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._spill_done.set()
        self._wake_spiller.set()
        self._threads[0].join()
        self._stopping = True
        self._wake_writer.set()
        self._threads[1].join()
        self._spill.close()

    def __enter__(self) -> PredictionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- request path ------------------------------------------------------------------

    def _put(self, entry: Queued, rows: int) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("The prediction log is closed; nothing more can be written.")
            self._pending.append(entry)
            self._pending_rows += rows
            if self._pending_rows < self.spec.max_pending_rows:
                return
            self._overflow.append(self._pending)
            self._pending, self._pending_rows = [], 0
        self._wake_spiller.set()

    # -- background --------------------------------------------------------------------

    def _spill_loop(self) -> None:
        while True:
            self._wake_spiller.wait()
            self._wake_spiller.clear()
            while self._overflow:
                entries = self._overflow.popleft()
                if not self._spill_entries(entries):
                    self._write_directly(entries)
            if self._spill_done.is_set() and not self._overflow:
                return

    def _spill_entries(self, entries: list[Queued]) -> bool:
        try:
            for key, tables in tables_by_segment(entries).items():
                for table in tables:
                    write_spill(self._spill.path, self._spill.next_name(), key, table)
                    self.rows_spilled += table.num_rows
        except OSError:
            logger.exception("prediction log: spilling under %s failed", self._spill.path)
            return False
        return True

    def _write_directly(self, entries: list[Queued]) -> None:
        """The disk refused a spill file: hand the rows back to the writer, which retries
        every interval (memory grows meanwhile; losing rows would be worse)."""
        with self._lock:
            self._pending.extend(entries)
            self._pending_rows += sum(map(rows_of, entries))

    def _write_loop(self) -> None:
        while True:
            self._wake_writer.wait(self.spec.flush_interval_s)
            self._wake_writer.clear()
            stopping = self._stopping
            try:
                self._write_pending()
                self._write_spilled()
            except Exception:  # the log must outlive a full disk; it retries next time
                logger.exception("prediction log: writing under %s failed", self.folder)
                if stopping:
                    return
            if stopping:
                return

    def _write_pending(self) -> None:
        with self._lock:
            entries, self._pending, self._pending_rows = self._pending, [], 0
        if not entries:
            return
        try:
            self._write_segments(tables_by_segment(entries))
        except OSError:
            if not self._stopping:  # keep them for the next interval (through the spill)
                with self._lock:
                    self._overflow.append(entries)
                self._wake_spiller.set()
            raise

    def _write_spilled(self) -> None:
        """Turn spill files into segments, about ``max_segment_rows`` rows at a time."""
        files = self._spill.files()
        while files:
            batch: dict[SegmentKey, list[pa.Table]] = {}
            done, rows = [], 0
            while files and rows < self.spec.max_segment_rows:
                key, table = read_spill(files[0])
                batch.setdefault(key, []).append(table)
                done.append(files.pop(0))
                rows += table.num_rows
            self._write_segments(batch)
            for path in done:
                path.unlink()

    def _write_segments(self, found: dict[SegmentKey, list[pa.Table]]) -> None:
        for key, tables in found.items():
            table = pa.concat_tables(tables, promote_options="permissive")
            for start in range(0, table.num_rows, self.spec.max_segment_rows):
                write_segment(self.folder, key, table.slice(start, self.spec.max_segment_rows))
                self.segments_written += 1
