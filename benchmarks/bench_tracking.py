"""Experiment tracking, keel side by side with MLflow, in one run on one machine.

Three figures (see benchmarks/README.md):

1. ``run.log_metric`` per call: in-process rate, and end to end until ``run.flush()`` has
   committed every point to SQLite; MLflow's ``mlflow.log_metric`` on a SQLite store (and on
   the file store, for reference).
2. ``search_runs`` with a metric filter and an order, over 1,000 and 10,000 runs (MLflow at
   1,000 only: populating it is slow).
3. A fresh interpreter: ``import keel`` + opening a workspace, vs ``import mlflow``.

MLflow runs in ``benchmarks/.venv-mlflow`` (created on first use) through
``_mlflow_side.py``; ``KEEL_BENCH_MLFLOW_PYTHON`` names a ready interpreter instead.
Results go to ``benchmarks/results/tracking-<date>.json``; a Markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    SEARCH_FILTER,
    SEARCH_MAX_RESULTS,
    SEARCH_ORDER_KEEL,
    Sample,
    generate_runs,
    summarize,
    timed,
)
from _harness import (
    HERE,
    competitor_python,
    fmt_duration,
    fmt_ratio,
    machine_info,
    run_json,
    time_process,
    verdict,
    write_results,
)

FULL = {
    "keel_calls": 200_000,
    "keel_log_reps": 5,
    "mlflow_log_reps": 5,
    "search_sizes": [1_000, 10_000],
    "search_reps": 30,
    "startup_reps": 9,
    "mlflow_search_runs": 1_000,
}
# For checking the harness itself; its figures are not for publishing.
QUICK = {
    "keel_calls": 20_000,
    "keel_log_reps": 3,
    "mlflow_log_reps": 3,
    "search_sizes": [200, 1_000],
    "search_reps": 20,
    "startup_reps": 3,
    "mlflow_search_runs": 200,
}

# Telemetry would try the network from inside the timed code; it is off on every MLflow side.
MLFLOW_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}


def _log(msg: str) -> None:
    print(f"[bench_tracking] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- figure 1: log_metric


def _committed_points(root: Path, run_id: str) -> int | None:
    """Rows of ``run_id`` in keel's SQLite file, read behind keel's back (None if not found)."""
    db = root / ".keel" / "keel.db"
    if not db.exists():
        return None
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as con:
        return con.execute("SELECT count(*) FROM metrics WHERE run_id = ?", (run_id,)).fetchone()[0]


def keel_log_metric(root: Path, calls: int, reps: int) -> dict:
    import keel

    ws = keel.Workspace.init(root)
    with ws.start_run(name="warm-up", experiment="bench") as run:
        for i in range(1000):
            run.log_metric("loss", 1.0 / (i + 1), step=i)
        run.flush()
    in_process: list[Sample] = []
    end_to_end: list[Sample] = []
    flush_only: list[Sample] = []
    committed: list[int | None] = []
    for r in range(reps):
        with ws.start_run(name=f"log-{r}", experiment="bench") as run:
            w0, c0 = time.perf_counter(), time.process_time()
            for i in range(calls):
                run.log_metric("loss", 1.0 / (i + 1), step=i)
            w1, c1 = time.perf_counter(), time.process_time()
            run.flush()
            w2, c2 = time.perf_counter(), time.process_time()
        in_process.append(Sample(w1 - w0, c1 - c0))
        end_to_end.append(Sample(w2 - w0, c2 - c0))
        flush_only.append(Sample(w2 - w1, c2 - c1))
        committed.append(_committed_points(root, run.id))
    ws.close()
    return {
        "calls": calls,
        "in_process": summarize(in_process, calls),
        "end_to_end": summarize(end_to_end, calls),
        "flush_only": summarize(flush_only, 1),
        "committed_rows_per_run": committed,
    }


def mlflow_log_metric(python: Path, root: Path, store: str, reps: int) -> dict:
    root.mkdir(parents=True)
    cmd = [str(python), "_mlflow_side.py", "log_metric", "--store", store, "--dir", str(root)]
    try:
        return run_json([*cmd, "--reps", str(reps)], env=MLFLOW_ENV)
    except RuntimeError as exc:
        if store == "sqlite":
            raise
        return {"store": store, "skipped": True, "note": str(exc).splitlines()[-1]}


# ---------------------------------------------------------------- figure 2: search_runs


def _keel_populate(ws, specs) -> None:
    for spec in specs:
        with ws.start_run(
            name=spec["name"], experiment="bench", params=spec["params"], tags=spec["tags"]
        ) as run:
            run.log_metrics(spec["metrics"], step=0)


def keel_search(root: Path, sizes: list[int], reps: int) -> dict:
    import keel

    ws = keel.Workspace.init(root)
    specs = generate_runs(max(sizes))
    out: dict = {}
    done = 0
    for size in sizes:
        _log(f"keel: populating {size:,} runs")
        added, done = size - done, size
        populate: list[Sample] = []
        with timed(populate):
            _keel_populate(ws, itertools.islice(specs, added))

        def query():
            return ws.search_runs(
                filter=SEARCH_FILTER, order_by=SEARCH_ORDER_KEEL, max_results=SEARCH_MAX_RESULTS
            )

        first: list[Sample] = []
        with timed(first):
            page = query()
        for _ in range(2):
            query()
        samples: list[Sample] = []
        for _ in range(reps):
            with timed(samples):
                query()
        out[str(size)] = {
            "runs": size,
            "populate_added": summarize(populate, added),
            "first_query_wall_s": first[0].wall,
            "returned": len(page),
            "has_next_page": bool(getattr(page, "next_page_token", None)),
            "top_names": [getattr(r, "name", None) for r in page],
            **summarize(samples, 1),
        }
    ws.close()
    return out


def mlflow_search(python: Path, root: Path, runs: int, reps: int) -> dict:
    root.mkdir(parents=True)
    cmd = [str(python), "_mlflow_side.py", "search", "--dir", str(root)]
    return run_json([*cmd, "--runs", str(runs), "--reps", str(reps)], env=MLFLOW_ENV)


# ---------------------------------------------------------------- figure 3: startup


def _startup_commands(keel_ws: Path, mlflow_python: Path, mlflow_uri: str) -> dict:
    keel_open = f"import keel; keel.Workspace.open({str(keel_ws)!r})"
    keel_full = (
        f"import keel\nws = keel.Workspace.open({str(keel_ws)!r})\n"
        "with ws.start_run(name='startup', experiment='bench') as run:\n"
        "    run.log_metric('auc', 0.9, step=0)\nws.close()"
    )
    mlflow_full = (
        f"import mlflow\nmlflow.set_tracking_uri({mlflow_uri!r})\nmlflow.set_experiment('bench')\n"
        "with mlflow.start_run():\n    mlflow.log_metric('auc', 0.9, step=0)"
    )
    py, mpy = sys.executable, str(mlflow_python)
    return {
        "keel_python_pass": ([py, "-c", "pass"], {}),
        "keel_import_open": ([py, "-c", keel_open], {}),
        "keel_import_open_run": ([py, "-c", keel_full], {}),
        "mlflow_python_pass": ([mpy, "-c", "pass"], MLFLOW_ENV),
        "mlflow_import": ([mpy, "-c", "import mlflow"], MLFLOW_ENV),
        "mlflow_import_run": ([mpy, "-c", mlflow_full], MLFLOW_ENV),
    }


def startup(root: Path, mlflow_python: Path, reps: int) -> dict:
    import keel

    keel.Workspace.init(root / "keel").close()
    (root / "mlflow").mkdir()
    prepared = run_json(
        [str(mlflow_python), "_mlflow_side.py", "prepare", "--dir", str(root / "mlflow")],
        env=MLFLOW_ENV,
    )
    commands = _startup_commands(root / "keel", mlflow_python, prepared["tracking_uri"])
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    # Two untimed rounds warm the page cache; then round-robin, so that noise from the
    # shared cores falls on every command alike rather than on whichever ran last.
    for rnd in range(2 + reps):
        for name, (cmd, env) in commands.items():
            wall, cpu = time_process(cmd, env=env, cwd=root)
            if rnd >= 2:
                samples[name].append(Sample(wall, cpu))
    return {name: summarize(s, 1) for name, s in samples.items()}


# ---------------------------------------------------------------- report


def _rate(x: float) -> str:
    return f"{x:,.0f}/s"


def ratios(r: dict) -> dict:
    log, ml = r["log_metric"]["keel"], r["log_metric"]["mlflow_sqlite"]
    ml_rate = ml["units_per_s"]
    out = {
        "log_in_process_vs_mlflow_sqlite": log["in_process"]["units_per_s"] / ml_rate,
        "log_end_to_end_vs_mlflow_sqlite": log["end_to_end"]["units_per_s"] / ml_rate,
    }
    mf = r["log_metric"]["mlflow_file"]
    if not mf.get("skipped"):
        out["log_end_to_end_vs_mlflow_file"] = log["end_to_end"]["units_per_s"] / mf["units_per_s"]
    size = str(r["search"]["mlflow"]["runs"])
    ks = r["search"]["keel"][size]
    ms = r["search"]["mlflow"]
    out[f"search_{size}_p50_mlflow_over_keel"] = ms["wall_s_p50"] / ks["wall_s_p50"]
    out[f"search_{size}_p95_mlflow_over_keel"] = ms["wall_s_p95"] / ks["wall_s_p95"]
    st = r["startup"]
    out["startup_mlflow_import_over_keel_import_open"] = (
        st["mlflow_import"]["wall_s_p50"] / st["keel_import_open"]["wall_s_p50"]
    )
    out["startup_mlflow_run_over_keel_run"] = (
        st["mlflow_import_run"]["wall_s_p50"] / st["keel_import_open_run"]["wall_s_p50"]
    )
    return out


def _per_call(s: dict) -> str:
    wall, cpu = fmt_duration(s["wall_per_unit_s"]), fmt_duration(s["cpu_per_unit_s"])
    return f"{_rate(s['units_per_s'])} ({wall} wall, {cpu} CPU per call)"


def _log_table(r: dict, q: dict) -> list[str]:
    k, ms, mf = r["keel"], r["mlflow_sqlite"], r["mlflow_file"]
    mf_cell = mf.get("note", "") if mf.get("skipped") else _per_call(mf)
    in_rate = k["in_process"]["units_per_s"]
    rows = [
        f"| Measure ({k['calls']:,} keel calls x {k['in_process']['repetitions']}; MLflow "
        f"{ms['calls']:,} calls x {ms['repetitions']}) | keel | MLflow, SQLite store | "
        "keel ÷ MLflow | Target |",
        "|---|---|---|---|---|",
        f"| `log_metric`, returned to caller | {_per_call(k['in_process'])} | {_per_call(ms)} "
        f"| {fmt_ratio(q['log_in_process_vs_mlflow_sqlite'])} | ≥ 200,000/s: "
        f"{verdict(in_rate >= 200_000)}; ≥ 1,000x: "
        f"{verdict(q['log_in_process_vs_mlflow_sqlite'] >= 1000)} |",
        f"| `log_metric` end to end, until `flush()` committed to SQLite | "
        f"{_per_call(k['end_to_end'])} | same (each call commits before returning) "
        f"| {fmt_ratio(q['log_end_to_end_vs_mlflow_sqlite'])} | |",
        f"| `flush()` alone, after {k['calls']:,} calls | "
        f"{fmt_duration(k['flush_only']['wall_s_p50'])} "
        "| — | | |",
        f"| MLflow file store, for reference | | {mf_cell} "
        f"| {fmt_ratio(q.get('log_end_to_end_vs_mlflow_file'))} (end to end) | |",
    ]
    return rows


def _search_table(r: dict, q: dict) -> list[str]:
    ms = r["mlflow"]
    rows = [
        "| Runs in store | keel p50 / p95 (CPU p50) | MLflow p50 / p95 (CPU p50) "
        "| MLflow ÷ keel, p50 | Target |",
        "|---|---|---|---|---|",
    ]
    for size, ks in r["keel"].items():
        keel_cell = (
            f"{fmt_duration(ks['wall_s_p50'])} / {fmt_duration(ks['wall_s_p95'])} "
            f"({fmt_duration(ks['cpu_s_p50'])}); "
            f"{ks['returned']} returned"
        )
        if int(size) == ms["runs"]:
            ml_cell = (
                f"{fmt_duration(ms['wall_s_p50'])} / {fmt_duration(ms['wall_s_p95'])} "
                f"({fmt_duration(ms['cpu_s_p50'])}); {ms['returned']} returned"
            )
            ratio = q[f"search_{size}_p50_mlflow_over_keel"]
            target = f"≥ 50x: {verdict(ratio >= 50)}"
        else:
            ml_cell, ratio, target = "not measured", None, ""
        if int(size) == 10_000:
            target = f"p50 ≤ 20 ms: {verdict(ks['wall_s_p50'] <= 0.020)}"
        rows.append(f"| {int(size):,} | {keel_cell} | {ml_cell} | {fmt_ratio(ratio)} | {target} |")
    keel_pop, start = [], 1
    for size, ks in r["keel"].items():
        keel_pop.append(
            f"{_rate(ks['populate_added']['units_per_s'])} (runs {start:,}-{int(size):,})"
        )
        start = int(size) + 1
    rows.append(
        f"| Populating, runs/s | {'; '.join(keel_pop)} | "
        f"{_rate(ms['populate']['units_per_s'])} (`create_run` + `log_batch` + "
        "`set_terminated`) | | |"
    )
    return rows


def _startup_table(r: dict, q: dict) -> list[str]:
    def cell(name: str) -> str:
        s = r[name]
        return f"{fmt_duration(s['wall_s_p50'])} ({fmt_duration(s['cpu_s_p50'])} CPU)"

    return [
        "| Fresh interpreter, wall p50 (CPU p50) | keel | MLflow | MLflow ÷ keel |",
        "|---|---|---|---|",
        f"| `python -c pass` (baseline) | {cell('keel_python_pass')} "
        f"| {cell('mlflow_python_pass')} | |",
        f"| `import keel; keel.Workspace.open(path)` vs `import mlflow` "
        f"| {cell('keel_import_open')} | {cell('mlflow_import')} "
        f"| {fmt_ratio(q['startup_mlflow_import_over_keel_import_open'])} |",
        "| … plus start and end one run with one metric (SQLite store) "
        f"| {cell('keel_import_open_run')} | {cell('mlflow_import_run')} "
        f"| {fmt_ratio(q['startup_mlflow_run_over_keel_run'])} |",
    ]


def markdown(p: dict) -> str:
    m, r, q = p["machine"], p["results"], p["ratios"]
    lines = [
        f"### Experiment tracking: keel vs MLflow ({m['date']})",
        "",
        f"- Machine: `{m['platform']}`, {m['cpu_model']}, {m['cpu_count']} cores "
        f"({m['cpu_usable']} usable); Python {m['python']}",
        f"- keel {p['versions']['keel']}, MLflow {p['versions']['mlflow']} "
        "(own virtualenv, telemetry off)",
        "- Every figure is a median over repetitions; CPU is process CPU time (all threads) "
        "per unit of work.",
        "",
        "**1. Logging one metric per call**",
        "",
        *_log_table(r["log_metric"], q),
        "",
        f"**2. `search_runs`: `{SEARCH_FILTER}`, ordered by auc descending, "
        f"max {SEARCH_MAX_RESULTS} ({p['config']['search_reps']} repetitions)**",
        "",
        *_search_table(r["search"], q),
        "",
        f"**3. Start-up in a fresh interpreter ({p['config']['startup_reps']} repetitions, "
        "timed from outside)**",
        "",
        *_startup_table(r["startup"], q),
    ]
    notes = p.get("notes") or []
    if notes:
        lines += ["", *[f"- Note: {n}" for n in notes]]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main


def _notes(results: dict) -> list[str]:
    notes = []
    k = results["log_metric"]["keel"]
    if any(c is not None and c != k["calls"] for c in k["committed_rows_per_run"]):
        notes.append(f"keel committed rows per run after flush(): {k['committed_rows_per_run']}")
    mf = results["log_metric"]["mlflow_file"]
    if mf.get("note"):
        notes.append(f"MLflow file store: {mf['note']}")
    ms = results["search"]["mlflow"]
    ks = results["search"]["keel"].get(str(ms["runs"]))
    if ks and ks["top_names"] != ms["top_names"]:
        notes.append(
            f"keel and MLflow returned different runs at {ms['runs']:,} "
            f"({ks['returned']} vs {ms['returned']})"
        )
    return notes


def run(cfg: dict) -> dict:
    import keel

    machine = machine_info()
    mlflow_python = competitor_python("mlflow", ["mlflow"], "KEEL_BENCH_MLFLOW_PYTHON")
    results: dict = {"log_metric": {}, "search": {}}
    with tempfile.TemporaryDirectory(prefix="keel-bench-tracking-") as tmp:
        root = Path(tmp)
        _log("figure 1: log_metric")
        results["log_metric"]["keel"] = keel_log_metric(
            root / "keel-log", cfg["keel_calls"], cfg["keel_log_reps"]
        )
        for store in ("sqlite", "file"):
            results["log_metric"][f"mlflow_{store}"] = mlflow_log_metric(
                mlflow_python, root / f"mlflow-log-{store}", store, cfg["mlflow_log_reps"]
            )
        _log("figure 2: search_runs")
        results["search"]["keel"] = keel_search(
            root / "keel-search", cfg["search_sizes"], cfg["search_reps"]
        )
        _log(f"mlflow: populating {cfg['mlflow_search_runs']:,} runs")
        results["search"]["mlflow"] = mlflow_search(
            mlflow_python, root / "mlflow-search", cfg["mlflow_search_runs"], cfg["search_reps"]
        )
        _log("figure 3: start-up")
        (root / "startup").mkdir()
        results["startup"] = startup(root / "startup", mlflow_python, cfg["startup_reps"])
    return {
        "benchmark": "tracking",
        "machine": machine,
        "versions": {
            "keel": keel.__version__,
            "mlflow": results["log_metric"]["mlflow_sqlite"]["mlflow_version"],
            "mlflow_python": results["log_metric"]["mlflow_sqlite"]["python"],
        },
        "config": cfg,
        "results": results,
        "ratios": ratios(results),
        "notes": _notes(results),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions; writes nothing")
    args = parser.parse_args(argv)
    payload = run(QUICK if args.quick else FULL)
    if args.quick:
        payload["notes"].append("--quick run: figures are not for publishing")
    else:
        path = write_results("tracking", payload, payload["machine"]["date"])
        _log(f"wrote {path.relative_to(HERE.parent)}")
    print(markdown(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
