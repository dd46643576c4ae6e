"""Experiment tracking over a metadata store and an artifact store."""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keel.errors import (
    ArtifactError,
    ExperimentNotFoundError,
    RunNotFoundError,
    TrackingError,
)
from keel.store import ArtifactRecord, Experiment, MetricPoint, RunRecord, SQLStore
from keel.store._artifacts import ArtifactStore, check_artifact_name, iter_files
from keel.tracking import _process, _values
from keel.tracking._run import ActiveRun
from keel.tracking._writer import MetricWriter

MAX_RESULTS_LIMIT = 10_000


class RunPage(list[RunRecord]):
    """A page of search results; pass ``next_page_token`` back for the next page.

    ``next_page_token`` is None on the last page.
    """

    def __init__(self, runs: Sequence[RunRecord], next_page_token: str | None):
        super().__init__(runs)
        self.next_page_token = next_page_token


@dataclass(frozen=True)
class GcReport:
    """What a deletion or garbage collection removed, and the bytes it gave back."""

    runs_purged: int = 0
    experiments_purged: int = 0
    blobs_deleted: int = 0
    bytes_freed: int = 0


class Tracker:
    """Runs, params, metrics and artifacts of one workspace."""

    def __init__(
        self,
        store: SQLStore,
        artifacts: ArtifactStore,
        *,
        default_experiment: str = "default",
        flush_interval_s: float = 1.0,
        flush_batch_points: int = 10_000,
        max_pending_points: int = 1_000_000,
    ):
        self.store = store
        self.artifacts = artifacts
        self.default_experiment = default_experiment
        self._experiments: dict[str, Experiment] = {}
        self.writer = MetricWriter(
            store.write_metrics,
            interval_s=flush_interval_s,
            batch_points=flush_batch_points,
            max_pending=max_pending_points,
        )

    def close(self) -> None:
        self.writer.close()

    # -- runs --------------------------------------------------------------------------

    def start_run(
        self,
        name: str | None = None,
        *,
        experiment: str | None = None,
        params: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        parent: str | ActiveRun | None = None,
    ) -> ActiveRun:
        """Create a RUNNING run and return its handle (use it in a ``with`` block)."""
        experiment = _experiment_name(experiment or self.default_experiment)
        parent_id = parent.id if isinstance(parent, ActiveRun) else parent
        if parent_id is not None:
            self.get_run(parent_id)
        commit, dirty = _process.git_state()
        run_id = uuid.uuid4().hex
        fields: dict[str, Any] = {
            "run_id": run_id,
            "name": _run_name(name, run_id),
            "status": "RUNNING",
            "start_time": time.time(),
            "parent_run_id": parent_id,
            "git_commit": commit,
            "git_dirty": dirty,
            "host": _process.host_name(),
            "pid": os.getpid(),
            "pid_started": _process.process_started(os.getpid()),
            "user": _user(),
        }
        param_values = _values.text_values("param", params)
        tag_values = _values.text_values("tag", tags)
        exp = self._create_run(experiment, fields, param_values, tag_values)
        record = RunRecord(
            **fields,
            experiment_id=exp.experiment_id,
            experiment=exp.name,
            params=param_values,
            tags=tag_values,
        )
        return ActiveRun(self, record)

    def _create_run(
        self, experiment: str, fields: dict[str, Any], params: dict[str, str], tags: dict[str, str]
    ) -> Experiment:
        """Insert the run; the experiment id is cached, and looked up again if it vanished."""
        for attempt in (1, 2):
            exp = self._experiments.get(experiment) or self._active_experiment(experiment)
            try:
                self.store.create_run({**fields, "experiment_id": exp.experiment_id}, params, tags)
                return exp
            except ExperimentNotFoundError:
                self._experiments.pop(experiment, None)  # purged by another process
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _active_experiment(self, name: str) -> Experiment:
        exp = self.store.get_or_create_experiment(name)
        if exp.lifecycle != "active":
            raise TrackingError(
                f"Experiment {name!r} is deleted; runs cannot be added to it. Restore it "
                f"(`keel experiments restore {name}`), or purge it (`keel experiments delete "
                f"{name} --purge` or `keel gc`) to reuse the name."
            )
        self._experiments[name] = exp
        return exp

    def end_run(self, run_id: str, status: str, error: str | None = None) -> None:
        if status not in ("FINISHED", "FAILED", "KILLED"):
            raise TrackingError(f"A run ends FINISHED, FAILED or KILLED; got {status!r} instead.")
        self.writer.flush()
        self.store.update_run(run_id, status=status, end_time=time.time(), error=error)

    def get_run(self, run_id: str) -> RunRecord:
        record = self.store.get_run(run_id) if isinstance(run_id, str) else None
        if record is None:
            raise RunNotFoundError(str(run_id))
        return record

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        *,
        start_step: int | None = None,
        end_step: int | None = None,
        max_results: int = MAX_RESULTS_LIMIT,
    ) -> list[MetricPoint]:
        """Points of one metric of a run, ordered by step, read by step range."""
        self.get_run(run_id)
        _check_max_results(max_results)
        for bound in (start_step, end_step):
            if bound is not None:
                _values.metric_step(key, bound)
        return self.store.metric_history(
            run_id, key, start_step=start_step, end_step=end_step, max_results=max_results
        )

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
        """One page of runs matching ``filter``.

        Example: ``"metrics.auc > 0.9 and params.model = 'lgbm'"``.
        """
        _check_max_results(max_results)
        if filter is not None and not isinstance(filter, str):
            raise TrackingError(f"A search filter is a string; got {filter!r} instead.")
        if isinstance(experiments, str):
            experiments = [experiments]
        ids = (
            None
            if experiments is None
            else [self._experiment(n).experiment_id for n in experiments]
        )
        order_by = [order_by] if isinstance(order_by, str) else order_by
        query = json.dumps([filter, ids, order_by, include_deleted])
        offset = _decode_token(page_token, query)
        found = self.store.search_runs(
            filter,
            experiment_ids=ids,
            order_by=order_by,
            limit=max_results + 1,
            offset=offset,
            lifecycle=None if include_deleted else "active",
        )
        more = len(found) > max_results
        token = _encode_token(offset + max_results, query) if more else None
        return RunPage(found[:max_results], token)

    # -- experiments -------------------------------------------------------------------

    def list_experiments(self, *, include_deleted: bool = False) -> list[Experiment]:
        return self.store.list_experiments(include_deleted=include_deleted)

    def _experiment(self, name: str) -> Experiment:
        found = self.store.get_experiment(name)
        if found is None:
            raise ExperimentNotFoundError(name)
        return found

    # -- artifacts ---------------------------------------------------------------------

    def log_artifact(self, run_id: str, source: Path, name: str | None) -> list[str]:
        if not source.exists():
            raise ArtifactError(f"Cannot log artifact {str(source)!r}: no such file or folder.")
        base = check_artifact_name(name if name is not None else source.name)
        files = iter_files(source) if source.is_dir() else [(source, "")]
        records = []
        for path, relative in files:
            blob = self.artifacts.put_file(path)
            full = check_artifact_name(f"{base}/{relative}" if relative else base)
            records.append(ArtifactRecord(run_id, full, blob.digest, blob.size, time.time()))
        self.store.add_artifacts(records)
        return [record.path for record in records]

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        self.get_run(run_id)
        return self.store.list_artifacts(run_id)

    def download_artifact(self, run_id: str, name: str, dest: str | os.PathLike[str]) -> Path:
        """Copy an artifact to ``dest``, verifying its SHA-256.

        A folder name copies every file under it.
        """
        name = check_artifact_name(name)
        chosen = [
            a
            for a in self.list_artifacts(run_id)
            if a.path == name or a.path.startswith(name + "/")
        ]
        if not chosen:
            raise ArtifactError(f"Run {run_id} has no artifact named {name!r}.")
        dest = Path(dest)
        for artifact in chosen:
            relative = artifact.path[len(name) :].lstrip("/")
            target = dest / relative if relative else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            self.artifacts.copy_to(artifact.digest, target)
        return dest


def _check_max_results(max_results: Any) -> None:
    if not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS_LIMIT:
        raise TrackingError(
            f"max_results must be an integer between 1 and {MAX_RESULTS_LIMIT}; got "
            f"{max_results!r} instead."
        )


def _experiment_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 256:
        raise TrackingError(
            f"An experiment name must be 1 to 256 characters; got {name!r} instead."
        )
    return name


def _run_name(name: str | None, run_id: str) -> str:
    if name is None:
        return f"run-{run_id[:8]}"
    return _values.check_key("run name", name)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _encode_token(offset: int, query: str) -> str:
    payload = {"offset": offset, "query": hashlib.sha256(query.encode()).hexdigest()[:16]}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def _decode_token(token: str | None, query: str) -> int:
    if token is None:
        return 0
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = payload["offset"]
        same = payload["query"] == hashlib.sha256(query.encode()).hexdigest()[:16]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise TrackingError(
            f"page_token {token!r} is not a token that search_runs returned."
        ) from None
    if not same or not isinstance(offset, int) or offset < 0:
        raise TrackingError(
            "page_token belongs to a different search (filter, experiments or order changed); "
            "start again without it."
        )
    return offset
