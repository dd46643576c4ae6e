"""The features part of the Workspace façade: keel.yaml's ``features:`` section fitted on the
workspace's data, tracked as a run, and kept where scoring and serving find it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.config import KeelConfig
from keel.errors import FeatureError
from keel.store import SQLStore

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from keel.data import Loaded, Schema
    from keel.features import FeaturePipeline
    from keel.tracking import ActiveRun

#: The artifact name of a fitted pipeline inside its run.
PIPELINE_ARTIFACT = "features/pipeline.keelfp"


@dataclass(frozen=True)
class FittedFeatures:
    """A pipeline fitted by ``Workspace.fit_features`` and where it was recorded."""

    pipeline: FeaturePipeline
    run_id: str
    path: Path


class FeatureMethods:
    """Mixed into Workspace, which provides these attributes and methods."""

    root: Path
    config: KeelConfig
    store: SQLStore

    if TYPE_CHECKING:
        read_data: Callable[..., Loaded]
        load_schema: Callable[[], Schema]
        snapshot_loaded: Callable[..., Any]
        start_run: Callable[..., ActiveRun]
        download_artifact: Callable[..., Path]

        @property
        def schema_path(self) -> Path: ...

    @property
    def features_path(self) -> Path:
        """Where the last fitted feature pipeline is kept for scoring and serving."""
        return self.root / ".keel" / "features" / "pipeline.keelfp"

    def fit_features(self, source: Any = None, *, random_state: int = 0) -> FittedFeatures:
        """Fit keel.yaml's ``features:`` on ``source`` (default data.source) as a tracked run.

        The run records the spec, the report (inputs, outputs, what was dropped and why,
        leakage flags), the data snapshot it was fitted on, and the pipeline itself; the
        pipeline is also written to ``features_path``. With ``lags:``, each entity's recent
        rows are kept in the store's feature history under ``features/<run id>``.
        """
        from keel.features import FeaturePipeline, StoreHistory, save_pipeline

        loaded = self.read_data(source)
        data = self.config.data
        schema = self.load_schema() if self.schema_path.exists() else None
        with self.start_run("features", tags={"keel.kind": "features"}) as run:
            # Lag features read each entity's recent rows from the store when serving, so
            # every replica sees the same history and a restart loses none of it.
            lags = self.config.features.lags
            history = StoreHistory(self.store, f"features/{run.id}") if lags else None
            pipe = FeaturePipeline(
                self.config.features,
                schema=schema,
                target=data.target if data else None,
                random_state=random_state,
                history=history,
            )
            pipe.fit(loaded.frame)
            run.log_input(self.snapshot_loaded(loaded))
            run.log_dict(self.config.features.model_dump(mode="json"), "features/spec.json")
            run.log_dict(pipe.report_.to_dict(), "features/report.json")
            run.log_metrics(
                {
                    "features.inputs": len(pipe.report_.inputs),
                    "features.outputs": len(pipe.feature_names_out_),
                    "features.leaky": len(pipe.report_.leaky),
                }
            )
            save_pipeline(pipe, self.features_path)
            run.log_artifact(self.features_path, PIPELINE_ARTIFACT)
        return FittedFeatures(pipe, run.id, self.features_path)

    def load_features(self, run_id: str | None = None) -> FeaturePipeline:
        """The pipeline of a features run (verified), or the last fitted one."""
        from keel.features import load_pipeline

        missing = FeatureError(
            "No feature pipeline has been fitted in this workspace yet: run "
            "`keel features fit` (or Workspace.fit_features()) first."
        )
        return load_kept(
            self, run_id, PIPELINE_ARTIFACT, self.features_path, load_pipeline, missing
        )

    def transform_features(
        self, source: Any = None, *, run_id: str | None = None
    ) -> tuple[np.ndarray, list[str]]:
        """Features for ``source`` (default data.source) with their names."""
        pipe = self.load_features(run_id)
        return pipe.transform(self.read_data(source).frame), list(pipe.feature_names_out_)

    def features_frame(self, source: Any = None, *, run_id: str | None = None) -> pd.DataFrame:
        """``transform_features`` as a DataFrame whose columns are the feature names."""
        import pandas as pd

        values, names = self.transform_features(source, run_id=run_id)
        return pd.DataFrame(values, columns=names)


def load_kept(
    ws: Any,
    run_id: str | None,
    artifact: str,
    kept: Path,
    load: Callable[[Path], Any],
    missing: Exception,
) -> Any:
    """A fitted object: a run's ``artifact`` (downloaded, verified), or the copy the
    workspace keeps at ``kept``; ``missing`` is raised when there is neither."""
    import tempfile

    if run_id is None:
        if not kept.exists():
            raise missing
        return load(kept)
    with tempfile.TemporaryDirectory() as folder:
        return load(ws.download_artifact(run_id, artifact, Path(folder) / kept.name))
