"""One side of bench_drift.py, run as its own process; prints one JSON object on stdout.

    python _drift_side.py TOOL --reference R.parquet --current C.parquet [--profile P]

TOOL is one of ``keel-profile`` (build keel's reference profile from the reference table
and save it to P), ``keel-report`` (load P, drift report on the current table),
``keel-full`` (both tables in one process: profile + report), ``scipy`` (a bare loop over
``ks_2samp`` / ``wasserstein_distance`` / ``chi2_contingency``), ``evidently`` (its
data-drift preset with defaults), ``evidently-ks`` (the same preset, KS for numeric and
chi-square for categorical columns), ``nannyml`` (univariate drift with its defaults) and
``concept`` (part C's ``run_concept_benchmark``). keel's sides run in keel's venv, the
peers' in their own (``benchmarks/.venv-evidently``, ``.venv-nannyml``).

Timed: only the analysis, on tables already in memory (``time.process_time``: user+sys of
every thread of the process; ``perf_counter`` for wall). Reported beside it: the whole
process's CPU (imports and Parquet reading included), the RSS after imports, the RSS with
the tables loaded (after the Arrow pool's cached blocks are handed back), the peak RSS
from there to the end (VmHWM, reset through ``/proc/self/clear_refs``) and the peak RSS
of the whole process (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import pandas as pd  # every side reads Parquet with pandas: imported before the baseline RSS
from _drift_data import CATEGORICAL, NUMERIC

ALPHA = 0.05  # the p-value level of the scipy loop's flags


def _rss_now() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _hwm() -> int:
    """The process's peak RSS since the last ``_reset_peak`` (VmHWM), in bytes."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


#: The RSS once the tables are in memory, just before the analysis; ``None`` until then.
LOADED: dict[str, int] = {}


def _loaded() -> None:
    """Mark the tables as loaded: record the RSS and reset the peak (Linux ``clear_refs``
    5 resets VmHWM), so that the analysis's own peak can be told from Parquet reading's."""
    LOADED["rss"] = _rss_now()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        LOADED["reset"] = 1
    except OSError:
        LOADED["reset"] = 0


