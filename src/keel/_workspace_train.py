"""The training part of the Workspace façade: keel.yaml's ``train:`` and ``gates:`` applied
to the workspace's data, with the study, every trial and the final model tracked as runs."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.config import KeelConfig
from keel.errors import ArtifactError, ConfigError, GateFailedError, TrainError
from keel.store import SQLStore

if TYPE_CHECKING:
    import pandas as pd

    from keel.data import Loaded, Schema
    from keel.store import RunRecord
    from keel.tracking import ActiveRun
    from keel.train import AutoML
    from keel.train._search import TrialRecord

#: The artifact name of a trained model inside its run.
MODEL_ARTIFACT = "model/model.keelmodel"
#: The held-out rows of a model run: its snapshot, target and row positions in it.
HOLDOUT_ARTIFACT = "model/holdout.json"
STUDY_KIND, MODEL_KIND = "train-study", "model"


@dataclass(frozen=True)
class TrainResult:
    """What ``Workspace.train`` produced and where it is recorded."""

    model: AutoML
    study_run_id: str
    model_run_id: str
    holdout: dict[str, float]
    cv_loss: float
    gate_failures: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def passed(self) -> bool:
        return not self.gate_failures


class TrainMethods:
    """Mixed into Workspace, which provides these attributes and methods."""

    root: Path
    config: KeelConfig
    store: SQLStore

    if TYPE_CHECKING:
        read_data: Callable[..., Loaded]
        load_schema: Callable[[], Schema]
        snapshot_loaded: Callable[..., Any]
        start_run: Callable[..., ActiveRun]
        search_runs: Callable[..., list[RunRecord]]
        download_artifact: Callable[..., Path]

        @property
        def schema_path(self) -> Path: ...

    @property
    def model_path(self) -> Path:
        """Where the last trained model is kept (until the registry exists)."""
        return self.root / ".keel" / "models" / "model.keelmodel"

    def train(
        self,
        source: Any = None,
        *,
        resume: bool = False,
        budget: float | str | None = None,
        trials: int | None = None,
        jobs: int | None = None,
        engine: str | None = None,
        on_trial: Callable[[TrialRecord], None] | None = None,
        raise_on_gates: bool = True,
    ) -> TrainResult:
        """Search, fit and score a model on ``source`` (default data.source) as keel.yaml's
        ``train:`` says; check ``gates:`` on the holdout rows.

        The study is a parent run, each trial a nested run, and the final model a nested run
        with the data snapshot, the feature pipeline, CV and holdout metrics and the model.
        ``resume`` continues the newest interrupted study: finished trials are not redone.

        Raises:
            GateFailedError: the model missed a gate (it is recorded, marked failing), unless
                ``raise_on_gates`` is false (then see ``TrainResult.gate_failures``).
        """
        from keel._workspace_train_run import run_training

        spec = self.config.train.with_overrides(budget=budget, trials=trials, jobs=jobs,
                                                engine=engine)  # fmt: skip
        loaded = self.read_data(source)
        target = self._target_column(loaded.frame)
        self._require_sensitive(loaded.frame)
        previous = self._study_to_resume() if resume else None
        result = run_training(self, loaded, target, spec, previous, on_trial)  # type: ignore[arg-type]
        if result.gate_failures and raise_on_gates:
            raise GateFailedError(result.gate_failures)
        return result

    def load_model(self, run_id: str | None = None) -> AutoML:
        """A trained model (verified before loading): of a model run, or the last trained."""
        from keel._workspace_features import load_kept
        from keel.train._persist import load_model

        missing = TrainError(
            "No model has been trained in this workspace yet: run `keel train` (or "
            "Workspace.train()) first."
        )
        return load_kept(self, run_id, MODEL_ARTIFACT, self.model_path, load_model, missing)

    def holdout_record(self, run_id: str) -> dict[str, Any] | None:
        """The held-out rows of a model run (``{"snapshot", "target", "rows"}``: positions
        in the snapshot), or None for a run trained before keel recorded them."""
        try:
            with tempfile.TemporaryDirectory() as folder:
                path = self.download_artifact(run_id, HOLDOUT_ARTIFACT, Path(folder) / "holdout")
                return dict(json.loads(path.read_text()))
        except ArtifactError:
            return None

    def _target_column(self, frame: pd.DataFrame) -> str:
        data = self.config.data
        if data is None or data.target is None:
            raise ConfigError(
                "Training needs a target: set data.target in keel.yaml (the column to predict).",
                field="data.target",
            )
        if data.target not in frame.columns:
            raise TrainError(
                f"The target column {data.target!r} (data.target) is not in the data. Columns: "
                f"{', '.join(map(str, frame.columns))}.",
                field="data.target",
            )
        return data.target

    def _require_sensitive(self, frame: pd.DataFrame) -> None:
        """Fairness gates read data.sensitive on the holdout: refuse before the search, not
        after it, when a column is missing."""
        sensitive = self.config.data.sensitive if self.config.data else []
        missing = [c for c in sensitive if c not in frame.columns]
        if missing:
            raise TrainError(
                f"The sensitive column(s) {', '.join(map(repr, missing))} (data.sensitive) are "
                f"not in the training data. Columns: {', '.join(map(str, frame.columns))}.",
                field="data.sensitive",
            )

    def _study_to_resume(self) -> RunRecord:
        """The newest study run that did not finish and was not resumed already."""
        runs = self.search_runs(
            f"tags.keel.kind = '{STUDY_KIND}'", order_by=["start_time desc"], max_results=20
        )
        for run in runs:
            if run.status != "FINISHED" and "keel.resumed_by" not in run.tags:
                return run
        raise TrainError(
            "There is no interrupted training to resume: every study run "
            "finished. Run `keel train` without --resume."
        )
