"""The batching metric writer: ``log_metric`` appends to memory and returns at once.

Durability, exactly:

* A point is durable once a flush that took it has committed: the background flush (every
  ``flush_interval_s``, or as soon as ``flush_batch_points`` are pending), ``run.flush()``,
  the end of the run, or interpreter exit (an ``atexit`` hook).
* SIGKILL, ``os._exit`` or a crash of the interpreter loses the points not yet flushed: at
  most ``flush_interval_s`` seconds' worth, or ``flush_batch_points`` points, whichever
  comes first (plus any the store refused while it was unreachable). Points already
  committed survive: on SQLite a committed transaction survives the process being killed;
  power loss or an OS crash can lose the last transactions (``synchronous=NORMAL``).
* A clean exit — the end of the script, ``sys.exit``, an uncaught exception — flushes
  everything.

Memory is bounded: at ``max_pending_points`` waiting points, ``log_metric`` flushes in the
caller's thread before returning (back-pressure instead of unbounded growth).
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable, Sequence

from keel.errors import StoreError

MetricRow = tuple[str, str, float, int, float]
_log = logging.getLogger("keel.tracking")
_live_writers: weakref.WeakSet[MetricWriter] = weakref.WeakSet()


class MetricWriter:
    """Buffer metric rows and commit them in batches from a background thread.

    Thread-safe. Rows are committed in the order they were appended.
    """

    def __init__(
        self,
        write: Callable[[Sequence[MetricRow]], None],
        *,
        interval_s: float = 1.0,
        batch_points: int = 10_000,
        max_pending: int = 1_000_000,
    ):
        self._write = write
        self._interval_s = interval_s
        self._batch_points = batch_points
        self._max_pending = max_pending
        self._pending: list[MetricRow] = []
        self._lock = threading.Lock()  # guards _pending
        self._io_lock = threading.Lock()  # one batch in flight at a time, in order
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: BaseException | None = None
        _live_writers.add(self)

    def append(self, row: MetricRow) -> None:
        with self._lock:
            self._pending.append(row)
            waiting = len(self._pending)
        if waiting % self._batch_points == 0:
            if self._thread is None:
                self._start()
            self._wake.set()
        if waiting >= self._max_pending:
            self.flush()
        elif self._thread is None:
            self._start()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self) -> None:
        """Commit every row appended before this call; raise StoreError if the store fails."""
        with self._io_lock:
            batch = self._take()
            try:
                self._write(batch)
            except Exception as exc:
                self._put_back(batch)
                raise StoreError(
                    f"Could not write {len(batch)} metric points; they are kept in memory and "
                    f"retried at the next flush: {exc}"
                ) from exc

    def close(self) -> None:
        """Flush and stop the background thread."""
        self._closed.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed.is_set():
                return
            self._thread = threading.Thread(
                target=self._loop, name="keel-metric-writer", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self._interval_s)
            self._wake.clear()
            try:
                self.flush()
                self.last_error = None
            except StoreError as exc:
                self.last_error = exc
                _log.warning("%s", exc)

    def _take(self) -> list[MetricRow]:
        with self._lock:
            batch, self._pending = self._pending, []
        return batch

    def _put_back(self, batch: list[MetricRow]) -> None:
        with self._lock:
            self._pending[:0] = batch


@atexit.register
def _flush_all_at_exit() -> None:
    for writer in list(_live_writers):
        try:
            writer.close()
        except StoreError as exc:
            _log.error("keel: metric points lost at exit: %s", exc)
