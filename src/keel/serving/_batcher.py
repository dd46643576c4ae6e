"""Adaptive micro-batching: the rows of concurrent requests for one model are predicted in
one call and each caller gets its own slice back.

Modes (``serve.batching.mode``):

- ``auto``: a request is predicted at once when nothing else is waiting; requests that
  arrive while the model is busy (or in the same event-loop turn) join the next batch. A lone
  client is never delayed; concurrent clients get batches as large as their overlap.
- ``on``: the first waiting row holds the batch open for up to ``max_wait_us`` or until
  ``max_batch`` rows are waiting (rows, not requests).
- ``off``: one predict call per request.

Fast models (one-row predict measured under ``INLINE_BELOW_S`` while warming) run on the
event loop: a worker-thread hop costs about 40-60 µs of CPU per batch here, more than an
ONNX Runtime call on a few rows. Slow ones run on one worker thread per model, so the loop
keeps parsing and answering while they predict.

Backpressure: beyond ``serve.limits.max_queue_rows`` waiting rows, ``submit`` raises
``Overloaded`` with a Retry-After estimated from the measured throughput.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from keel.serving._errors import Overloaded
from keel.serving._spec import BatchingSpec, LimitsSpec

__all__ = ["INLINE_BELOW_S", "Batcher", "Overloaded"]

#: Models whose one-row predict takes less than this run on the event loop.
INLINE_BELOW_S = 0.0005

_Waiting = tuple[np.ndarray, "asyncio.Future[np.ndarray]"]


class Batcher:
    """Gathers validated rows, shape (n, n_features), into batches for ``predict``.

    Not thread-safe: ``submit`` is called from the event loop only.

    Args:
        predict: rows -> outputs with one leading entry per row.
        spec: serve.batching; limits: serve.limits (max_queue_rows).
        metrics: keel.serving Metrics or None (batch sizes, queue depth).
        model: the model's name, for metrics and the worker thread's name.
        inline: run predict on the event loop (fast models) instead of a worker thread.
    """

    def __init__(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        spec: BatchingSpec,
        limits: LimitsSpec,
        metrics: Any = None,
        *,
        model: str = "",
        inline: bool = False,
    ):
        self._predict = predict
        self._mode = spec.mode
        self._max_batch = 1 if spec.mode == "off" else spec.max_batch
        self._wait_s = spec.max_wait_us / 1e6 if spec.mode == "on" else 0.0
        self._max_queue = limits.max_queue_rows
        self._metrics = metrics
        self._model = model
        self._executor = (
            None if inline else ThreadPoolExecutor(1, thread_name_prefix=f"keel-predict-{model}")
        )
        self._pending: deque[_Waiting] = deque()
        self._pending_rows = 0
        self._running_rows = 0
        self._scheduled: asyncio.Handle | None = None
        self._rows_per_s = 10_000.0
        #: How many batches of each size (rows) were predicted: what batching achieved.
        self.batch_sizes: Counter[int] = Counter()

    @property
    def queued_rows(self) -> int:
        """Rows waiting or being predicted."""
        return self._pending_rows + self._running_rows

    async def submit(self, rows: np.ndarray) -> np.ndarray:
        """The outputs for ``rows`` once their batch is predicted.

        Raises:
            Overloaded: more rows are queued than serve.limits.max_queue_rows allows.
        """
        queued = self.queued_rows
        if queued and queued + len(rows) > self._max_queue:
            raise Overloaded(queued / self._rows_per_s, queued)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self._pending.append((rows, future))
        self._pending_rows += len(rows)
        self._depth()
        self._schedule(loop)
        return await future

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._running_rows:
            return  # the running batch schedules the next one when it finishes
        full = self._pending_rows >= self._max_batch
        if self._scheduled is not None:
            if full and isinstance(self._scheduled, asyncio.TimerHandle):
                self._scheduled.cancel()
                self._scheduled = loop.call_soon(self._flush, loop)
            return
        if self._wait_s and not full:
            self._scheduled = loop.call_later(self._wait_s, self._flush, loop)
        else:
            # call_soon, not now: requests already parsed in this loop turn join the batch.
            self._scheduled = loop.call_soon(self._flush, loop)

    def _take(self) -> list[_Waiting]:
        batch: list[_Waiting] = []
        rows = 0
        while self._pending and (not batch or rows + len(self._pending[0][0]) <= self._max_batch):
            waiting = self._pending.popleft()
            self._pending_rows -= len(waiting[0])
            if not waiting[1].done():  # a caller that timed out is no longer waiting
                batch.append(waiting)
                rows += len(waiting[0])
        return batch

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled = None
        batch = self._take()
        if not batch:
            return
        rows = batch[0][0] if len(batch) == 1 else np.concatenate([r for r, _ in batch])
        self.batch_sizes[len(rows)] += 1
        if self._metrics is not None:
            self._metrics.batch(self._model, len(rows))
        started = time.perf_counter()
        if self._executor is None:
            self._answer(batch, rows, started, loop, self._run, rows)
            return
        self._running_rows = len(rows)
        done = loop.run_in_executor(self._executor, self._run, rows)
        done.add_done_callback(lambda f: self._answer(batch, rows, started, loop, f.result))

    def _run(self, rows: np.ndarray) -> np.ndarray:
        return self._predict(rows)

    def _answer(
        self,
        batch: list[_Waiting],
        rows: np.ndarray,
        started: float,
        loop: asyncio.AbstractEventLoop,
        result: Callable[..., np.ndarray],
        *args: Any,
    ) -> None:
        self._running_rows = 0
        try:
            out = result(*args)
        except BaseException as exc:  # every caller of the batch hears of the failure
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            self._measured(len(rows), time.perf_counter() - started)
            offset = 0
            for part, future in batch:
                if not future.done():
                    future.set_result(out[offset : offset + len(part)])
                offset += len(part)
        self._depth()
        if self._pending:
            self._schedule(loop)

    def _measured(self, rows: int, seconds: float) -> None:
        rate = rows / max(seconds, 1e-6)
        self._rows_per_s = 0.9 * self._rows_per_s + 0.1 * rate

    def _depth(self) -> None:
        if self._metrics is not None:
            self._metrics.queue_depth(self._model, self.queued_rows)
