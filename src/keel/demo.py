"""The demo behind ``keel demo``: train a small model three ways, track it, rank the runs.

The breast-cancer data set scikit-learn ships (no download) goes through the data layer
(schema, validation, profile, snapshot), then keel.yaml's feature pipeline is fitted on the
training split as its own tracked run. Three runs of scikit-learn's
``SGDClassifier(loss="log_loss")`` on those features follow, one per regularization
strength ``alpha``, trained epoch by epoch with ``partial_fit``. Each run records its
params, four validation-tracked metrics per epoch, and three artifacts. The runs are then
ranked with ``search_runs``. Last, keel's AutoML searches algorithm families for
``TRAIN_BUDGET`` on the same data (keel.yaml ``train:``), and the model it picks is
evaluated on its held-out rows: metrics with bootstrap intervals, calibration, SHAP,
worst slices and speed, written as an HTML report and a model card. That model is then
packaged (native formats, an ONNX graph checked against the native model on the held-out
rows), registered as version 1 with the alias ``champion``, and loaded back by that alias
to score one record, timed.

Needs the ``demo`` extra: ``pip install 'keel[demo]'``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.errors import ConfigError, KeelError

if TYPE_CHECKING:
    from keel._workspace_evaluate import ReportResult
    from keel._workspace_train import TrainResult
    from keel.models import ModelVersion
    from keel.store import MetricPoint, RunRecord
    from keel.tracking import ActiveRun
    from keel.workspace import Workspace

__all__ = [
    "ALPHAS",
    "EPOCHS",
    "EXPERIMENT",
    "RANK_BY",
    "DataSummary",
    "DemoResult",
    "Served",
    "run_demo",
]

ALPHAS = (1e-4, 1e-3, 1e-2)
EPOCHS = 15
SEED = 0
EXPERIMENT = "breast-cancer-sgd"
RANK_BY = "val_roc_auc"
TRAIN_BUDGET = "10s"

EpochCallback = Callable[[str, int, dict[str, float]], None]
"""Called after each epoch with the run name, the epoch (from 1) and its metrics."""
StageCallback = Callable[[str], None]
"""Called as a stage starts ("training", then each evaluation step's name)."""


@dataclass(frozen=True)
class DataSummary:
    """What the data layer found before training."""

    source: str
    rows: int
    columns: int
    types: dict[str, int]
    """Columns per logical type, as inferred into the schema."""
    validation_errors: int
    validation_warnings: int
    profile_findings: list[str]
    """Errors and warnings of the quality profile, as "check (column)"."""
    snapshot_id: str
    features_run: str = ""
    """The run that fitted the feature pipeline on the training split."""
    feature_count: int = 0


@dataclass(frozen=True)
class DemoResult:
    root: Path
    """The workspace folder."""
    data: DataSummary
    """Schema, validation, profile and snapshot of the training data."""
    ranked: list[RunRecord]
    """The runs, best ``RANK_BY`` first."""
    history: list[MetricPoint]
    """The ``RANK_BY`` points of the best run, by epoch."""
    trained: TrainResult
    """keel's AutoML on the same data: the study, the model run, holdout metrics."""
    report: ReportResult
    """The evaluation of that model: the HTML report, the model card, the evaluation run."""
    served: Served
    """That model registered as ``champion`` and loaded back by its alias."""


@dataclass(frozen=True)
class Served:
    """The registered champion, loaded back by ``name@champion``, scoring one record."""

    version: ModelVersion
    backend: str
    """``onnx`` or ``native``."""
    reason: str | None
    """Why ONNX is not used, when it is not (``Predictor.reason``)."""
    record: dict[str, Any]
    prediction: Any
    latency_us: float
    """Median of ``predict_one`` over ``LATENCY_CALLS`` calls on that record."""


def run_demo(
    root: str | os.PathLike[str],
    *,
    epochs: int = EPOCHS,
    on_epoch: EpochCallback | None = None,
    on_stage: StageCallback | None = None,
) -> DemoResult:
    """Create a workspace in ``root`` (which must not hold one), train, track and rank.

    Raises:
        KeelError: scikit-learn or numpy is missing (the message says how to install it).
        ConfigError: ``root`` already holds a keel.yaml.
    """
    from keel.workspace import Workspace

    if (Path(root) / "keel.yaml").exists():
        raise ConfigError(f"{root} already holds a keel workspace; give the demo a new folder.")
    frame = _breast_cancer()
    Workspace.init(root, project="keel-demo").close()
    _write_training_data(Path(root), frame)
    with Workspace.open(root) as ws:
        summary = _check_data(ws)
        data = _load_data(ws, summary.snapshot_id)
        summary = replace(
            summary, features_run=data["features_run"], feature_count=len(data["features"])
        )
        for alpha in ALPHAS:
            _train(ws, data, alpha, epochs, on_epoch, summary.snapshot_id)
        ranked = ws.search_runs(experiments=[EXPERIMENT], order_by=[f"metrics.{RANK_BY} desc"])
        history = ws.get_metric_history(ranked[0].run_id, RANK_BY)
        trained, report = _automl_and_report(ws, on_stage)
        served = _register_and_serve(ws, trained, on_stage)
        return DemoResult(ws.root, summary, list(ranked), history, trained, report, served)


def _automl_and_report(
    ws: Workspace, on_stage: StageCallback | None
) -> tuple[TrainResult, ReportResult]:
    """keel train and keel report, as the CLI runs them."""
    if on_stage is not None:
        on_stage("training")
    trained = ws.train(budget=TRAIN_BUDGET, raise_on_gates=False)
    step = None if on_stage is None else (lambda name, *_: on_stage(name))
    return trained, ws.report(trained.model_run_id, on_step=step)


LATENCY_CALLS = 2_000


def _register_and_serve(
    ws: Workspace, trained: TrainResult, on_stage: StageCallback | None
) -> Served:
    """keel models register --alias champion, then the champion loaded back by its ref."""
    import time

    import numpy as np
    import pandas as pd

    if on_stage is not None:
        on_stage("registering")
    version = ws.register_model(trained.model_run_id, alias="champion", why="keel demo")
    predictor = ws.load_predictor(f"{version.name}@champion")
    frame = pd.read_csv(ws.root / DATA_FILE).drop(columns=[TARGET])
    record = frame.iloc[0].to_dict()
    prediction = predictor.predict_one(record)
    timings = np.empty(LATENCY_CALLS)
    for i in range(LATENCY_CALLS):
        started = time.perf_counter()
        predictor.predict_one(record)
        timings[i] = time.perf_counter() - started
    return Served(
        version,
        predictor.backend,
        predictor.reason,
        record,
        prediction,
        float(np.median(timings) * 1e6),
    )


DATA_FILE = "data/breast_cancer.csv"
TARGET = "target"


def _breast_cancer() -> Any:
    """The breast-cancer data scikit-learn ships (no download), as a DataFrame."""
    try:
        from sklearn.datasets import load_breast_cancer
    except ImportError:
        raise KeelError("The demo needs scikit-learn: pip install 'keel[demo]'") from None
    return load_breast_cancer(as_frame=True).frame


def _write_training_data(root: Path, frame: Any) -> None:
    """The data as a CSV, and keel.yaml pointed at it."""
    (root / "data").mkdir()
    frame.to_csv(root / DATA_FILE, index=False)
    with open(root / "keel.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"\ndata:\n  source: {DATA_FILE}\n  target: {TARGET}\n")


def _check_data(ws: Workspace) -> DataSummary:
    """Infer the schema, validate and profile the data, and snapshot it."""
    schema = ws.infer_schema()
    report, _ = ws.validate_data()
    profile = ws.profile_data()
    snapshot = ws.snapshot_data()
    types: dict[str, int] = {}
    for column in schema.columns:
        types[column.type] = types.get(column.type, 0) + 1
    findings = [
        f"{f.check} ({f.column})" if f.column else f.check
        for f in profile.findings
        if f.severity != "info"
    ]
    return DataSummary(
        DATA_FILE,
        snapshot.rows,
        snapshot.columns,
        types,
        len(report.errors),
        len(report.warnings),
        findings,
        snapshot.snapshot_id,
    )


def _load_data(ws: Workspace, snapshot_id: str) -> dict[str, Any]:
    """The snapshot, split (stratified, seeded), and the feature pipeline of keel.yaml
    (median imputation, standard scaling) fitted on the train part as a tracked run."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    frame, _ = ws.load_snapshot(snapshot_id)
    train, val = train_test_split(frame, test_size=0.25, stratify=frame[TARGET], random_state=SEED)
    fitted = ws.fit_features(train, random_state=SEED)
    pipe = fitted.pipeline
    return {
        "x_train": pipe.transform(train),
        "y_train": train[TARGET].to_numpy(),
        "x_val": pipe.transform(val),
        "y_val": val[TARGET].to_numpy(),
        "features": list(pipe.feature_names_out_),
        "features_run": fitted.run_id,
        "labels": [str(name) for name in load_breast_cancer().target_names],
    }


def _train(
    ws: Workspace,
    data: dict[str, Any],
    alpha: float,
    epochs: int,
    on_epoch: EpochCallback | None,
    snapshot_id: str,
) -> None:
    import numpy as np
    from sklearn.linear_model import SGDClassifier

    params = {
        "model": "SGDClassifier",
        "loss": "log_loss",
        "alpha": alpha,
        "epochs": epochs,
        "seed": SEED,
        "features_run": data["features_run"],
        "n_train": len(data["y_train"]),
        "n_val": len(data["y_val"]),
    }
    tags = {"dataset": "sklearn.datasets.load_breast_cancer"}
    name = f"sgd-alpha-{alpha:g}"
    model = SGDClassifier(loss="log_loss", alpha=alpha, random_state=SEED)
    rng = np.random.default_rng(SEED)
    classes = np.unique(data["y_train"])
    with ws.start_run(name, experiment=EXPERIMENT, params=params, tags=tags) as run:
        run.log_input(snapshot_id, role="train")
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
