"""One ``Workspace.train``: holdout split, the tracked study, the AutoML fit, holdout
metrics, gates, and the model run with everything a reviewer needs to trust it."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from keel._workspace_train import (
    HOLDOUT_ARTIFACT,
    MODEL_ARTIFACT,
    MODEL_KIND,
    STUDY_KIND,
    TrainResult,
)
from keel.train._checkpoint import Checkpoints

if TYPE_CHECKING:
    from keel.data import Loaded
    from keel.store import RunRecord
    from keel.tracking import ActiveRun
    from keel.train import TrainSpec
    from keel.train._search import TrialRecord
    from keel.workspace import Workspace


def run_training(
    ws: Workspace,
    loaded: Loaded,
    target: str,
    spec: TrainSpec,
    previous: RunRecord | None,
    on_trial: Callable[[TrialRecord], None] | None,
) -> TrainResult:
    from keel.features import detect_task
    from keel.train._cv import holdout_split

    frame = loaded.frame.loc[loaded.frame[target].notna()]
    y = frame[target]
    task = detect_task(y, spec.task)
    groups, times = _column(ws, frame, "entity"), _column(ws, frame, "timestamp")
    stratify = pd.factorize(y)[0] if task != "regression" else y.to_numpy()
    train_rows, test_rows = holdout_split(
        len(frame),
        stratify,
        task=task,
        test_size=spec.holdout,
        groups=groups,
        times=times,
        seed=spec.seed,
    )
    snapshot = ws.snapshot_loaded(loaded)  # every row read, as read: the model's lineage
    params = {
        "task": task,
        "metric": spec.metric or "default",
        "budget": spec.search.budget,
        "sampler": spec.search.sampler,
        "holdout": spec.holdout,
        "seed": spec.seed,
    }
    with ws.start_run("study", params=params, tags={"keel.kind": STUDY_KIND}) as study_run:
        study = previous.tags.get("keel.study") if previous else None
        study = study or f"train/{study_run.id}"
        study_run.set_tags({"keel.study": study, **_resumed(previous)})
        study_run.log_input(snapshot)
        checkpoints = RunCheckpoints(ws, study_run.id, previous.run_id if previous else None)
        model = _fit(
            ws,
            frame.iloc[train_rows],
            target,
            spec,
            study=study,
            study_run=study_run,
            checkpoints=checkpoints,
            groups=None if groups is None else groups[train_rows],
            times=None if times is None else times[train_rows],
            on_trial=on_trial,
        )
        held_out = frame.iloc[test_rows]
        holdout = holdout_metrics(model, held_out.drop(columns=[target]), held_out[target])
        fairness = fairness_report(ws, model, held_out, target)
        holdout.update(fairness.metrics() if fairness is not None else {})
        failures = _gates(ws, holdout, fairness)
        rows = {
            "snapshot": snapshot.snapshot_id,
            "target": target,
            "rows": np.flatnonzero(loaded.frame[target].notna())[test_rows].tolist(),
        }
        model_run_id = _record_model(ws, model, study_run, snapshot, holdout, failures, rows)
        study_run.log_metrics({f"holdout_{k}": v for k, v in holdout.items() if math.isfinite(v)})
        if previous is not None:  # it is finished now, by this run: never resumed twice
            ws.store.set_tags(previous.run_id, {"keel.resumed_by": study_run.id})
    return TrainResult(
        model, study_run.id, model_run_id, holdout, model.model_.cv_loss, failures, ws.model_path
    )


def _fit(
    ws: Workspace,
    train: pd.DataFrame,
    target: str,
    spec: TrainSpec,
    *,
    study: str,
    study_run: ActiveRun,
    checkpoints: Checkpoints,
    groups: Any,
    times: Any,
    on_trial: Callable[[TrialRecord], None] | None,
) -> Any:
    from keel.train import AutoML

    def log_trial(record: TrialRecord) -> None:
        _log_trial(ws, study_run, record)
        if on_trial is not None:
            on_trial(record)

    schema = ws.load_schema() if ws.schema_path.exists() else None
    model = AutoML(
        spec,
        features=ws.config.features,
        schema=schema,
        n_jobs=os.cpu_count() or 1,
        storage=_optuna_storage(ws.store.url),
        study_name=study,
        on_trial=log_trial,
        checkpoints=checkpoints,
    )
    return model.fit(train.drop(columns=[target]), train[target], groups=groups, times=times)


class RunCheckpoints(Checkpoints):
    """Checkpoints kept as artifacts of the study run (``checkpoints/<key>``); a resumed
    study also finds those of the run it resumes. Saving a key again replaces it; the
    replaced blobs are left for ``keel gc``."""

    def __init__(self, ws: Workspace, run_id: str, previous_run_id: str | None):
        self.ws, self.run_ids = ws, [run_id, *([previous_run_id] if previous_run_id else [])]

    def save(self, key: str, data: bytes) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / key
            path.write_bytes(data)
            self.ws.tracker.log_artifact(self.run_ids[0], path, f"checkpoints/{key}")

    def load(self, key: str) -> bytes | None:
        for run_id in self.run_ids:
            for artifact in self.ws.store.list_artifacts(run_id):
                if artifact.path == f"checkpoints/{key}":
                    return self.ws.artifacts.read_bytes(artifact.digest)
        return None


def _log_trial(ws: Workspace, parent: ActiveRun, record: TrialRecord) -> None:
    params = {"family": record.family, **record.params}
    tags = {"keel.kind": "trial", "state": record.state}
    if record.message:
        tags["message"] = record.message[:500]
    name = f"trial-{record.number}-{record.family}"
    with ws.start_run(name, parent=parent, params=params, tags=tags) as run:
        metrics = {"loss": record.loss, "seconds": record.seconds, "elapsed": record.elapsed}
        if record.rounds is not None:
            metrics["rounds"] = float(record.rounds)
        if record.secondary is not None:
            metrics["secondary"] = record.secondary
        run.log_metrics({k: v for k, v in metrics.items() if math.isfinite(v)})


def holdout_metrics(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """Every metric of the model's task on held-out rows."""
    from keel.errors import TrainError
    from keel.train._metrics import METRICS

    task = model.task_
    if task == "regression":
        truth, output = y.to_numpy(dtype=np.float64), model.predict(X)
    else:
        index = {label: i for i, label in enumerate(model.classes_)}
        known = y.map(index).notna().to_numpy()
        truth = y[known].map(index).to_numpy(dtype=np.int64)
        output = model.predict_proba(X.loc[known])
    scores = {}
    for name, metric in METRICS.items():
        if task in metric.tasks:
            try:
                scores[name] = float(metric.score(truth, output))
            except TrainError:  # undefined on these rows (one class present)
                scores[name] = float("nan")
    return scores


