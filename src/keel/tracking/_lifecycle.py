"""Deleting runs and experiments for real, reclaiming artifact space, and finding dead runs."""

from __future__ import annotations

import time
from collections.abc import Sequence

from keel.errors import ExperimentNotFoundError, TrackingError
from keel.store import Experiment, RunRecord
from keel.tracking import _process
from keel.tracking._tracker import GcReport, Tracker


def delete_runs(tracker: Tracker, run_ids: Sequence[str], *, purge: bool = False) -> GcReport:
    """Tombstone runs (hidden from search, restorable); with ``purge`` remove them and their
    artifacts no other run references."""
    ids = list(dict.fromkeys(tracker.get_run(run_id).run_id for run_id in run_ids))
    if not purge:
        tracker.store.set_runs_lifecycle(ids, "deleted")
        return GcReport()
    return _purge(tracker, ids)


def restore_runs(tracker: Tracker, run_ids: Sequence[str]) -> None:
    """Bring tombstoned runs back; a run of a deleted experiment needs the experiment first."""
    records = [tracker.get_run(run_id) for run_id in run_ids]
    deleted = {e.experiment_id: e.name for e in _deleted_experiments(tracker)}
    for record in records:
        if record.experiment_id in deleted:
            name = deleted[record.experiment_id]
            raise TrackingError(
                f"Run {record.run_id} belongs to the deleted experiment {name!r}; restore the "
                f"experiment instead (`keel experiments restore {name}`)."
            )
    tracker.store.set_runs_lifecycle([r.run_id for r in records], "active")


def restore_experiment(tracker: Tracker, name: str) -> None:
    """Bring a tombstoned experiment back with all its runs."""
    experiment = tracker.store.get_experiment(name)
    if experiment is None:
        raise ExperimentNotFoundError(name)
    tracker.store.set_experiment_lifecycle(experiment.experiment_id, "active")


def delete_experiment(tracker: Tracker, name: str, *, purge: bool = False) -> GcReport:
    """Tombstone an experiment with its runs; ``purge`` removes it and frees its name."""
    experiment = tracker.store.get_experiment(name)
    if experiment is None:
        raise ExperimentNotFoundError(name)
    if not purge:
        tracker.store.set_experiment_lifecycle(experiment.experiment_id, "deleted")
        return GcReport()
    run_ids = [r.run_id for r in _all_runs_of(tracker, experiment.experiment_id)]
    report = _purge(tracker, run_ids)
    tracker.store.purge_experiment(experiment.experiment_id)
    return GcReport(report.runs_purged, 1, report.blobs_deleted, report.bytes_freed)


def gc(tracker: Tracker) -> GcReport:
    """Purge every tombstoned run and experiment, then delete every unreferenced blob."""
    experiments = _deleted_experiments(tracker)
    runs_purged = 0
    for experiment in experiments:
        runs_purged += len(_all_runs_of(tracker, experiment.experiment_id))
        tracker.store.purge_experiment(experiment.experiment_id)
    loose = tracker.store.deleted_run_ids()
    tracker.store.purge_runs(loose)
    runs_purged += len(loose)
    referenced = tracker.store.referenced_digests()
    blobs, freed = 0, 0
    for blob in list(tracker.artifacts.iter_blobs()):
        if blob.digest not in referenced:
            freed += tracker.artifacts.delete(blob.digest)
            blobs += 1
    return GcReport(runs_purged, len(experiments), blobs, freed)


def mark_dead_runs_killed(tracker: Tracker) -> tuple[list[RunRecord], list[RunRecord]]:
    """Mark RUNNING runs whose process on this host is gone as KILLED.

    Returns:
        (killed, unknown): the runs marked KILLED, and RUNNING runs started on other hosts,
        which this host cannot check and leaves alone.
    """
    here = _process.host_name()
    killed, unknown = [], []
    for run in tracker.store.runs_with_status("RUNNING"):
        if run.host != here or run.pid is None:
            unknown.append(run)
        elif not _process.process_alive(run.pid, run.pid_started):
            message = f"process {run.pid} on {run.host} ended without ending the run"
            tracker.store.update_run(
                run.run_id, status="KILLED", end_time=time.time(), error=message
            )
            killed.append(tracker.get_run(run.run_id))
    return killed, unknown


def _purge(tracker: Tracker, run_ids: list[str]) -> GcReport:
    if not run_ids:
        return GcReport()
    digests = {a.digest for run_id in run_ids for a in tracker.store.list_artifacts(run_id)}
    tracker.store.purge_runs(run_ids)
    orphans = digests - tracker.store.referenced_digests()
    freed = sum(tracker.artifacts.delete(digest) for digest in orphans)
    return GcReport(len(run_ids), 0, len(orphans), freed)


def _deleted_experiments(tracker: Tracker) -> list[Experiment]:
    return [
        e for e in tracker.store.list_experiments(include_deleted=True) if e.lifecycle == "deleted"
    ]


def _all_runs_of(tracker: Tracker, experiment_id: int) -> list[RunRecord]:
    return tracker.store.search_runs(experiment_ids=[experiment_id], limit=None, lifecycle=None)
