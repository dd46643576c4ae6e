"""Concept drift on a 0/1 error stream: keel's detectors vs river's, same stream, same run.

Issue 10's figure: on a 1,000,000-value error stream with one change, keel's ADWIN takes
at least river's ADWIN throughput one value at a time and more when fed a batch, finds
the change within 2,000 values, and raises no alarm before it (river's Page-Hinkley with
its defaults raised 98 here).

The stream (seeded): ``n`` values of a classifier's mistakes, 1 with probability 0.10 up
to the middle and 0.20 after it (one abrupt change at ``n // 2``). For each detector
(ADWIN, DDM, EDDM, Page-Hinkley) three runs over that same stream:

- river: river's class with river's defaults, the loop a user writes
  (``d.update(x); if d.drift_detected: ...``) over a Python list;
- keel, one at a time: ``detector.update(x)`` over the same list, keel's defaults;
- keel, batch: ``detector.update_many(array)``, keel's defaults.

CPU time (``time.process_time``, median of ``repeats``), values per CPU second, alarms
before the change (false alarms), the first alarm at or after it and its delay, keel's
estimated change point, and whether keel's two paths found the same changes. Called by
part E's ``bench_drift.py`` (``run_concept_benchmark``); also runs alone:
``python benchmarks/_drift_concept.py --n 1000000``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

DETECTORS = ("adwin", "ddm", "eddm", "page_hinkley")
RATES = (0.10, 0.20)


def error_stream(n: int, seed: int) -> np.ndarray:
    """``n`` 0/1 errors, rate 0.10 before ``n // 2`` and 0.20 from there on."""
    rng = np.random.default_rng(seed)
    half = n // 2
    return np.concatenate([rng.random(half) < RATES[0], rng.random(n - half) < RATES[1]]).astype(
        np.float64
    )


def _cpu(fn: Callable[[], list[int]], repeats: int) -> tuple[float, list[int]]:
    times, alarms = [], []
    for _ in range(repeats):
        c0 = time.process_time()
        alarms = fn()
        times.append(time.process_time() - c0)
    return statistics.median(times), alarms


def _river_loop(name: str, values: list[float]) -> list[int]:
    from river import drift

    kinds = {
        "adwin": drift.ADWIN,
        "ddm": drift.binary.DDM,
        "eddm": drift.binary.EDDM,
        "page_hinkley": drift.PageHinkley,
    }
    detector = kinds[name]()
    alarms = []
    for i, x in enumerate(values):
        detector.update(x)
        if detector.drift_detected:
            alarms.append(i)
    return alarms


def _keel_one(name: str, values: list[float], keep: dict[str, Any]) -> list[int]:
    from keel.monitoring import concept_detector

    detector = concept_detector(name)
    update = detector.update
    for x in values:
        update(x)
    keep["one"] = detector.changes
    return [c.index for c in detector.changes]


def _keel_batch(name: str, array: np.ndarray, keep: dict[str, Any]) -> list[int]:
    from keel.monitoring import concept_detector

    detector = concept_detector(name)
    found = detector.update_many(array)
    keep["batch"] = detector.changes
    return found


def _row(
    name: str,
    impl: str,
    n: int,
    cpu: float,
    alarms: list[int],
    change: int,
    point: int | None = None,
) -> dict[str, Any]:
    after = [i for i in alarms if i >= change]
    return {
        "detector": name,
        "implementation": impl,
        "cpu_s": round(cpu, 4),
        "values_per_cpu_s": round(n / cpu) if cpu > 0 else None,
        "false_alarms_before_change": sum(1 for i in alarms if i < change),
        "alarms": len(alarms),
        "first_alarm_after_change": after[0] if after else None,
        "delay": after[0] - change if after else None,
        "change_point": point,
    }


