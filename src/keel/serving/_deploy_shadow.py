"""Shadow copies, predicted off the request path: the answer has already been sent when a
worker thread picks the copy from a bounded queue, predicts it on each shadow version,
logs the shadow's answer (never returned) as ``{deployment}@shadow`` in the prediction
log (request id, version and outputs; the inputs are in the answered row) and counts it:
``shadow_n``, ``shadow_agree`` (same label as the answer; for a regressor within 1 % of
it), ``shadow_errors``, ``shadow_lat_NN`` (its model time) and ``shadow_dropped`` (the
queue was full: shadows never slow the answers down).

Copies are predicted in bursts: after the first copy arrives the thread sleeps
``linger_s`` (nobody wakes it per copy meanwhile), then predicts everything that gathered
in one call per shadow version. Measured with benchmarks/bench_rollout.py on 2 cores
(client on the same machine, 4 clients): one prediction per copy as it arrived added 37 %
to the answers' p50 (the shadow thread contended with the event loop on nearly every
request); bursts every 50 ms added 11-12 %, every 200 ms 4 %.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from typing import Any

import numpy as np

from keel.serving._deploy_memory import Recent
from keel.serving._host import ServedModel
from keel.serving._routing import Tally, latency_bucket

__all__ = ["ShadowJob", "ShadowWorker", "shadow_log_name"]

logger = logging.getLogger("keel.serving.shadow")

#: The shadow thread's nice value (0 = like the answering threads, 19 = the least).
_NICE = 10
#: Copies predicted together at most.
_BATCH = 1024


def shadow_log_name(deployment: str) -> str:
    """The prediction log's model name of a deployment's shadow answers."""
    return f"{deployment}@shadow"


class ShadowJob:
    """One answered request to copy to ``shadows`` (a slotted class: made on the request
    path, where a frozen dataclass's __init__ costs several times more)."""

    __slots__ = ("answer", "at", "deployment", "request_id", "rows", "shadows", "tally")

    def __init__(
        self,
        deployment: str,
        tally: Tally,
        shadows: list[ServedModel],
        request_id: str,
        rows: np.ndarray,
        answer: np.ndarray,
        at: float,
    ):
        self.deployment, self.tally, self.shadows = deployment, tally, shadows
        self.request_id, self.rows, self.answer, self.at = request_id, rows, answer, at


class ShadowWorker:
    """A daemon thread predicting shadow copies; at most ``capacity`` wait.

    The queue is a deque (append and popleft are atomic and take no lock) and an Event
    that only the first copy after a burst sets: the request path pays well under a
    microsecond per copy, and the thread is not woken per copy.
    """

    def __init__(self, capacity: int, memory: Recent, *, linger_s: float = 0.2):
        self._jobs: deque[ShadowJob] = deque()
        self._capacity = capacity
        self._wake = threading.Event()
        self._linger_s = linger_s
        self._memory = memory
        self._log: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        # One writer each (the request path, the shadow thread): plain ints suffice.
        self.submitted = 0
        self.done = 0
        self.dropped = 0

    def start(self, log: Any = None) -> None:
        """Start the thread (in each serving process, after any fork); ``log`` is the
        PredictionLog shadow answers are written to, or None."""
        self._log = log
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="keel-shadow", daemon=True)
            self._thread.start()

    def submit(self, job: ShadowJob) -> bool:
        """Queue ``job``; when ``capacity`` copies wait already, drop it, count it and
        return False."""
        if len(self._jobs) >= self._capacity:
            self.dropped += 1
            for shadow in job.shadows:
                job.tally.add(shadow.version or 0, "shadow_dropped")
            return False
        self._jobs.append(job)
        self.submitted += 1
        if not self._wake.is_set():
            self._wake.set()
        return True

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once every queued copy has been predicted (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self.done < self.submitted and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.done >= self.submitted

    def close(self, timeout: float = 5.0) -> None:
        """Predict what is queued, then stop the thread."""
        if self._thread is None:
            return
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        _lower_priority()
        while True:
            self._wake.wait()
            if not self._stopping and self._linger_s > 0:
                time.sleep(self._linger_s)  # let copies gather: see the module's docstring
            self._wake.clear()  # a copy queued from here on sets it again
            while self._jobs:
                jobs = [self._jobs.popleft() for _ in range(min(_BATCH, len(self._jobs)))]
                try:
                    self._process(jobs)
                except Exception:  # a shadow must never take the server down
                    logger.exception("shadow predictions failed")
                finally:
                    self.done += len(jobs)
            if self._stopping:
                return

    def _process(self, jobs: list[ShadowJob]) -> None:
        groups: dict[int, tuple[ServedModel, list[ShadowJob]]] = {}
        for job in jobs:
            for shadow in job.shadows:
                groups.setdefault(id(shadow), (shadow, []))[1].append(job)
        for shadow, group in groups.values():
            self._predict(shadow, group)

    def _predict(self, shadow: ServedModel, jobs: list[ShadowJob]) -> None:
        version = shadow.version or 0
        try:
            rows = np.concatenate([job.rows for job in jobs]) if len(jobs) > 1 else jobs[0].rows
            started = time.perf_counter()
            out = shadow.predict_rows(rows)
            seconds = time.perf_counter() - started
        except Exception:
            logger.exception("shadow version %s failed on %d copies", version, len(jobs))
            for job in jobs:
                job.tally.add(version, "shadow_errors")
            return
        self._count(shadow, jobs, out, seconds)
        start = 0
        for job in jobs:
            part = out[start : start + len(job.rows)]
            start += len(job.rows)
            self._write(shadow, job, part, seconds)

    def _count(
        self, shadow: ServedModel, jobs: list[ShadowJob], out: np.ndarray, seconds: float
    ) -> None:
        """Counters for a burst at once (per-copy numpy calls cost more than the model)."""
        version = shadow.version or 0
        sizes = np.fromiter((len(job.rows) for job in jobs), dtype=np.intp, count=len(jobs))
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        same = agree_rows(shadow, out, [job.answer for job in jobs])
        agreed = np.logical_and.reduceat(same, starts) if len(same) else same
        bucket = f"shadow_lat_{latency_bucket(seconds):02d}"
        by_tally: dict[int, tuple[Tally, list[int]]] = {}
        for i, job in enumerate(jobs):
            by_tally.setdefault(id(job.tally), (job.tally, []))[1].append(i)
        for tally, members in by_tally.values():
            tally.add(version, "shadow_n", float(len(members)))
            tally.add(version, bucket, float(len(members)))
            tally.add(version, "shadow_agree", float(agreed[members].sum()))
        if shadow.labels is not None:
            firsts = out[starts].argmax(axis=1).tolist()
            for job, index in zip(jobs, firsts, strict=True):
                self._memory.note_shadow(job.request_id, version, shadow.labels[index])

    def _write(self, shadow: ServedModel, job: ShadowJob, out: np.ndarray, seconds: float) -> None:
        if self._log is None:
            return
        # Outputs only: the inputs are in the answered row with the same request id, and
        # writing them twice doubled the log's CPU per request (bench_rollout.py).
        empty = np.empty((len(out), 0))
        name = shadow_log_name(job.deployment)
        self._log.write(name, shadow.version, job.request_id, empty, (), out, seconds, job.at)


def _lower_priority() -> None:
    """Let the kernel prefer the threads that answer when the CPU is short (Linux applies
    a nice value per thread); elsewhere, or when refused, nothing changes."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICE)


def agree_rows(shadow: ServedModel, out: np.ndarray, answers: list[np.ndarray]) -> np.ndarray:
    """Per record, whether the shadow's output agrees with the answer's: the same label
    for a classifier, within 1 % for a regressor."""
    answer = np.concatenate(answers) if len(answers) > 1 else answers[0]
    if out.shape != answer.shape:
        return np.zeros(len(out), dtype=bool)
    if shadow.labels is not None:
        return np.asarray(out.argmax(axis=1) == answer.argmax(axis=1))
    return np.isclose(out, answer, rtol=0.01, atol=1e-12)
