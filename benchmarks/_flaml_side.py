"""The FLAML and default-LightGBM halves of ``bench_automl.py``; run in FLAML's virtualenv.

Usage (one fit per process; predictions to ``--out``, figures as JSON on stdout)::

    python _flaml_side.py flaml --dataset adult --seed 0 --budget 60 --n-jobs 2 --cores 0,1 \\
        --out PRED.npy
    python _flaml_side.py lightgbm --dataset adult --seed 0 --n-jobs 2 --cores 0,1 --out P.npy

``flaml``: ``flaml.AutoML().fit`` with the time budget, ``n_jobs``, the seed and the metric
FLAML picks by default for the task (``roc_auc``, ``log_loss``, ``r2``), named explicitly;
every other setting is FLAML's default. ``lightgbm``: ``LGBMClassifier`` / ``LGBMRegressor``
with the library's defaults, ``n_jobs`` and the seed, string columns given as pandas
``category`` (categories from the training rows), as LightGBM's documentation suggests.
"""

from __future__ import annotations

from _automl_data import METRICS, Side, side_main


class FLAML(Side):
    def setup(self) -> dict:
        import flaml
        import lightgbm
        import pandas
        import sklearn
        import xgboost
        from flaml import AutoML

        self.AutoML = AutoML
        return {
            "flaml": flaml.__version__,
            "lightgbm": lightgbm.__version__,
            "xgboost": xgboost.__version__,
            "sklearn": sklearn.__version__,
            "pandas": pandas.__version__,
        }

    def fit(self, X, y, task: str, args):
        automl = self.AutoML()
        automl.fit(
            X_train=X,
            y_train=y,
            task="regression" if task == "regression" else "classification",
            metric=METRICS[task],
            time_budget=args.budget,
            n_jobs=args.n_jobs,
            seed=args.seed,
            verbose=0,
        )
        return automl

    def predict(self, model, X, task: str) -> tuple:
        if task == "regression":
            return model.predict(X), None
        return model.predict_proba(X), model.classes_

    def describe(self, model) -> dict:
        history = getattr(model, "config_history", None) or {}
        return {
            "best_estimator": model.best_estimator,
            "best_config": {k: _plain(v) for k, v in (model.best_config or {}).items()},
            "best_validation_loss": _plain(model.best_loss),
            "time_to_find_best_model_s": _plain(model.time_to_find_best_model),
            "best_config_train_time_s": _plain(model.best_config_train_time),
            "trials": len(history),
        }


class DefaultLightGBM(Side):
    def setup(self) -> dict:
        import lightgbm
        import pandas

        self.lgb = lightgbm
        return {"lightgbm": lightgbm.__version__, "pandas": pandas.__version__}

    def fit(self, X, y, task: str, args):
        X = self._categorical(X, fit=True)
        cls = self.lgb.LGBMRegressor if task == "regression" else self.lgb.LGBMClassifier
        model = cls(n_jobs=args.n_jobs, random_state=args.seed, verbose=-1)
        return model.fit(X, y)

    def predict(self, model, X, task: str) -> tuple:
        X = self._categorical(X, fit=False)
        if task == "regression":
            return model.predict(X), None
        return model.predict_proba(X), model.classes_

    def describe(self, model) -> dict:
        return {"params": {k: _plain(v) for k, v in model.get_params().items()}}

    def _categorical(self, X, *, fit: bool):
        """String columns as ``category`` with the training rows' categories (an unseen
        one becomes missing), so training and test codes agree."""
        import pandas as pd

        X = X.copy()
        if fit:
            self.categories = {
                c: X[c].astype("category").cat.categories
                for c in X.columns
                if pd.api.types.is_string_dtype(X[c]) or X[c].dtype == object
            }
        for column, categories in self.categories.items():
            X[column] = pd.Categorical(X[column], categories=categories)
        return X


def _plain(value):
    """A value JSON can hold: numpy scalars as Python numbers, anything else as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value)


if __name__ == "__main__":
    side_main({"flaml": FLAML(), "lightgbm": DefaultLightGBM()})