def _process_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Clock:
    """CPU and wall time of named sections."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}

    def section(self, name: str):
        clock = self

        class _Section:
            def __enter__(self):
                self.c0, self.w0 = time.process_time(), time.perf_counter()

            def __exit__(self, *exc):
                clock.cpu[name] = time.process_time() - self.c0
                clock.wall[name] = time.perf_counter() - self.w0

        return _Section()


def _read(path: str):
    """Read a table; then hand the Arrow memory pool's cached free blocks back to the OS
    (every side alike), so the RSS with the tables loaded reflects the tables, not the
    reader's transient buffers (about 2x the table for mimalloc's cache here)."""
    import pyarrow as pa

    frame = pd.read_parquet(path)
    pa.default_memory_pool().release_unused()
    return frame


def _frame_bytes(*frames) -> int:
    return int(sum(f.memory_usage(deep=True).sum() for f in frames))


# ---------------------------------------------------------------- keel


def _keel_columns(report) -> dict:
    out = {}
    for c in report.columns:
        out[c.column] = {
            "method": c.method,
            "statistic": c.statistic,
            "p_value": c.p_value,
            "distance": c.distance,
            "threshold": c.threshold,
            "drifted": bool(c.drifted),
            "note": c.note,
        }
    return out


def keel_profile(args, clock: Clock) -> dict:
    import keel
    from keel.monitoring import ReferenceProfile

    base = _rss_now()
    reference = _read(args.reference)
    data = _frame_bytes(reference)
    _loaded()
    with clock.section("analysis"):
        profile = ReferenceProfile.from_frame(reference, categorical=CATEGORICAL)
    with clock.section("save"):
        profile.save(args.profile)
    size = sum(p.stat().st_size for p in _profile_files(args.profile))
    return {
        "version": keel.__version__,
        "rss_after_imports": base,
        "data_bytes": data,
        "profile_bytes": size,
    }


def _profile_files(path: str) -> list[Path]:
    p = Path(path)
    if p.is_dir():
        return [f for f in p.rglob("*") if f.is_file()]
    return [p] if p.exists() else []


def keel_report(args, clock: Clock) -> dict:
    import keel
    from keel.monitoring import ReferenceProfile, drift_report

    base = _rss_now()
    current = _read(args.current)
    data = _frame_bytes(current)
    _loaded()
    with clock.section("load_profile"):
        profile = ReferenceProfile.load(args.profile)
    with clock.section("analysis"):
        report = drift_report(profile, current)
    clock.cpu["analysis_with_load"] = clock.cpu["analysis"] + clock.cpu["load_profile"]
    clock.wall["analysis_with_load"] = clock.wall["analysis"] + clock.wall["load_profile"]
    return {
        "version": keel.__version__,
        "rss_after_imports": base,
        "data_bytes": data,
        "flagged": sorted(report.drifted),
        "columns": _keel_columns(report),
        "share_drifted": report.share_drifted,
    }


def keel_full(args, clock: Clock) -> dict:
    import keel
    from keel.monitoring import ReferenceProfile, drift_report

    base = _rss_now()
    reference, current = _read(args.reference), _read(args.current)
    data = _frame_bytes(reference, current)
    _loaded()
    with clock.section("analysis"):
        profile = ReferenceProfile.from_frame(reference, categorical=CATEGORICAL)
        report = drift_report(profile, current)
    return {
        "version": keel.__version__,
        "rss_after_imports": base,
        "data_bytes": data,
        "flagged": sorted(report.drifted),
        "share_drifted": report.share_drifted,
    }


# ---------------------------------------------------------------- the bare scipy loop


def scipy_loop(args, clock: Clock) -> dict:
    import numpy as np
    import scipy
    from scipy import stats

    base = _rss_now()
    reference, current = _read(args.reference), _read(args.current)
    data = _frame_bytes(reference, current)
    _loaded()
    columns: dict = {}
    with clock.section("analysis"):
        for name in NUMERIC:
            r = reference[name].to_numpy(dtype=np.float64)
            c = current[name].to_numpy(dtype=np.float64)
            ks = stats.ks_2samp(r, c)
            wd = stats.wasserstein_distance(r, c)
            columns[name] = {
                "method": "ks",
                "statistic": float(ks.statistic),
                "p_value": float(ks.pvalue),
                "distance": float(wd),
            }
        for name in CATEGORICAL:
            rc = reference[name].value_counts()
            cc = current[name].value_counts()
            cats = rc.index.union(cc.index)
            table = np.vstack(
                [
                    rc.reindex(cats, fill_value=0).to_numpy(),
                    cc.reindex(cats, fill_value=0).to_numpy(),
                ]
            )
            res = stats.chi2_contingency(table, correction=False)
            columns[name] = {
                "method": "chi2",
                "statistic": float(res.statistic),
                "p_value": float(res.pvalue),
                "distance": None,
            }
    for col in columns.values():
        col["drifted"] = col["p_value"] < ALPHA
    return {
        "version": scipy.__version__,
        "rss_after_imports": base,
        "data_bytes": data,
        "flagged": sorted(k for k, v in columns.items() if v["drifted"]),
        "columns": columns,
    }


# ---------------------------------------------------------------- Evidently


def evidently(args, clock: Clock, ks: bool) -> dict:
    import evidently as ev
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    base = _rss_now()
    reference, current = _read(args.reference), _read(args.current)
    data = _frame_bytes(reference, current)
    _loaded()
    definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    preset = DataDriftPreset(num_method="ks", cat_method="chisquare") if ks else DataDriftPreset()
    with clock.section("analysis"):
        ref_ds = Dataset.from_pandas(reference, data_definition=definition)
        cur_ds = Dataset.from_pandas(current, data_definition=definition)
        snapshot = Report([preset]).run(cur_ds, ref_ds)
        result = snapshot.dict()
    columns = _evidently_columns(result)
    own_count = columns.pop("__count__", None)
    return {
        "version": ev.__version__,
        "rss_after_imports": base,
        "data_bytes": data,
        "own_count": own_count,
        "flagged": sorted(k for k, v in columns.items() if v["drifted"]),
        "columns": columns,
    }


# Evidently's stattests whose value is a p-value (drift when below the threshold); the
# others are distances (drift at or above it).
P_VALUE_METHODS = {"ks", "chisquare", "z", "fisher_exact", "anderson", "mannw", "t_test"}


def _evidently_columns(result: dict) -> dict:
    """Per column: the value of its ValueDrift metric, the method and threshold it used."""
    columns: dict = {}
    for metric in result.get("metrics", []):
        config = metric.get("config") or {}
        if config.get("type", "").split(":")[-1] == "DriftedColumnsCount":
            columns["__count__"] = metric.get("value")
        if config.get("type", "").split(":")[-1] != "ValueDrift":
            continue
        column = config.get("column")
        method = config.get("method")
        threshold = config.get("threshold")
        value = metric.get("value")
        if isinstance(value, dict):
            value = value.get("value", value)
        columns[column] = {"method": method, "threshold": threshold, "value": value}
    count = columns.pop("__count__", None)
    for col in columns.values():
        value, threshold, method = col["value"], col["threshold"], str(col["method"] or "")
        if value is None or threshold is None:
            col["drifted"] = None
        elif method in P_VALUE_METHODS or "p_value" in method:
            col["drifted"] = bool(value < threshold)
        else:
            col["drifted"] = bool(value >= threshold)
    if count is not None:
        columns["__count__"] = count  # Evidently's own count of drifted columns
    return columns


# ---------------------------------------------------------------- NannyML


def nannyml(args, clock: Clock) -> dict:
    import nannyml as nml

    base = _rss_now()
    reference, current = _read(args.reference), _read(args.current)
    data = _frame_bytes(reference, current)
    _loaded()
    with clock.section("analysis"):
        calc = nml.UnivariateDriftCalculator(
            column_names=NUMERIC + CATEGORICAL,
            treat_as_categorical=CATEGORICAL,
            chunk_number=10,
        )
        calc.fit(reference)
        results = calc.calculate(current)
        frame = results.filter(period="analysis").to_df()
    columns: dict = {}
    for name in NUMERIC + CATEGORICAL:
        alerts = []
        for key in frame.columns:
            if key[0] == name and key[-1] == "alert":
                alerts.extend(bool(a) for a in frame[key].tolist())
        methods = sorted({key[1] for key in frame.columns if key[0] == name})
        columns[name] = {
            "method": ",".join(methods),
            "chunks_alerting": sum(alerts),
            "chunks": len(alerts),
            "drifted": any(alerts),
        }
    return {
        "version": nml.__version__,
        "rss_after_imports": base,
        "data_bytes": data,
        "flagged": sorted(k for k, v in columns.items() if v["drifted"]),
        "columns": columns,
        "chunk_number": 10,
    }


# ---------------------------------------------------------------- concept drift (part C)


def concept(args, clock: Clock) -> dict:
    from _drift_concept import run_concept_benchmark

    with clock.section("analysis"):
        result = run_concept_benchmark(n=args.rows, seed=args.seed)
    return {"result": result}


SIDES = {
    "keel-profile": keel_profile,
    "keel-report": keel_report,
    "keel-full": keel_full,
    "scipy": scipy_loop,
    "evidently": lambda a, c: evidently(a, c, ks=False),
    "evidently-ks": lambda a, c: evidently(a, c, ks=True),
    "nannyml": nannyml,
    "concept": concept,
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("tool", choices=sorted(SIDES))
    parser.add_argument("--reference")
    parser.add_argument("--current")
    parser.add_argument("--profile")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    clock = Clock()
    out = SIDES[args.tool](args, clock)
    out.update(
        tool=args.tool,
        cpu_s=clock.cpu,
        wall_s=clock.wall,
        process_cpu_s=_process_cpu(),
        peak_rss_bytes=_peak_rss(),
        rss_before_analysis=LOADED.get("rss"),
        analysis_peak_rss_bytes=_hwm() if LOADED.get("reset") else None,
        python=sys.version.split()[0],
    )
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
