"""Helpers shared by both halves of a side-by-side benchmark.

Standard library only: this module is imported by keel's interpreter and by the competitor's
interpreter (for instance ``_mlflow_side.py`` in its own virtualenv), so both sides generate
exactly the same data and summarise timings the same way.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

#: The search both tools answer (figure 2). MLflow spells the direction in capitals.
SEARCH_FILTER = "metrics.auc > 0.9 and params.model = 'lightgbm'"
SEARCH_ORDER_KEEL = ["metrics.auc desc"]
SEARCH_ORDER_MLFLOW = ["metrics.auc DESC"]
SEARCH_MAX_RESULTS = 100
SEED = 20240611

_OTHER_MODELS = ("xgboost", "logistic", "random_forest")


def generate_runs(n: int, seed: int = SEED) -> Iterator[dict]:
    """Yield ``n`` synthetic runs: about half lightgbm, ``auc`` uniform in [0.5, 1).

    The first ``k`` runs of ``generate_runs(n)`` equal ``generate_runs(k)``, so a store
    grown from 1,000 to 10,000 runs holds the same first 1,000 as the competitor's.
    """
    rng = random.Random(seed)
    for i in range(n):
        model = "lightgbm" if rng.random() < 0.5 else rng.choice(_OTHER_MODELS)
        yield {
            "name": f"run-{i:05d}",
            "params": {
                "model": model,
                "max_depth": str(rng.randint(2, 12)),
                "learning_rate": f"{rng.uniform(0.01, 0.3):.4f}",
                "n_estimators": str(rng.choice((100, 200, 500, 1000))),
            },
            "metrics": {
                "auc": rng.uniform(0.5, 1.0),
                "logloss": rng.uniform(0.1, 0.7),
                "accuracy": rng.uniform(0.6, 0.99),
                "f1": rng.uniform(0.4, 0.95),
            },
            "tags": {"team": rng.choice(("risk", "growth", "ops"))},
        }


@dataclass
class Sample:
    """One timed repetition: wall seconds and process CPU seconds (all threads)."""

    wall: float
    cpu: float


@contextmanager
def timed(out: list[Sample]) -> Iterator[None]:
    """Append the wall and CPU time of the ``with`` body to ``out``."""
    w0, c0 = time.perf_counter(), time.process_time()
    yield
    out.append(Sample(time.perf_counter() - w0, time.process_time() - c0))


def repeat(fn: Callable[[], object], reps: int, warmup: int = 0) -> list[Sample]:
    """Time ``fn()`` ``reps`` times after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    samples: list[Sample] = []
    for _ in range(reps):
        with timed(samples):
            fn()
    return samples


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize(samples: list[Sample], units: int = 1) -> dict:
    """Median wall/CPU per repetition and per unit of work, plus p95 and the raw values."""
    walls = [s.wall for s in samples]
    cpus = [s.cpu for s in samples]
    wall_p50 = statistics.median(walls)
    cpu_p50 = statistics.median(cpus)
    return {
        "repetitions": len(samples),
        "units_per_repetition": units,
        "wall_s_p50": wall_p50,
        "wall_s_p95": percentile(walls, 95),
        "wall_s_min": min(walls),
        "wall_s_max": max(walls),
        "cpu_s_p50": cpu_p50,
        "wall_per_unit_s": wall_p50 / units,
        "cpu_per_unit_s": cpu_p50 / units,
        "units_per_s": units / wall_p50 if wall_p50 > 0 else None,
        "wall_s": walls,
        "cpu_s": cpus,
    }


def latency_summary(ns: list[int]) -> dict:
    """Per-call latencies in nanoseconds summarised in microseconds: p50, p90, p99, p99.9."""
    us = [n / 1000 for n in ns]
    return {
        "calls": len(us),
        "p50_us": percentile(us, 50),
        "p90_us": percentile(us, 90),
        "p99_us": percentile(us, 99),
        "p999_us": percentile(us, 99.9),
        "mean_us": statistics.fmean(us),
        "min_us": min(us),
        "max_us": max(us),
    }


def time_calls(fn: Callable[[object], object], inputs: list, calls: int) -> tuple[list[int], float]:
    """Call ``fn(x)`` ``calls`` times, cycling through ``inputs``; time each call.

    Returns the per-call wall times in nanoseconds (``time.perf_counter_ns``) and the
    process CPU seconds of the whole loop.
    """
    clock = time.perf_counter_ns
    ns: list[int] = [0] * calls
    n = len(inputs)
    c0 = time.process_time()
    for i in range(calls):
        x = inputs[i % n]
        t0 = clock()
        fn(x)
        ns[i] = clock() - t0
    return ns, time.process_time() - c0
