"""The data half of the Workspace façade: keel.yaml's ``data:`` section applied to the
functions of ``keel.data``, which are imported on first use (pandas alone takes 0.3 s)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.config import CONFIG_FILE, DataConfig, KeelConfig
from keel.errors import ConfigError
from keel.store import SnapshotRecord, SQLStore
from keel.store._artifacts import ArtifactStore

if TYPE_CHECKING:
    import pandas as pd

    from keel.data import DataDiff, Loaded, Profile, Schema, SchemaDiff, ValidationReport


class DataMethods:
    """Mixed into Workspace, which provides these attributes."""

    root: Path
    config: KeelConfig
    store: SQLStore
    artifacts: ArtifactStore

    def read_data(
        self, source: Any = None, *, bad_rows: str = "error", encoding: str = "utf-8"
    ) -> Loaded:
        """Read ``source`` (a path, DataFrame or ``{sql: ...}``), or keel.yaml's data.source.

        A path given here is relative to the current folder; data.source is relative to
        keel.yaml.
        """
        from keel.data import read_source

        if source is None:
            source, base = self._data_config().source, self.root
        else:
            base = None
        return read_source(source, base_dir=base, bad_rows=bad_rows, encoding=encoding)  # type: ignore[arg-type]

    @property
    def schema_path(self) -> Path:
        """Where the editable schema JSON lives (keel.yaml's data.schema_file)."""
        name = self.config.data.schema_file if self.config.data else "schema.json"
        return self.root / name

    def infer_schema(self, source: Any = None, *, save: bool = True) -> Schema:
        """Infer the schema from data, keeping the edits (pinned types, roles, allowed
        ranges) of the schema file, and save it there unless ``save`` is false."""
        schema = self._inferred(self.read_data(source))
        if save:
            schema.save(self.schema_path)
        return schema

    def _inferred(self, loaded: Loaded) -> Schema:
        from keel.data import Schema, infer_schema

        data = self.config.data
        previous = Schema.load(self.schema_path) if self.schema_path.exists() else None
        return infer_schema(
            loaded.frame,
            target=data.target if data else None,
            timestamp=data.timestamp if data else None,
            entity=data.entity if data else None,
            previous=previous,
            source=loaded.source,
        )

    def load_schema(self) -> Schema:
        """The schema file. Raises SchemaError when there is none yet."""
        from keel.data import Schema
        from keel.errors import SchemaError

        if not self.schema_path.exists():
            raise SchemaError(
                f"No schema at {self.schema_path} yet. Infer it from the training data with "
                "`keel data schema` (or Workspace.infer_schema())."
            )
        return Schema.load(self.schema_path)

    def validate_data(
        self, source: Any = None, *, schema: Schema | None = None
    ) -> tuple[ValidationReport, SchemaDiff]:
        """Check data against the schema: every value (the report) and the data's own
        inferred schema against it (the evolution: compatible, warning or breaking)."""
        from keel.data import compare_schemas, infer_schema, validate_frame

        schema = schema or self.load_schema()
        frame = self.read_data(source).frame
        report = validate_frame(frame, schema, require_target=self._has_target(frame))
        observed = infer_schema(frame, target=self._target(frame))
        return report, compare_schemas(schema, _with_roles_of(observed, schema))

    def profile_data(self, source: Any = None, *, test: Any = None) -> Profile:
        """Quality checks: missingness, duplicates, constants, outliers, imbalance, leakage,
        and rows shared with ``test`` when given."""
        from keel.data import profile_frame

        frame = self.read_data(source).frame
        test_frame = None if test is None else self.read_data(test).frame
        ignore: list[str] = []
        if self.schema_path.exists():
            schema = self.load_schema()
            ignore = [
                c.name
                for c in schema.columns
                if c.role in ("id", "ignore", "entity") and c.name in frame
            ]
        return profile_frame(frame, target=self._target(frame), test=test_frame, ignore=ignore)

    def snapshot_data(self, source: Any = None) -> SnapshotRecord:
        """Store an immutable Parquet snapshot with its schema; the same data and schema
        always give the same id. The schema is the schema file's, or inferred when none."""
        return self.snapshot_loaded(self.read_data(source))

    def snapshot_loaded(self, loaded: Loaded) -> SnapshotRecord:
        """``snapshot_data`` of data already read (training reads its data once)."""
        from keel.data import write_snapshot

        schema = self.load_schema() if self.schema_path.exists() else self._inferred(loaded)
        return write_snapshot(
            loaded.frame, schema, self.store, self.artifacts, source=loaded.source
        )

    def load_snapshot(self, snapshot_id: str) -> tuple[pd.DataFrame, Schema]:
        """A snapshot's data and schema, every byte verified. Raises SnapshotNotFoundError."""
        from keel.data import load_snapshot

        return load_snapshot(snapshot_id, self.store, self.artifacts)

    def list_snapshots(self) -> list[SnapshotRecord]:
        return self.store.list_snapshots()

    def diff_data(self, a: Any, b: Any, *, key: Sequence[str] | None = None) -> DataDiff:
        """Rows added and removed (by content, or by ``key``), column changes and
        per-column distribution shifts between two data sets: snapshot ids or sources."""
        from keel.data import diff_frames

        return diff_frames(self._frame_of(a), self._frame_of(b), key=key)

    def run_inputs(self, run_id: str) -> dict[str, list[str]]:
        """The data snapshots a run used, by role (train, test...)."""
        return self.store.run_inputs(self.get_run(run_id).run_id)  # type: ignore[attr-defined]

    def _frame_of(self, ref: Any) -> pd.DataFrame:
        if isinstance(ref, str) and self.store.get_snapshot(ref) is not None:
            return self.load_snapshot(ref)[0]
        return self.read_data(ref).frame

    def _data_config(self) -> DataConfig:
        if self.config.data is None:
            raise ConfigError(
                f"{self.root / CONFIG_FILE} has no data section; add one (data: source: "
                "data/train.csv) or pass the data explicitly.",
                path=str(self.root / CONFIG_FILE),
                field="data",
            )
        return self.config.data

    def _target(self, frame: pd.DataFrame) -> str | None:
        target = self.config.data.target if self.config.data else None
        return target if target in frame else None

    def _has_target(self, frame: pd.DataFrame) -> bool:
        return self._target(frame) is not None


def _with_roles_of(observed: Schema, expected: Schema) -> Schema:
    """``observed`` with the roles the expected schema gives its columns (inference alone
    cannot know that a column is an id or ignored)."""
    roles = {c.name: c.role for c in expected.columns}
    columns = [
        c.model_copy(update={"role": roles[c.name]}) if c.name in roles else c
        for c in observed.columns
    ]
    return observed.model_copy(update={"columns": columns})
