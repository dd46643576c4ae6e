"""The metadata store: SQLAlchemy Core over SQLite (embedded) or PostgreSQL, one code path.

Thread-safe: every method takes a pooled connection of its own. Writes run in short
transactions (``BEGIN IMMEDIATE`` on SQLite, see ``_engine``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from keel.errors import (
    ExperimentNotFoundError,
    ParamConflictError,
    SnapshotNotFoundError,
    StoreError,
)
from keel.store import _migrate
from keel.store._engine import create_engines, sqlite_path
from keel.store._records import (
    ArtifactRecord,
    Experiment,
    MetricPoint,
    RunRecord,
    SnapshotRecord,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from keel.store._sql_deployments import DeploymentEventRow
    from keel.store._sql_history import HistoryRow
    from keel.store._sql_metrics import MetricRow
    from keel.store._sql_monitoring import AlertEventRow, MonitorReportRow
    from keel.store._sql_registry import AliasEventRow, ModelRow, NewVersion, VersionRow
    from keel.store._sql_tokens import TokenRow

_T = TypeVar("_T")

# An alias move or a registration that lost a race is retried this many times in all.
_REGISTRY_ATTEMPTS = 8


class SQLStore:
    """Experiments, runs, params, tags, metrics and artifact references in one database.

    Example:
        >>> store = SQLStore("sqlite://")   # in memory
        >>> store.open()
        >>> store.create_experiment("demo")
        1
    """

    def __init__(self, url: str):
        self.url = url

    # -- lifecycle ---------------------------------------------------------------------

    @cached_property
    def _engines(self) -> tuple[Engine, Engine]:
        return create_engines(self.url)

    @property
    def dialect(self) -> str:
        return self._engines[0].dialect.name

    def open(self) -> None:
        """Check the schema version (refusing a newer store) and migrate an older one.

        For a SQLite file already at this version, the check uses only the standard library,
        so opening a workspace does not import SQLAlchemy.
        """
        path = sqlite_path(self.url)
        if path is not None and not _migrate.check_version(
            _migrate.sqlite_schema_version(path), str(path)
        ):
            return
        with self._guard():
            _migrate.ensure_schema(self._engines[1], self._where())

    def close(self) -> None:
        if "_engines" in self.__dict__:
            self._engines[0].dispose()

    def _where(self) -> str:
        path = sqlite_path(self.url)
        return str(path) if path is not None else self._engines[0].url.render_as_string()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self._guard(), self._engines[0].connect() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        with self._guard(), self._engines[1].begin() as conn:
            yield conn

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Database failures become StoreError; IntegrityError is left to the callers that
        expect it (a concurrent create of the same experiment)."""
        from sqlalchemy.exc import DataError, InternalError, OperationalError, ProgrammingError

        try:
            yield
        except (OperationalError, DataError, InternalError, ProgrammingError) as exc:
            raise StoreError(f"The store at {self._where()} failed: {exc.orig}") from exc

    # -- experiments -------------------------------------------------------------------

    def create_experiment(self, name: str) -> int:
        from sqlalchemy import insert

        from keel.store._schema import experiments

        with self.writing() as conn:
            stmt = insert(experiments).values(name=name, created_at=time.time())
            key = conn.execute(stmt).inserted_primary_key
            assert key is not None
            return int(key[0])

    def get_or_create_experiment(self, name: str) -> Experiment:
        found = self.get_experiment(name)
        if found is not None:
            return found
        from sqlalchemy.exc import IntegrityError

        with contextlib.suppress(IntegrityError):  # another process created it meanwhile
            self.create_experiment(name)
        found = self.get_experiment(name)
        assert found is not None
        return found

    def get_experiment(self, name: str) -> Experiment | None:
        from keel.store._schema import experiments

        found = self._experiments(experiments.c.name == name)
        return found[0] if found else None

    def list_experiments(self, *, include_deleted: bool = False) -> list[Experiment]:
        from keel.store._schema import experiments

        where = [] if include_deleted else [experiments.c.lifecycle == "active"]
        return self._experiments(*where)

    def _experiments(self, *where: Any) -> list[Experiment]:
        from sqlalchemy import select

        from keel.store._schema import experiments

        stmt = select(experiments).where(*where).order_by(experiments.c.experiment_id)
        with self.reading() as conn:
            return [Experiment(**row._asdict()) for row in conn.execute(stmt)]

    def count_runs(
        self, experiment_ids: Sequence[int], *, include_deleted: bool = False
    ) -> dict[int, int]:
        """Runs per experiment id: active ones, or every one with ``include_deleted``."""
        from sqlalchemy import func, select

        from keel.store._schema import runs

        stmt = select(runs.c.experiment_id, func.count()).where(
            runs.c.experiment_id.in_(experiment_ids)
        )
        if not include_deleted:
            stmt = stmt.where(runs.c.lifecycle == "active")
        stmt = stmt.group_by(runs.c.experiment_id)
        with self.reading() as conn:
            return {eid: n for eid, n in conn.execute(stmt)}

    def set_experiment_lifecycle(self, experiment_id: int, lifecycle: str) -> None:
        """Tombstone (``deleted``) or restore (``active``) an experiment and all its runs."""
        from sqlalchemy import update

        from keel.store._schema import experiments, runs

        deleted_at = time.time() if lifecycle == "deleted" else None
        values = {"lifecycle": lifecycle, "deleted_at": deleted_at}
        with self.writing() as conn:
            conn.execute(
                update(experiments)
                .where(experiments.c.experiment_id == experiment_id)
                .values(**values)
            )
            conn.execute(update(runs).where(runs.c.experiment_id == experiment_id).values(**values))

    def purge_experiment(self, experiment_id: int) -> None:
        """Remove an experiment, its runs and everything they logged; frees its name."""
        from sqlalchemy import delete

        from keel.store._schema import experiments

        with self.writing() as conn:
            conn.execute(delete(experiments).where(experiments.c.experiment_id == experiment_id))

    # -- runs --------------------------------------------------------------------------

    def create_run(
        self,
        fields: dict[str, Any],
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        """Insert a run with its first params and tags, in one transaction.

        Raises:
            ExperimentNotFoundError: the experiment is gone or deleted (checked inside the
                transaction, so a concurrent delete cannot slip a run into it).
        """
        from sqlalchemy import insert, select

        from keel.store._schema import experiments, runs
        from keel.store._schema import params as params_table
        from keel.store._schema import tags as tags_table

        run_id, experiment_id = fields["run_id"], fields["experiment_id"]
        lifecycle = select(experiments.c.lifecycle).where(
            experiments.c.experiment_id == experiment_id
        )
        with self.writing() as conn:
            if conn.execute(lifecycle).scalar() != "active":
                raise ExperimentNotFoundError(f"id {experiment_id}")
            conn.execute(insert(runs).values(**fields))
            for table, values in ((params_table, params), (tags_table, tags)):
                if values:
                    rows = [{"run_id": run_id, "key": k, "value": v} for k, v in values.items()]
                    conn.execute(table.insert(), rows)

    def update_run(self, run_id: str, **fields: Any) -> None:
        from sqlalchemy import update

        from keel.store._schema import runs

        with self.writing() as conn:
            conn.execute(update(runs).where(runs.c.run_id == run_id).values(**fields))

    def get_run(self, run_id: str) -> RunRecord | None:
        from keel.store._schema import runs

        found = self._select_runs([runs.c.run_id == run_id])
        return found[0] if found else None

    def search_runs(
        self,
        filter_string: str | None = None,
        *,
        experiment_ids: Sequence[int] | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = 100,
        offset: int = 0,
        lifecycle: str | None = "active",
    ) -> list[RunRecord]:
        """Runs matching a filter (see ``keel.store._filter`` for the language), ordered.

        Raises:
            FilterError: the filter or an ``order_by`` item is malformed; the message
                points at the offending position.
        """
        from keel.store._sql_search import fetch_runs, search_statement

        stmt = search_statement(
            filter_string,
            tuple(order_by or ()),
            None if experiment_ids is None else tuple(experiment_ids),
            lifecycle,
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        with self.reading() as conn:
            return fetch_runs(conn, stmt)

    def runs_with_status(self, status: str) -> list[RunRecord]:
        from keel.store._schema import runs

        return self._select_runs([runs.c.status == status])

    def deleted_run_ids(self) -> list[str]:
        from sqlalchemy import select

        from keel.store._schema import runs

        stmt = select(runs.c.run_id).where(runs.c.lifecycle == "deleted")
        with self.reading() as conn:
            return list(conn.execute(stmt).scalars())

    def _select_runs(self, where: list[Any]) -> list[RunRecord]:
        from keel.store._sql_search import select_runs

        with self.reading() as conn:
            return select_runs(conn, where=where)

    def set_runs_lifecycle(self, run_ids: Sequence[str], lifecycle: str) -> None:
        from sqlalchemy import update

        from keel.store._schema import runs

        deleted_at = time.time() if lifecycle == "deleted" else None
        with self.writing() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.run_id.in_(run_ids))
                .values(lifecycle=lifecycle, deleted_at=deleted_at)
            )

    def purge_runs(self, run_ids: Sequence[str]) -> None:
        """Remove runs with their params, tags, metrics and artifact references (cascade)."""
        from sqlalchemy import delete

        from keel.store._schema import runs

        with self.writing() as conn:
            for chunk in _chunks(list(run_ids), 500):
                conn.execute(delete(runs).where(runs.c.run_id.in_(chunk)))

    # -- params and tags ---------------------------------------------------------------

    def log_params(self, run_id: str, values: dict[str, str]) -> None:
        """Record params; a key already logged with another value raises ParamConflictError."""
        from sqlalchemy import select

        from keel.store._schema import params

        with self.writing() as conn:
            stmt = select(params.c.key, params.c.value).where(
                params.c.run_id == run_id, params.c.key.in_(list(values))
            )
            existing = dict(conn.execute(stmt).all())
            _check_param_conflicts(run_id, existing, values)
            new = [
                {"run_id": run_id, "key": k, "value": v}
                for k, v in values.items()
                if k not in existing
            ]
            if new:
                conn.execute(params.insert(), new)

    def set_tags(self, run_id: str, values: dict[str, str]) -> None:
        from sqlalchemy import delete

        from keel.store._schema import tags

        with self.writing() as conn:
            conn.execute(delete(tags).where(tags.c.run_id == run_id, tags.c.key.in_(list(values))))
            conn.execute(
                tags.insert(), [{"run_id": run_id, "key": k, "value": v} for k, v in values.items()]
            )

    def delete_tag(self, run_id: str, key: str) -> None:
        from sqlalchemy import delete

        from keel.store._schema import tags

        with self.writing() as conn:
            conn.execute(delete(tags).where(tags.c.run_id == run_id, tags.c.key == key))

    # -- metrics -----------------------------------------------------------------------

    def write_metrics(self, rows: Sequence[MetricRow]) -> None:
        from keel.store._sql_metrics import insert_metrics

        if not rows:
            return
        with self.writing() as conn:
            insert_metrics(conn, rows)

    def metric_history(self, run_id: str, key: str, **window: Any) -> list[MetricPoint]:
        from keel.store._sql_metrics import metric_history

        with self.reading() as conn:
            return metric_history(conn, run_id, key, **window)

    def metric_counts(self, run_id: str) -> dict[str, int]:
        """Number of points logged for each metric of a run."""
        from sqlalchemy import select

        from keel.store._schema import latest_metrics as lm

        stmt = select(lm.c.key, lm.c.count).where(lm.c.run_id == run_id).order_by(lm.c.key)
        with self.reading() as conn:
            return dict(conn.execute(stmt).all())

    # -- artifacts ---------------------------------------------------------------------

    def add_artifacts(self, records: Iterable[ArtifactRecord]) -> None:
        """Record artifacts; logging a name again points it at the new content."""
        from sqlalchemy import and_, delete, or_

        from keel.store._schema import artifacts

        rows = [vars(record) for record in records]
        if not rows:
            return
        with self.writing() as conn:
            same = [
                and_(artifacts.c.run_id == r["run_id"], artifacts.c.path == r["path"]) for r in rows
            ]
            for chunk in _chunks(same, 200):
                conn.execute(delete(artifacts).where(or_(*chunk)))
            conn.execute(artifacts.insert(), rows)

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        from sqlalchemy import select

        from keel.store._schema import artifacts

        stmt = select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.path)
        with self.reading() as conn:
            return [ArtifactRecord(**row._asdict()) for row in conn.execute(stmt)]

    def referenced_digests(self) -> set[str]:
        """Every blob something refers to: run artifacts, data snapshots and the packages
        of registered model versions (all but deleted ones)."""
        from sqlalchemy import select, union

        from keel.store._schema import artifacts, data_snapshots, model_versions

        stmt = union(
            select(artifacts.c.digest),
            select(data_snapshots.c.data_digest),
            select(data_snapshots.c.schema_digest),
            select(model_versions.c.package_digest).where(model_versions.c.status != "deleted"),
        )
        with self.reading() as conn:
            return set(conn.execute(stmt).scalars())

    # -- data snapshots ----------------------------------------------------------------

    def add_snapshot(self, record: SnapshotRecord) -> SnapshotRecord:
        """Record a snapshot; recording the same id again returns the first record."""
        from sqlalchemy.exc import IntegrityError

        from keel.store._schema import data_snapshots

        existing = self.get_snapshot(record.snapshot_id)
        if existing is not None:
            return existing
        # IntegrityError: another process recorded the same snapshot meanwhile.
        with contextlib.suppress(IntegrityError), self.writing() as conn:
            conn.execute(data_snapshots.insert().values(**vars(record)))
        found = self.get_snapshot(record.snapshot_id)
        assert found is not None
        return found

    def get_snapshot(self, snapshot_id: str) -> SnapshotRecord | None:
        """The snapshot with this id, or with this unique id prefix (8+ characters)."""
        from sqlalchemy import select

        from keel.store._schema import data_snapshots as table

        stmt = select(table).where(table.c.snapshot_id == snapshot_id)
        if 8 <= len(snapshot_id) < 64:
            stmt = select(table).where(table.c.snapshot_id.startswith(snapshot_id)).limit(2)
        with self.reading() as conn:
            rows = conn.execute(stmt).all()
        return SnapshotRecord(**rows[0]._asdict()) if len(rows) == 1 else None

    def list_snapshots(self) -> list[SnapshotRecord]:
        from sqlalchemy import select

        from keel.store._schema import data_snapshots as table

        stmt = select(table).order_by(table.c.created_at.desc())
        with self.reading() as conn:
            return [SnapshotRecord(**row._asdict()) for row in conn.execute(stmt)]

    def link_input(self, run_id: str, snapshot_id: str, role: str) -> None:
        """Record that a run used a snapshot (as its training data, say); idempotent."""
        from sqlalchemy import and_, delete

        from keel.store._schema import run_inputs as table

        if self.get_snapshot(snapshot_id) is None or len(snapshot_id) != 64:
            raise SnapshotNotFoundError(snapshot_id)
        with self.writing() as conn:
            same = and_(
                table.c.run_id == run_id,
                table.c.snapshot_id == snapshot_id,
                table.c.role == role,
            )
            conn.execute(delete(table).where(same))
            conn.execute(table.insert().values(run_id=run_id, snapshot_id=snapshot_id, role=role))

    def run_inputs(self, run_id: str) -> dict[str, list[str]]:
        """The snapshots a run used, by role."""
        from sqlalchemy import select

        from keel.store._schema import run_inputs as table

        stmt = select(table.c.role, table.c.snapshot_id).where(table.c.run_id == run_id)
        found: dict[str, list[str]] = {}
        with self.reading() as conn:
            for role, snapshot_id in conn.execute(stmt.order_by(table.c.role, table.c.snapshot_id)):
                found.setdefault(role, []).append(snapshot_id)
        return found

    # -- feature history (see _sql_history) -------------------------------------------

    def write_history(
        self, name: str, rows: Sequence[HistoryRow], *, replace: bool = False
    ) -> None:
        """Append ``(entity, event_time, values_json)`` rows to the history ``name``; with
        ``replace``, its old rows are dropped first, in the same transaction."""
        from keel.store._sql_history import write_history

        with self.writing() as conn:
            write_history(conn, name, rows, replace=replace)

    def read_history(self, name: str, entities: Sequence[str] | None, n: int) -> list[HistoryRow]:
        """The newest ``n`` rows of each entity (all when None), oldest first per entity."""
        from keel.store._sql_history import read_history

        with self.reading() as conn:
            return read_history(conn, name, entities, n)

    # -- model registry (see _sql_registry) --------------------------------------------

    def register_model_version(
        self,
        new: NewVersion,
        *,
        who: str | None,
        alias: str | None = None,
        why: str | None = None,
    ) -> VersionRow:
        """Record a version under its model's next number (creating the model), and point
        ``alias`` at it, in one transaction; safe against concurrent registrations."""
        from keel.store import _sql_registry as sql

        def register(conn: Connection, now: float) -> int:
            number = sql.insert_version(conn, new, who, now)
            if alias is not None:
                sql.move_alias(conn, new.name, alias, number, who, why, now)
            return number

        number = self._write_registry(register)
        found = self.model_version(new.name, number)
        assert found is not None
        return found

    def model_version(self, name: str, version: int) -> VersionRow | None:
        from keel.store._sql_registry import get_version

        with self.reading() as conn:
            return get_version(conn, name, version)

    def latest_model_version(self, name: str) -> VersionRow | None:
        """The highest-numbered active version of a model."""
        from keel.store._sql_registry import latest_active

        with self.reading() as conn:
            return latest_active(conn, name)

    def model_versions(
        self, name: str, statuses: Sequence[str] = ("active", "archived")
    ) -> list[VersionRow]:
        from keel.store._sql_registry import list_versions

        with self.reading() as conn:
            return list_versions(conn, name, statuses)

    def model_versions_of_run(self, run_id: str) -> list[VersionRow]:
        from keel.store._sql_registry import versions_of_run

        with self.reading() as conn:
            return versions_of_run(conn, run_id)

    def registered_models(self, name: str | None = None) -> list[ModelRow]:
        """Every registered model (or the one named), with its latest version and aliases."""
        from keel.store._sql_registry import list_models

        with self.reading() as conn:
            return list_models(conn, name)

    def model_alias(self, name: str, alias: str) -> int | None:
        from keel.store._sql_registry import alias_target

        with self.reading() as conn:
            return alias_target(conn, name, alias)

    def move_model_alias(
        self, name: str, alias: str, version: int, *, who: str | None, why: str | None = None
    ) -> AliasEventRow:
        """Point an alias at an active version, recording who, when, from, to and why."""
        from keel.store._sql_registry import move_alias

        return self._write_registry(
            lambda conn, now: move_alias(conn, name, alias, version, who, why, now)
        )

    def remove_model_alias(
        self, name: str, alias: str, *, who: str | None, why: str | None = None
    ) -> AliasEventRow:
        from keel.store._sql_registry import remove_alias

        return self._write_registry(
            lambda conn, now: remove_alias(conn, name, alias, who, why, now)
        )

    def rollback_model_alias(
        self, name: str, alias: str, *, who: str | None, why: str | None = None
    ) -> AliasEventRow:
        """Move an alias back to the version it held before (see ``held_versions``)."""
        from keel.store._sql_registry import rollback_alias

        return self._write_registry(
            lambda conn, now: rollback_alias(conn, name, alias, who, why, now)
        )

    def model_alias_history(self, name: str, alias: str | None = None) -> list[AliasEventRow]:
        from keel.store._sql_registry import alias_history

        with self.reading() as conn:
            return alias_history(conn, name, alias)

    def set_model_version_status(self, name: str, version: int, status: str) -> None:
        """``active``, ``archived`` or ``deleted``; refused while an alias points at it."""
        from keel.store._sql_registry import set_status

        self._write_registry(lambda conn, now: set_status(conn, name, version, status))

    def update_model_details(
        self,
        name: str,
        version: int | None = None,
        *,
        tags: dict[str, str | None] | None = None,
        description: str | None = None,
    ) -> None:
        """Merge tags (None removes a key) and/or set the description of a model or version."""
        from keel.store._sql_registry import update_details

        self._write_registry(
            lambda conn, now: update_details(
                conn, name, version, tags=tags, description=description
            )
        )

    def _write_registry(self, change: Callable[[Connection, float], _T]) -> _T:
        """Run ``change`` in a write transaction, again from the start when it lost a race
        (a unique key taken meanwhile, an alias revision moved under it)."""
        from sqlalchemy.exc import IntegrityError

        from keel.store._sql_registry import RevisionConflict

        for attempt in range(_REGISTRY_ATTEMPTS):
            try:
                with self.writing() as conn:
                    return change(conn, time.time())
            except (IntegrityError, RevisionConflict):
                if attempt == _REGISTRY_ATTEMPTS - 1:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    # -- API tokens (see _sql_tokens) ---------------------------------------------------

    def add_api_token(self, row: TokenRow) -> None:
        """Record a token (its digest only); a token id already taken raises IntegrityError."""
        from keel.store._sql_tokens import insert_token

        with self.writing() as conn:
            insert_token(conn, row)

    def api_token(self, token_id: str) -> TokenRow | None:
        from keel.store._sql_tokens import get_token

        with self.reading() as conn:
            return get_token(conn, token_id)

    def api_tokens(self, *, include_revoked: bool = True) -> list[TokenRow]:
        """Every token, oldest first (without revoked ones unless ``include_revoked``)."""
        from keel.store._sql_tokens import list_tokens

        with self.reading() as conn:
            return list_tokens(conn, include_revoked)

    def revoke_api_token(self, token_id: str) -> bool:
        """Revoke a token from now on; False when there is no such token."""
        from keel.store._sql_tokens import revoke_token

        with self.writing() as conn:
            return revoke_token(conn, token_id, time.time())

    # -- deployments (see _sql_deployments) ---------------------------------------------

    def deployment_state(self, name: str) -> dict[str, Any] | None:
        """The current state of a deployment as a JSON object, or None when unknown."""
        from keel.store._sql_deployments import get_state

        with self.reading() as conn:
            return get_state(conn, name)

    def deployment_states(self) -> list[dict[str, Any]]:
        """Every deployment's current state, by name."""
        from keel.store._sql_deployments import list_states

        with self.reading() as conn:
            return list_states(conn)

    def write_deployment(
        self, state: dict[str, Any], event: DeploymentEventRow, *, expected: int | None
    ) -> bool:
        """Write a new state with its event in one transaction: a new deployment when
        ``expected`` is None, else only if the stored revision is still ``expected``.
        False (nothing written) when another writer got there first."""
        from sqlalchemy.exc import IntegrityError

        from keel.store._sql_deployments import append_event, write_state

        try:
            with self.writing() as conn:
                if not write_state(conn, state, expected, event.at):
                    return False
                append_event(conn, event)
                return True
        except IntegrityError:  # PostgreSQL: another writer created it since we looked
            return False

    def deployment_events(self, name: str) -> list[DeploymentEventRow]:
        """A deployment's changes, oldest first."""
        from keel.store._sql_deployments import list_events

        with self.reading() as conn:
            return list_events(conn, name)

    def add_deployment_counts(
        self, name: str, increments: dict[tuple[int, int, int, str], float]
    ) -> None:
        """Add ``{(epoch, version, minute, counter): increment}`` to the shared counters."""
        from keel.store._sql_deployments import add_counts

        if increments:
            with self.writing() as conn:
                add_counts(conn, name, increments)

    def deployment_count_totals(self, name: str, epoch: int) -> list[tuple[int, str, float]]:
        """``(version, counter, total)`` of one epoch, summed over minutes and replicas."""
        from keel.store._sql_deployments import count_totals

        with self.reading() as conn:
            return count_totals(conn, name, epoch)

    def deployment_count_series(self, name: str, epoch: int) -> list[tuple[int, int, str, float]]:
        """``(minute, version, counter, value)`` of one epoch, in time order."""
        from keel.store._sql_deployments import count_series

        with self.reading() as conn:
            return count_series(conn, name, epoch)

    # -- monitoring (see _sql_monitoring) ----------------------------------------------

    def add_monitor_report(self, row: MonitorReportRow) -> int:
        """Store a monitor report; its new id."""
        from keel.store._sql_monitoring import add_report

        with self.writing() as conn:
            return add_report(conn, row)

    def set_monitor_report_html(self, report_id: int, digest: str) -> None:
        """Record the artifact digest of a report's HTML page."""
        from keel.store._sql_monitoring import set_report_html

        with self.writing() as conn:
            set_report_html(conn, report_id, digest)

    def monitor_reports(
        self, model: str | None = None, *, limit: int | None = None, with_body: bool = False
    ) -> list[MonitorReportRow]:
        """Stored monitor reports, newest first; their bodies only when ``with_body``."""
        from keel.store._sql_monitoring import list_reports

        with self.reading() as conn:
            return list_reports(conn, model, limit, with_body=with_body)

    def monitor_report(self, report_id: int) -> MonitorReportRow | None:
        """One stored monitor report with its body, or None."""
        from keel.store._sql_monitoring import get_report

        with self.reading() as conn:
            return get_report(conn, report_id)

    def add_alert_event(self, event: AlertEventRow) -> int:
        """Record a fired alert; its new id."""
        from keel.store._sql_monitoring import add_alert_event

        with self.writing() as conn:
            return add_alert_event(conn, event)

    def mark_alert_delivered(self, event_id: int, delivered: bool) -> None:
        from keel.store._sql_monitoring import mark_delivered

        with self.writing() as conn:
            mark_delivered(conn, event_id, delivered)

    def last_alert_event(self, fingerprint: str) -> AlertEventRow | None:
        """The newest alert event with this fingerprint, or None."""
        from keel.store._sql_monitoring import last_alert_event

        with self.reading() as conn:
            return last_alert_event(conn, fingerprint)

    def alert_events(
        self, model: str | None = None, *, limit: int | None = None
    ) -> list[AlertEventRow]:
        """Fired alerts, newest first."""
        from keel.store._sql_monitoring import list_alert_events

        with self.reading() as conn:
            return list_alert_events(conn, model, limit)

    # -- maintenance -------------------------------------------------------------------

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result ('ok' when sound); 'ok' elsewhere."""
        if self.dialect != "sqlite":
            return "ok"
        with self.reading() as conn:
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())


def _check_param_conflicts(run_id: str, existing: dict[str, str], new: dict[str, str]) -> None:
    for key, value in new.items():
        if key in existing and existing[key] != value:
            raise ParamConflictError(
                f"Param {key!r} of run {run_id} is already {existing[key]!r}; params are "
                f"immutable, so it cannot become {value!r}. Log the new value under another "
                "key, or start a new run."
            )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
