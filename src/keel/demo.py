"""The demo behind ``keel demo``: train a small model three ways, track it, rank the runs.

Three runs of scikit-learn's ``SGDClassifier(loss="log_loss")`` on the breast-cancer data
set scikit-learn ships (no download), one per regularization strength ``alpha``, trained
epoch by epoch with ``partial_fit``. Each run records its params, four validation-tracked
metrics per epoch, and three artifacts. The runs are then ranked with ``search_runs``.

Needs the ``demo`` extra: ``pip install 'keel[demo]'``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.errors import ConfigError, KeelError

if TYPE_CHECKING:
    from keel.store import MetricPoint, RunRecord
    from keel.tracking import ActiveRun
    from keel.workspace import Workspace

__all__ = ["ALPHAS", "EPOCHS", "EXPERIMENT", "RANK_BY", "DemoResult", "run_demo"]

ALPHAS = (1e-4, 1e-3, 1e-2)
EPOCHS = 15
SEED = 0
EXPERIMENT = "breast-cancer-sgd"
RANK_BY = "val_roc_auc"

EpochCallback = Callable[[str, int, dict[str, float]], None]
"""Called after each epoch with the run name, the epoch (from 1) and its metrics."""


@dataclass(frozen=True)
class DemoResult:
    root: Path
    """The workspace folder."""
    ranked: list[RunRecord]
    """The runs, best ``RANK_BY`` first."""
    history: list[MetricPoint]
    """The ``RANK_BY`` points of the best run, by epoch."""


def run_demo(
    root: str | os.PathLike[str],
    *,
    epochs: int = EPOCHS,
    on_epoch: EpochCallback | None = None,
) -> DemoResult:
    """Create a workspace in ``root`` (which must not hold one), train, track and rank.

    Raises:
        KeelError: scikit-learn or numpy is missing (the message says how to install it).
        ConfigError: ``root`` already holds a keel.yaml.
    """
    from keel.workspace import Workspace

    if (Path(root) / "keel.yaml").exists():
        raise ConfigError(f"{root} already holds a keel workspace; give the demo a new folder.")
    data = _load_data()
    with Workspace.init(root, project="keel-demo") as ws:
        for alpha in ALPHAS:
            _train(ws, data, alpha, epochs, on_epoch)
        ranked = ws.search_runs(experiments=[EXPERIMENT], order_by=[f"metrics.{RANK_BY} desc"])
        history = ws.get_metric_history(ranked[0].run_id, RANK_BY)
        return DemoResult(ws.root, list(ranked), history)


def _load_data() -> dict[str, Any]:
    """The breast-cancer data, split (stratified, seeded) and standardized on the train part."""
    try:
        from sklearn.datasets import load_breast_cancer
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        raise KeelError("The demo needs scikit-learn and numpy: pip install 'keel[demo]'") from None
    bunch = load_breast_cancer()
    x_train, x_val, y_train, y_val = train_test_split(
        bunch.data, bunch.target, test_size=0.25, stratify=bunch.target, random_state=SEED
    )
    scaler = StandardScaler().fit(x_train)
    return {
        "x_train": scaler.transform(x_train),
        "y_train": y_train,
        "x_val": scaler.transform(x_val),
        "y_val": y_val,
        "features": [str(name) for name in bunch.feature_names],
        "labels": [str(name) for name in bunch.target_names],
    }


def _train(
    ws: Workspace, data: dict[str, Any], alpha: float, epochs: int, on_epoch: EpochCallback | None
) -> None:
    import numpy as np
    from sklearn.linear_model import SGDClassifier

    params = {
        "model": "SGDClassifier",
        "loss": "log_loss",
        "alpha": alpha,
        "epochs": epochs,
        "seed": SEED,
        "scaler": "StandardScaler",
        "n_train": len(data["y_train"]),
        "n_val": len(data["y_val"]),
    }
    tags = {"dataset": "sklearn.datasets.load_breast_cancer"}
    name = f"sgd-alpha-{alpha:g}"
    model = SGDClassifier(loss="log_loss", alpha=alpha, random_state=SEED)
    rng = np.random.default_rng(SEED)
    classes = np.unique(data["y_train"])
    with ws.start_run(name, experiment=EXPERIMENT, params=params, tags=tags) as run:
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(data["y_train"]))
            model.partial_fit(data["x_train"][order], data["y_train"][order], classes=classes)
            metrics = _evaluate(model, data)
            run.log_metrics(metrics, step=epoch)
            if on_epoch is not None:
                on_epoch(name, epoch, metrics)
        _log_artifacts(run, model, data, metrics)


def _evaluate(model: Any, data: dict[str, Any]) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    train_proba = model.predict_proba(data["x_train"])
    val_proba = model.predict_proba(data["x_val"])
    return {
        "train_log_loss": float(log_loss(data["y_train"], train_proba)),
        "val_log_loss": float(log_loss(data["y_val"], val_proba)),
        "val_accuracy": float(accuracy_score(data["y_val"], model.predict(data["x_val"]))),
        "val_roc_auc": float(roc_auc_score(data["y_val"], val_proba[:, 1])),
    }


def _log_artifacts(
    run: ActiveRun, model: Any, data: dict[str, Any], metrics: dict[str, float]
) -> None:
    from sklearn.metrics import confusion_matrix

    run.log_dict(
        {
            "features": data["features"],
            "classes": [data["labels"][int(c)] for c in model.classes_],
            "coef": model.coef_.tolist(),
            "intercept": model.intercept_.tolist(),
        },
        "coefficients.json",
    )
    matrix = confusion_matrix(data["y_val"], model.predict(data["x_val"]))
    run.log_dict(
        {
            "labels": data["labels"],
            "rows": "true",
            "columns": "predicted",
            "matrix": matrix.tolist(),
        },
        "confusion_matrix.json",
    )
    lines = [f"{run.name}: SGDClassifier(loss='log_loss', alpha={model.alpha:g}), final epoch"]
    lines += [f"  {key} = {value:.6g}" for key, value in metrics.items()]
    run.log_text("\n".join(lines) + "\n", "summary.txt")