def fairness_report(ws: Workspace, model: Any, rows: pd.DataFrame, target: str) -> Any:
    """Fairness on held-out rows (for gates), when data.sensitive names columns."""
    data = ws.config.data
    if data is None or not data.sensitive:
        return None
    from keel.evaluate._fairness import fairness_of
    from keel.evaluate._outcomes import outcomes_of

    scored = outcomes_of(model, rows.drop(columns=[target]), rows[target])
    return fairness_of(
        scored, rows, columns=data.sensitive, min_group_size=ws.config.evaluate.min_group_size
    )


def _gates(ws: Workspace, holdout: dict[str, float], fairness: Any) -> list[str]:
    """Missed gates; a fairness gate that cannot be judged says why (too few rows of a
    group, no sensitive columns declared) rather than "not measured"."""
    from keel.errors import EvaluationError
    from keel.train._gates import check_gates

    gates, failures = dict(ws.config.gates), []
    for name in list(gates):
        if fairness is None and name.split("[")[0] in _FAIRNESS_GATES:
            failures.append(
                f"{name} is a fairness metric: declare the sensitive columns "
                "(data.sensitive) to measure it"
            )
            del gates[name]
        elif fairness is not None and math.isnan(holdout.get(name, 0.0)):
            try:
                fairness.metric(name)
            except EvaluationError as exc:
                failures.append(str(exc))
                del gates[name]
    return failures + check_gates(holdout, gates)


_FAIRNESS_GATES = frozenset(
    {
        "demographic_parity_difference",
        "demographic_parity_ratio",
        "equalized_odds_difference",
        "equal_opportunity_difference",
        "accuracy_difference",
        "mean_prediction_difference",
        "mae_difference",
    }
)


def _record_model(
    ws: Workspace,
    model: Any,
    parent: ActiveRun,
    snapshot: Any,
    holdout: dict[str, float],
    failures: list[str],
    holdout_rows: dict[str, Any],
) -> str:
    from keel.features import save_pipeline
    from keel.train._persist import save_model

    fitted = model.model_
    tags = {"keel.kind": MODEL_KIND, "keel.gates": "failed" if failures else "passed"}
    if failures:
        tags["keel.gate_failures"] = "; ".join(failures)
    params = {
        "model": fitted.description,
        "metric": model.metric_.name,
        "task": model.task_,
        "features": len(model.features_.feature_names_out_),
    }
    with ws.start_run("model", parent=parent, params=params, tags=tags) as run:
        run.log_input(snapshot)
        cv = {f"cv_{model.metric_.name}": _score_of(model.metric_, fitted.cv_loss)}
        run.log_metrics({**cv, **{f"holdout_{k}": v for k, v in holdout.items()}})
        save_model(model, ws.model_path)
        run.log_artifact(ws.model_path, MODEL_ARTIFACT)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "pipeline.keelfp"
            save_pipeline(model.features_, path)
            run.log_artifact(path, "model/features.keelfp")
        run.log_dict(_leaderboard(model), "model/leaderboard.json")
        run.log_dict(holdout_rows, HOLDOUT_ARTIFACT)
    return run.id


def _score_of(metric: Any, loss: float) -> float:
    return -loss if metric.greater_is_better else loss


def _leaderboard(model: Any) -> dict[str, Any]:
    return {
        "metric": model.metric_.name,
        "chosen": model.model_.description,
        "first_model_s": model.first_model_s_,
        "trials": [
            {
                "family": t.family,
                "state": t.state,
                "loss": t.loss if math.isfinite(t.loss) else None,
                "seconds": t.seconds,
                "params": t.params,
            }
            for t in model.leaderboard_
        ],
    }


def _column(ws: Workspace, frame: pd.DataFrame, role: str) -> np.ndarray | None:
    data = ws.config.data
    name = getattr(data, role, None) if data else None
    return frame[name].to_numpy() if name and name in frame else None


def _resumed(previous: RunRecord | None) -> dict[str, str]:
    return {"keel.resumed_from": previous.run_id} if previous else {}


def _optuna_storage(url: str) -> Any:
    import optuna

    # keel's own writer commits to the same database: wait for a lock rather than fail.
    options = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    return optuna.storages.RDBStorage(url, engine_kwargs=options)
