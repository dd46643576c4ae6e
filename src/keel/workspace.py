"""The Workspace: the one handle a user holds; it opens the store and the artifact store."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from keel._workspace_data import DataMethods
from keel._workspace_evaluate import EvaluateMethods
from keel._workspace_features import FeatureMethods
from keel._workspace_models import ModelsMethods
from keel._workspace_monitoring import MonitoringMethods
from keel._workspace_rollout import RolloutMethods
from keel._workspace_serving import ServingMethods
from keel._workspace_train import TrainMethods
from keel.config import CONFIG_FILE, KeelConfig, load_config
from keel.errors import ConfigError
from keel.store import ArtifactRecord, Experiment, MetricPoint, RunRecord, SQLStore
from keel.store._artifacts import ArtifactStore, open_artifact_store
from keel.tracking import ActiveRun, GcReport, RunPage, Tracker
from keel.tracking import _lifecycle as lifecycle

__all__ = ["Workspace"]

STORE_URL_ENV = "KEEL_STORE_URL"


class Workspace(
    DataMethods,
    FeatureMethods,
    TrainMethods,
    EvaluateMethods,
    ModelsMethods,
    ServingMethods,
    RolloutMethods,
    MonitoringMethods,
):
    """A keel project on disk: its keel.yaml, metadata store and artifact store.

    Example:
        >>> import keel, tempfile
        >>> ws = keel.Workspace.init(tempfile.mkdtemp(), project="demo")
        >>> with ws.start_run(name="first", params={"lr": 0.1}) as run:
        ...     run.log_metric("loss", 0.5, step=1)
        >>> [r.name for r in ws.search_runs("params.lr = '0.1'")]
        ['first']
        >>> ws.close()
    """

    def __init__(self, root: Path, config: KeelConfig):
        self.root = root
        self.config = config
        self.store = SQLStore(_store_url(root, config))
        self.store.open()
        self.artifacts: ArtifactStore = open_artifact_store(_resolve(root, config.store.artifacts))
        tracking = config.tracking
        self.tracker = Tracker(
            self.store,
            self.artifacts,
            default_experiment=tracking.experiment,
            flush_interval_s=tracking.flush_interval_s,
            flush_batch_points=tracking.flush_batch_points,
            max_pending_points=tracking.max_pending_points,
        )

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] = ".") -> Workspace:
        """Open the workspace whose keel.yaml is in ``path`` or the nearest folder above it.

        Raises:
            ConfigError: no keel.yaml was found, or it is invalid.
            StoreVersionError: the store was written by a newer keel.
        """
        config_path = _find_config(Path(path))
        return cls(config_path.parent, load_config(config_path))

    @classmethod
    def init(
        cls,
        path: str | os.PathLike[str] = ".",
        project: str | None = None,
        *,
        exist_ok: bool = False,
    ) -> Workspace:
        """Create keel.yaml (commented) and the ``.keel/`` store in ``path``, then open it."""
        from keel._template import KEEL_YAML

        root = Path(path).resolve()
        root.mkdir(parents=True, exist_ok=True)
        config_path = root / CONFIG_FILE
        if config_path.exists() and not exist_ok:
            raise ConfigError(
                f"{config_path} already exists: this folder is a workspace already.",
                path=str(config_path),
            )
        if not config_path.exists():
            name = project or _project_name(root.name)
            text = KEEL_YAML.format(project=json.dumps(name))
            _check_template(text, config_path)  # refuse a bad name before writing anything
            config_path.write_text(text, encoding="utf-8")
        (root / ".keel").mkdir(exist_ok=True)
        return cls(root, load_config(config_path))

    def close(self) -> None:
        """Flush buffered metrics and release database connections."""
        self.tracker.close()
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Workspace {self.config.project!r} at {self.root}>"

    # -- tracking ----------------------------------------------------------------------

    def start_run(
        self,
        name: str | None = None,
        *,
        experiment: str | None = None,
        params: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        parent: str | ActiveRun | None = None,
    ) -> ActiveRun:
        """Start a tracked run; use it as ``with ws.start_run(...) as run:``."""
        return self.tracker.start_run(
            name, experiment=experiment, params=params, tags=tags, parent=parent
        )

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id. Raises RunNotFoundError."""
        return self.tracker.get_run(run_id)

    def search_runs(
        self,
        filter: str | None = None,
        *,
        experiments: Sequence[str] | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 100,
        page_token: str | None = None,
        include_deleted: bool = False,
    ) -> RunPage:
        """One page of runs matching ``filter``, newest first unless ``order_by`` says otherwise.

        Example:
            ``ws.search_runs("metrics.auc > 0.9 and params.model = 'lightgbm'",
            order_by=["metrics.auc desc"])``
        """
        return self.tracker.search_runs(
            filter,
            experiments=experiments,
            order_by=order_by,
            max_results=max_results,
            page_token=page_token,
            include_deleted=include_deleted,
        )

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        *,
        start_step: int | None = None,
        end_step: int | None = None,
        max_results: int = 10_000,
    ) -> list[MetricPoint]:
        """Points of one metric, ordered by step, within ``[start_step, end_step]``."""
        return self.tracker.get_metric_history(
            run_id, key, start_step=start_step, end_step=end_step, max_results=max_results
        )

    def list_experiments(self, *, include_deleted: bool = False) -> list[Experiment]:
        return self.tracker.list_experiments(include_deleted=include_deleted)

    def count_runs(self, *, include_deleted: bool = False) -> dict[str, int]:
        """Number of runs in each experiment, by experiment name."""
        found = self.list_experiments(include_deleted=include_deleted)
        counts = self.store.count_runs(
            [e.experiment_id for e in found], include_deleted=include_deleted
        )
        return {e.name: counts.get(e.experiment_id, 0) for e in found}

    def metric_counts(self, run_id: str) -> dict[str, int]:
        """Number of points logged for each metric of a run."""
        return self.store.metric_counts(self.get_run(run_id).run_id)

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        return self.tracker.list_artifacts(run_id)

    def download_artifact(self, run_id: str, name: str, dest: str | os.PathLike[str]) -> Path:
        """Copy a run's artifact (or folder of artifacts) to ``dest``, verifying every byte."""
        return self.tracker.download_artifact(run_id, name, dest)

    def delete_runs(self, run_ids: Sequence[str], *, purge: bool = False) -> GcReport:
        """Tombstone runs, or with ``purge`` remove them and their unreferenced artifacts."""
        return lifecycle.delete_runs(self.tracker, run_ids, purge=purge)

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        lifecycle.restore_runs(self.tracker, run_ids)

    def delete_experiment(self, name: str, *, purge: bool = False) -> GcReport:
        return lifecycle.delete_experiment(self.tracker, name, purge=purge)

    def restore_experiment(self, name: str) -> None:
        """Bring a tombstoned experiment back with all its runs."""
        lifecycle.restore_experiment(self.tracker, name)

    def gc(self) -> GcReport:
        """Purge tombstoned runs and experiments and delete unreferenced artifacts."""
        return lifecycle.gc(self.tracker)

    def mark_dead_runs_killed(self) -> tuple[list[RunRecord], list[RunRecord]]:
        """Mark RUNNING runs whose process is gone KILLED; returns (killed, not checkable)."""
        return lifecycle.mark_dead_runs_killed(self.tracker)


def _check_template(text: str, path: Path) -> None:
    import yaml
    from pydantic import ValidationError

    try:
        KeelConfig.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(
            f"Cannot create {path}: the project name {error['input']!r} is not allowed; "
            "use letters, digits, '_', '.' and '-', starting with a letter or digit.",
            path=str(path),
            field="project",
        ) from None


def _find_config(start: Path) -> Path:
    start = start.resolve()
    if start.is_file():
        return start
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"No {CONFIG_FILE} in {start} or any folder above it. Create one with `keel init`.",
        path=str(start / CONFIG_FILE),
    )


def _store_url(root: Path, config: KeelConfig) -> str:
    url = os.environ.get(STORE_URL_ENV) or config.store.url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        relative = url.removeprefix("sqlite:///")
        if relative and not relative.startswith(":memory:"):
            return f"sqlite:///{(root / relative).resolve()}"
    return url


def _resolve(root: Path, location: str) -> str:
    if "://" in location:
        return location
    return str((root / location).resolve())


def _project_name(folder: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", folder).strip("-.")
    return name if name and name[0].isalnum() else "project"
