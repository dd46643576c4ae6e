"""Conformance kit for keel's metadata store: the tracking contract on a given database.

Subclass it and provide a ``store_url`` fixture naming an empty database; keel runs the
same kit on SQLite and on PostgreSQL.

Example:
    >>> class TestMyDatabase(StoreTests):   # doctest: +SKIP
    ...     @pytest.fixture
    ...     def store_url(self):
    ...         return "sqlite:///" + str(tmp_path / "keel.db")
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from keel.errors import (
    ExperimentNotFoundError,
    FilterError,
    ParamConflictError,
    RunNotFoundError,
    SnapshotNotFoundError,
    StoreVersionError,
    TrackingError,
)
from keel.store import SnapshotRecord, SQLStore
from keel.store._artifacts import open_artifact_store
from keel.tracking import (
    Tracker,
    delete_experiment,
    delete_runs,
    gc,
    restore_experiment,
    restore_runs,
)


class StoreTests:
    """Every test gets a fresh ``tracker`` over ``store_url``; subclasses provide the URL."""

    @pytest.fixture
    def store_url(self) -> str:
        raise NotImplementedError("subclasses provide the URL of an empty database")

    @pytest.fixture
    def tracker(self, store_url: str, tmp_path: Path) -> Iterator[Tracker]:
        store = SQLStore(store_url)
        store.open()
        tracker = Tracker(store, open_artifact_store(tmp_path / "artifacts"), flush_interval_s=0.05)
        yield tracker
        tracker.close()
        store.close()

    # -- experiments -------------------------------------------------------------------

    def test_experiment_is_created_once(self, tracker: Tracker) -> None:
        first = tracker.store.get_or_create_experiment("exp")
        assert tracker.store.get_or_create_experiment("exp") == first
        assert [e.name for e in tracker.list_experiments()] == ["exp"]

    def test_purged_experiment_name_can_be_reused(self, tracker: Tracker) -> None:
        with tracker.start_run(experiment="exp") as run:
            run.log_metric("m", 1.0)
        delete_experiment(tracker, "exp")
        assert tracker.list_experiments() == []
        with pytest.raises(TrackingError, match="'exp' is deleted"):  # it keeps its name
            tracker.start_run(experiment="exp")
        report = delete_experiment(tracker, "exp", purge=True)
        assert (report.runs_purged, report.experiments_purged) == (1, 1)
        with tracker.start_run(experiment="exp"):
            pass
        assert len(tracker.search_runs(experiments=["exp"])) == 1

    def test_runs_of_a_deleted_experiment_come_back_with_it(self, tracker: Tracker) -> None:
        with tracker.start_run(experiment="exp") as run:
            pass
        delete_experiment(tracker, "exp")
        with pytest.raises(TrackingError, match="restore the experiment"):
            restore_runs(tracker, [run.id])
        restore_experiment(tracker, "exp")
        assert [r.run_id for r in tracker.search_runs(experiments=["exp"])] == [run.id]

    def test_gc_counts_the_runs_of_purged_experiments(self, tracker: Tracker) -> None:
        for experiment in ("a", "a", "b"):
            with tracker.start_run(experiment=experiment):
                pass
        delete_experiment(tracker, "a")
        delete_runs(tracker, [tracker.search_runs(experiments=["b"])[0].run_id] * 2)
        report = gc(tracker)
        assert (report.runs_purged, report.experiments_purged) == (3, 1)
        assert tracker.search_runs(include_deleted=True) == []

    def test_unknown_experiment_is_named(self, tracker: Tracker) -> None:
        with pytest.raises(ExperimentNotFoundError, match="'nope'"):
            tracker.search_runs(experiments=["nope"])

    # -- runs --------------------------------------------------------------------------

    def test_run_lifecycle_statuses(self, tracker: Tracker) -> None:
        with tracker.start_run(name="ok") as ok:
            assert tracker.get_run(ok.id).status == "RUNNING"
        with pytest.raises(ValueError), tracker.start_run(name="bad") as bad:
            raise ValueError("boom")
        with pytest.raises(KeyboardInterrupt), tracker.start_run(name="stop") as stop:
            raise KeyboardInterrupt
        assert tracker.get_run(ok.id).status == "FINISHED"
        failed = tracker.get_run(bad.id)
        assert (failed.status, failed.error) == ("FAILED", "ValueError: boom")
        assert tracker.get_run(stop.id).status == "KILLED"
        finished = tracker.get_run(ok.id)
        assert finished.end_time is not None and finished.end_time >= finished.start_time

    def test_run_records_where_it_ran(self, tracker: Tracker) -> None:
        import os

        with tracker.start_run() as run:
            pass
        record = tracker.get_run(run.id)
        assert record.pid == os.getpid() and record.host
        assert record.name == f"run-{run.id[:8]}"

    def test_nested_run_points_at_parent(self, tracker: Tracker) -> None:
        with tracker.start_run(name="study") as parent, tracker.start_run(parent=parent) as child:
            pass
        assert tracker.get_run(child.id).parent_run_id == parent.id
        with pytest.raises(RunNotFoundError):
            tracker.start_run(parent="0" * 32)

    def test_unknown_run_id(self, tracker: Tracker) -> None:
        with pytest.raises(RunNotFoundError, match="no-such-run"):
            tracker.get_run("no-such-run")

    # -- params and tags ---------------------------------------------------------------

    def test_params_are_immutable(self, tracker: Tracker) -> None:
        with tracker.start_run(params={"lr": 0.1, "model": "lgbm"}) as run:
            run.log_param("lr", 0.1)  # the same value again is fine
            with pytest.raises(ParamConflictError, match=r"'lr'.*0\.1.*0\.2"):
                run.log_param("lr", 0.2)
        assert tracker.get_run(run.id).params == {"lr": "0.1", "model": "lgbm"}

    def test_tags_can_change(self, tracker: Tracker) -> None:
        with tracker.start_run(tags={"stage": "dev", "owner": "ana"}) as run:
            run.set_tag("stage", "prod")
            run.delete_tag("owner")
            run.delete_tag("never-set")
        assert tracker.get_run(run.id).tags == {"stage": "prod"}

    # -- metrics -----------------------------------------------------------------------

    def test_special_floats_round_trip(self, tracker: Tracker) -> None:
        with tracker.start_run() as run:
            for step, value in enumerate([math.nan, math.inf, -math.inf, 0.25]):
                run.log_metric(f"m{step}", value, step=step)
                run.log_metric("all", value, step=step)
        stored = tracker.get_run(run.id).metrics
        assert math.isnan(stored["m0"])
        assert (stored["m1"], stored["m2"], stored["m3"]) == (math.inf, -math.inf, 0.25)
        history = [p.value for p in tracker.get_metric_history(run.id, "all")]
        assert math.isnan(history[0]) and history[1:] == [math.inf, -math.inf, 0.25]

    def test_latest_metric_is_highest_step_then_newest(self, tracker: Tracker) -> None:
        with tracker.start_run() as run:
            run.log_metric("m", 5.0, step=5, timestamp=100.0)
            run.log_metric("m", 1.0, step=1, timestamp=200.0)
            run.flush()
            run.log_metric("m", 6.0, step=5, timestamp=150.0)
            run.log_metric("m", 0.5, step=2, timestamp=300.0)
        assert tracker.get_run(run.id).metrics == {"m": 6.0}
        assert tracker.store.metric_counts(run.id) == {"m": 4}

    def test_history_is_read_by_step_range(self, tracker: Tracker) -> None:
        with tracker.start_run() as run:
            for step in range(100):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
        window = tracker.get_metric_history(run.id, "loss", start_step=10, end_step=19)
        assert [p.step for p in window] == list(range(10, 20))
        first = tracker.get_metric_history(run.id, "loss", max_results=3)
        assert [p.step for p in first] == [0, 1, 2]

    @pytest.mark.parametrize("value", ["0.5", None, True, [1.0], {"a": 1}])
    def test_non_numeric_metric_is_refused(self, tracker: Tracker, value: Any) -> None:
        with tracker.start_run() as run, pytest.raises(TrackingError, match="real number"):
            run.log_metric("auc", value)

    @pytest.mark.parametrize("key", ["", "  ", "x" * 251, "tab\there", 3])
    def test_bad_metric_key_is_refused(self, tracker: Tracker, key: Any) -> None:
        with tracker.start_run() as run, pytest.raises(TrackingError, match="metric key"):
            run.log_metric(key, 1.0)

    def test_bad_step_is_refused(self, tracker: Tracker) -> None:
        with tracker.start_run() as run, pytest.raises(TrackingError, match=r"step.*integer"):
            run.log_metric("auc", 0.5, step=1.5)  # type: ignore[arg-type]

    # -- search ------------------------------------------------------------------------

    def _populate(self, tracker: Tracker, n: int = 30) -> None:
        for i in range(n):
            model = "lightgbm" if i % 2 == 0 else "logistic"
            with tracker.start_run(name=f"r{i:02d}", params={"model": model}) as run:
                run.log_metric("auc", 0.5 + i / 100)

    def test_search_filters_and_orders(self, tracker: Tracker) -> None:
        self._populate(tracker)
        page = tracker.search_runs(
            "metrics.auc > 0.7 and params.model = 'lightgbm'", order_by=["metrics.auc desc"]
        )
        assert [r.name for r in page] == ["r28", "r26", "r24", "r22"]
        assert page.next_page_token is None

    def test_search_pages_cover_every_run_once(self, tracker: Tracker) -> None:
        self._populate(tracker, 25)
        seen: list[str] = []
        token = None
        while True:
            page = tracker.search_runs(order_by=["metrics.auc"], max_results=7, page_token=token)
            seen.extend(r.name for r in page)
            token = page.next_page_token
            if token is None:
                break
        assert seen == [f"r{i:02d}" for i in range(25)]

    def test_page_token_of_another_search_is_refused(self, tracker: Tracker) -> None:
        self._populate(tracker, 5)
        token = tracker.search_runs(max_results=2).next_page_token
        with pytest.raises(TrackingError, match="different search"):
            tracker.search_runs("metrics.auc > 0", max_results=2, page_token=token)
        with pytest.raises(TrackingError, match="not a token"):
            tracker.search_runs(page_token="garbage!")

    def test_bad_filter_points_at_the_position(self, tracker: Tracker) -> None:
        with pytest.raises(FilterError) as info:
            tracker.search_runs("metrics.auc > 0.9 and params.model lightgbm")
        assert info.value.position == len("metrics.auc > 0.9 and params.model ")

    def test_bad_max_results(self, tracker: Tracker) -> None:
        with pytest.raises(TrackingError, match="max_results"):
            tracker.search_runs(max_results=0)

    def test_deleted_runs_are_hidden_and_purge_removes_everything(
        self, tracker: Tracker, tmp_path: Path
    ) -> None:
        self._populate(tracker, 3)
        first = tracker.search_runs(order_by=["attributes.name"])[0]
        source = tmp_path / "model.bin"
        source.write_bytes(b"weights" * 100)
        tracker.log_artifact(first.run_id, source, None)
        delete_runs(tracker, [first.run_id])
        assert first.run_id not in {r.run_id for r in tracker.search_runs()}
        assert first.run_id in {r.run_id for r in tracker.search_runs(include_deleted=True)}
        report = delete_runs(tracker, [first.run_id], purge=True)
        assert (report.runs_purged, report.blobs_deleted, report.bytes_freed) == (1, 1, 700)
        with pytest.raises(RunNotFoundError):
            tracker.get_run(first.run_id)
        assert tracker.store.metric_history(first.run_id, "auc") == []
        assert tracker.store.list_artifacts(first.run_id) == []

    # -- versions ----------------------------------------------------------------------

    def test_store_from_a_newer_keel_is_refused(self, tracker: Tracker, store_url: str) -> None:
        from sqlalchemy import update

        from keel.store._schema import SCHEMA_VERSION, meta

        with tracker.store.writing() as conn:
            conn.execute(update(meta).where(meta.c.key == "schema_version").values(value="99"))
        again = SQLStore(store_url)
        with pytest.raises(StoreVersionError, match=f"version 99.*version {SCHEMA_VERSION}"):
            again.open()
        again.close()

    def test_bad_history_window_and_filter_type(self, tracker: Tracker) -> None:
        with tracker.start_run() as run:
            run.log_metric("loss", 1.0)
        with pytest.raises(TrackingError, match="step of metric 'loss' must be an integer"):
            tracker.get_metric_history(run.id, "loss", start_step="ten")  # type: ignore[arg-type]
        with pytest.raises(TrackingError, match="filter is a string"):
            tracker.search_runs(42)  # type: ignore[arg-type]

    # -- data snapshots ----------------------------------------------------------------

    def _snapshot(self, tracker: Tracker, content: bytes) -> SnapshotRecord:
        data = tracker.artifacts.put_bytes(content)
        schema = tracker.artifacts.put_bytes(b'{"columns": []}')
        snapshot_id = hashlib.sha256(content + b"|schema").hexdigest()
        record = SnapshotRecord(
            snapshot_id,
            hashlib.sha256(content).hexdigest(),
            data.digest,
            schema.digest,
            rows=3,
            columns=2,
            source="test",
            created_at=1.0,
        )
        return tracker.store.add_snapshot(record)

    def test_snapshots_are_recorded_once_and_found_by_prefix(self, tracker: Tracker) -> None:
        first = self._snapshot(tracker, b"a,b\n1,2\n")
        assert self._snapshot(tracker, b"a,b\n1,2\n") == first
        assert tracker.store.get_snapshot(first.snapshot_id[:10]) == first
        assert tracker.store.get_snapshot("0" * 64) is None
        assert [s.snapshot_id for s in tracker.store.list_snapshots()] == [first.snapshot_id]

    def test_runs_record_the_snapshots_they_used(self, tracker: Tracker) -> None:
        train = self._snapshot(tracker, b"train")
        test = self._snapshot(tracker, b"test")
        with tracker.start_run() as run:
            run.log_input(train.snapshot_id[:12])
            run.log_input(train, "train")
            run.log_input(test, role="test")
            with pytest.raises(SnapshotNotFoundError):
                run.log_input("0" * 12)
        assert tracker.store.run_inputs(run.id) == {
            "test": [test.snapshot_id],
            "train": [train.snapshot_id],
        }
        with pytest.raises(SnapshotNotFoundError):
            tracker.store.link_input(run.id, "f" * 64, "train")

    def test_gc_keeps_snapshot_blobs(self, tracker: Tracker) -> None:
        snapshot = self._snapshot(tracker, b"keep me")
        report = gc(tracker)
        assert report.blobs_deleted == 0
        assert tracker.artifacts.read_bytes(snapshot.data_digest) == b"keep me"