def run_concept_benchmark(n: int = 1_000_000, seed: int = 0, *, repeats: int = 3) -> dict:
    """Time keel's and river's four detectors on one seeded error stream of ``n`` values.

    Returns a JSON-able dict: ``rows`` (one per detector and implementation), ``agree``
    (keel's batch and one-at-a-time paths found the same changes, per detector),
    ``figures`` (ADWIN's throughput ratios, delay, false alarms) and ``markdown`` (a table).
    """
    import river.drift  # noqa: F401

    import keel.monitoring._concept_report  # noqa: F401  (imports outside the timings)

    array = error_stream(n, seed)
    values = array.tolist()
    change = n // 2
    rows, agree = [], {}
    for name in DETECTORS:
        keep: dict[str, Any] = {}
        cpu, alarms = _cpu(lambda name=name: _river_loop(name, values), repeats)
        rows.append(_row(name, "river, one at a time (river defaults)", n, cpu, alarms, change))
        cpu, alarms = _cpu(lambda name=name, keep=keep: _keel_one(name, values, keep), repeats)
        rows.append(_row(name, "keel, one at a time", n, cpu, alarms, change))
        cpu, alarms = _cpu(lambda name=name, keep=keep: _keel_batch(name, array, keep), repeats)
        after = [c for c in keep["batch"] if c.index >= change]
        point = after[0].change_point if after else None
        rows.append(_row(name, "keel, batch", n, cpu, alarms, change, point))
        agree[name] = keep["batch"] == keep["one"]
    return {
        "n": n,
        "seed": seed,
        "repeats": repeats,
        "change_at": change,
        "error_rates": list(RATES),
        "rows": rows,
        "agree": agree,
        "figures": _figures(rows),
        "markdown": _markdown(n, change, rows, agree),
    }


def _figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def pick(prefix: str) -> dict[str, Any]:
        return next(
            r for r in rows if r["detector"] == "adwin" and r["implementation"].startswith(prefix)
        )

    river, one, batch = pick("river"), pick("keel, one"), pick("keel, batch")
    return {
        "adwin_river_one_values_per_s": river["values_per_cpu_s"],
        "adwin_keel_one_values_per_s": one["values_per_cpu_s"],
        "adwin_keel_batch_values_per_s": batch["values_per_cpu_s"],
        "adwin_batch_speedup_vs_river": round(river["cpu_s"] / batch["cpu_s"], 2),
        "adwin_one_at_a_time_vs_river": round(river["cpu_s"] / one["cpu_s"], 2),
        "adwin_delay": batch["delay"],
        "keel_false_alarms_before_change": {
            r["detector"]: r["false_alarms_before_change"]
            for r in rows
            if r["implementation"] == "keel, batch"
        },
        "river_false_alarms_before_change": {
            r["detector"]: r["false_alarms_before_change"]
            for r in rows
            if r["implementation"].startswith("river")
        },
    }


def _markdown(n: int, change: int, rows: list[dict[str, Any]], agree: dict[str, bool]) -> str:
    lines = [
        f"{n:,} 0/1 errors, rate {RATES[0]:.2f} then {RATES[1]:.2f} from index {change:,}; "
        "CPU seconds (median), values per CPU second, alarms before the change, delay of "
        "the first alarm after it.",
        "",
        "| detector | implementation | CPU s | values/s | false alarms | delay | change point |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rate = f"{r['values_per_cpu_s']:,}" if r["values_per_cpu_s"] else ""
        delay = "not found" if r["delay"] is None else f"{r['delay']:,}"
        point = "" if r["change_point"] is None else f"{r['change_point']:,}"
        lines.append(
            f"| {r['detector']} | {r['implementation']} | {r['cpu_s']:.3f} | {rate} | "
            f"{r['false_alarms_before_change']} | {delay} | {point} |"
        )
    same = ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in agree.items())
    lines += ["", f"keel's batch and one-at-a-time paths found the same changes: {same}."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args()
    result = run_concept_benchmark(args.n, args.seed, repeats=args.repeats)
    print(json.dumps(result, indent=2) if args.json else result["markdown"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
