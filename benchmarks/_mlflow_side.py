"""The MLflow half of ``bench_tracking.py``; runs in its own virtualenv, never in keel's.

Usage (one task per process, the result is one JSON object on stdout)::

    python _mlflow_side.py log_metric --store sqlite --dir DIR [--calls N] [--reps R]
    python _mlflow_side.py search --dir DIR --runs 1000 [--reps R]
    python _mlflow_side.py prepare --dir DIR

MLflow's own log lines and warnings go to stderr; stdout carries only the JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from pathlib import Path

from _common import (
    SEARCH_FILTER,
    SEARCH_MAX_RESULTS,
    SEARCH_ORDER_MLFLOW,
    SEED,
    generate_runs,
    repeat,
    summarize,
    timed,
)

# Seconds one repetition of the per-call loop should take when --calls is not given.
_TARGET_REP_S = 2.0
_MIN_CALLS = 200


def _sqlite_uri(directory: Path) -> str:
    return f"sqlite:///{directory / 'mlflow.db'}"


def _open_store(mlflow, store: str, directory: Path) -> str:
    """Point MLflow at a fresh store; returns a note when the store needed an opt-in."""
    if store == "sqlite":
        mlflow.set_tracking_uri(_sqlite_uri(directory))
        mlflow.set_experiment("bench")
        return ""
    mlflow.set_tracking_uri((directory / "mlruns").as_uri())
    try:
        mlflow.set_experiment("bench")
        return ""
    except mlflow.exceptions.MlflowException as exc:
        if "MLFLOW_ALLOW_FILE_STORE" not in str(exc):
            raise
        # MLflow 3.x keeps the file store in maintenance mode behind this opt-in.
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
        mlflow.set_experiment("bench")
        return "file store is in maintenance mode; measured with MLFLOW_ALLOW_FILE_STORE=true"


def _log_loop(mlflow, n: int) -> None:
    with mlflow.start_run():
        for i in range(n):
            mlflow.log_metric("loss", 1.0 / (i + 1), step=i)


def _calibrate(mlflow) -> int:
    samples: list = []
    with mlflow.start_run(), timed(samples):
        for i in range(20):
            mlflow.log_metric("loss", 1.0, step=i)
    per_call = samples[0].wall / 20
    return max(_MIN_CALLS, min(5000, int(round(_TARGET_REP_S / per_call, -2))))


def task_log_metric(args) -> dict:
    import mlflow

    directory = Path(args.dir)
    note = _open_store(mlflow, args.store, directory)
    calls = args.calls or _calibrate(mlflow)
    _log_loop(mlflow, 5)  # warm-up: first-call costs (store connection, caches)
    # Each repetition is its own run, started and ended outside the timed loop, as for keel.
    samples: list = []
    for _ in range(args.reps):
        with mlflow.start_run(), timed(samples):
            for i in range(calls):
                mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
    return {"store": args.store, "note": note, "calls": calls, **summarize(samples, calls)}


def _populate(client, exp_id: str, n: int) -> None:
    from mlflow.entities import Metric, Param, RunTag

    now = int(time.time() * 1000)
    for spec in generate_runs(n, SEED):
        run = client.create_run(exp_id, run_name=spec["name"])
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(k, v, now, 0) for k, v in spec["metrics"].items()],
            params=[Param(k, v) for k, v in spec["params"].items()],
            tags=[RunTag(k, v) for k, v in spec["tags"].items()],
        )
        client.set_terminated(run.info.run_id)


def task_search(args) -> dict:
    import mlflow
    from mlflow import MlflowClient

    directory = Path(args.dir)
    mlflow.set_tracking_uri(_sqlite_uri(directory))
    client = MlflowClient()
    exp_id = client.create_experiment("bench")
    populate: list = []
    with timed(populate):
        _populate(client, exp_id, args.runs)

    def query():
        return client.search_runs(
            [exp_id],
            filter_string=SEARCH_FILTER,
            order_by=SEARCH_ORDER_MLFLOW,
            max_results=SEARCH_MAX_RESULTS,
        )

    first: list = []
    with timed(first):
        page = query()
    samples = repeat(query, args.reps, warmup=2)
    return {
        "runs": args.runs,
        "populate": summarize(populate, args.runs),
        "first_query_wall_s": first[0].wall,
        "returned": len(page),
        "top_names": [r.info.run_name for r in page],
        **summarize(samples, 1),
    }


def task_prepare(args) -> dict:
    """Create a migrated SQLite store with one experiment, for the startup figure."""
    import mlflow

    directory = Path(args.dir)
    mlflow.set_tracking_uri(_sqlite_uri(directory))
    exp_id = mlflow.set_experiment("bench").experiment_id
    return {"tracking_uri": _sqlite_uri(directory), "experiment_id": exp_id}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["log_metric", "search", "prepare"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--store", choices=["sqlite", "file"], default="sqlite")
    parser.add_argument("--calls", type=int, default=0)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    task = {"log_metric": task_log_metric, "search": task_search, "prepare": task_prepare}
    real_stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the JSON alone
        result = task[args.task](args)
        import mlflow

    result.update(mlflow_version=mlflow.__version__, python=platform.python_version())
    json.dump(result, real_stdout)
    real_stdout.write("\n")


if __name__ == "__main__":
    main()
