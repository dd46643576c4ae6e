"""keel's half of ``bench_automl.py``; runs in keel's own virtualenv as a subprocess, like
FLAML's half, so both start from a fresh interpreter with the same environment.

Usage (one fit per process; predictions to ``--out``, figures as JSON on stdout)::

    python _keel_side.py keel --dataset adult --seed 0 --budget 60 --n-jobs 2 --cores 0,1 \\
        --out PRED.npy

``keel.train.AutoML(task="auto", metric=None, ...)``: keel infers the task and uses its
default metric for it, which is FLAML's (``roc_auc``, ``log_loss``, ``r2``). The raw columns
go in as they are.
"""

from __future__ import annotations

import sys

from _automl_data import Side, side_main

#: Fitted attributes recorded when the model has them (the API is young; none is required).
_DESCRIBED = (
    "task_",
    "metric_",
    "best_algorithm_",
    "best_params_",
    "best_score_",
    "n_trials_",
    "trials_",
    "ensemble_",
)


class Keel(Side):
    def setup(self) -> dict:
        try:
            from keel.train import AutoML
        except (ImportError, AttributeError) as exc:
            sys.exit(
                f"keel.train.AutoML cannot be imported in {sys.executable}: {exc}. "
                "The keel side of bench_automl.py needs it (`from keel.train import AutoML`)."
            )
        import lightgbm
        import pandas
        import sklearn

        import keel

        self.AutoML = AutoML
        return {
            "keel": keel.__version__,
            "lightgbm": lightgbm.__version__,
            "sklearn": sklearn.__version__,
            "pandas": pandas.__version__,
        }

    def fit(self, X, y, task: str, args):
        model = self.AutoML(
            task="auto", metric=None, budget_s=args.budget, seed=args.seed, n_jobs=args.n_jobs
        )
        return model.fit(X, y)

    def predict(self, model, X, task: str) -> tuple:
        if task == "regression":
            return model.predict(X), None
        return model.predict_proba(X), model.classes_

    def describe(self, model) -> dict:
        first = getattr(model, "first_model_s_", None)
        out: dict = {"first_model_s": None if first is None else float(first)}
        for name in _DESCRIBED:
            value = getattr(model, name, None)
            if name == "metric_":  # a Metric record: its name is what the notes compare
                value = getattr(value, "name", value)
            if value is not None:
                out[name.rstrip("_")] = _plain(value)
        return out


def _plain(value):
    """Numbers and text as they are, numpy scalars as Python numbers, short containers kept,
    anything else as (at most 500 characters of) text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return value.item()
    if isinstance(value, dict) and len(value) <= 50:
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and len(value) <= 50:
        return [_plain(v) for v in value]
    return str(value)[:500]


if __name__ == "__main__":
    side_main({"keel": Keel()})
