"""Data snapshots: the content hash, idempotent writes, verified loads."""

from __future__ import annotations

import doctest
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import keel.data._snapshot as snapshot_module
from keel.data._schema_model import ColumnSchema, Schema
from keel.data._snapshot import content_hash, load_snapshot, write_snapshot
from keel.errors import (
    ArtifactCorruptedError,
    DataError,
    SchemaError,
    SnapshotNotFoundError,
)
from keel.store import SQLStore
from keel.store._artifacts import ArtifactStore, open_artifact_store

# Run as is here and in a subprocess: both must build the same frame and schema.
MAKE_FRAME = """
import numpy as np
import pandas as pd

from keel.data._schema_model import ColumnSchema, Schema


def make_frame(n=300, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[::17] = np.nan
    words = np.array(["red", "green", "blue", None], dtype=object)
    return pd.DataFrame(
        {
            "x": x,
            "n": rng.integers(-50, 50, size=n),
            "colour": pd.array(words[rng.integers(0, 4, size=n)], dtype="str"),
            "size": pd.Categorical(
                rng.choice(["S", "M", "L"], size=n), categories=["S", "M", "L", "XL"],
                ordered=True,
            ),
            "count": pd.array(
                [None if i % 11 == 0 else int(v) for i, v in enumerate(rng.integers(0, 9, n))],
                dtype="Int64",
            ),
            "flag": rng.random(n) < 0.3,
            "when": pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC"),
        }
    )


def make_schema(frame):
    return Schema(
        columns=[ColumnSchema(name=c, type="numeric") for c in frame.columns],
        row_count=len(frame),
    )
"""
_namespace: dict[str, object] = {}
exec(MAKE_FRAME, _namespace)
make_frame: Callable[..., pd.DataFrame] = _namespace["make_frame"]  # type: ignore[assignment]
make_schema: Callable[[pd.DataFrame], Schema] = _namespace["make_schema"]  # type: ignore[assignment]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLStore]:
    sql = SQLStore(f"sqlite:///{tmp_path}/k.db")
    sql.open()
    yield sql
    sql.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> ArtifactStore:
    return open_artifact_store(tmp_path / "artifacts")


def _blob_path(tmp_path: Path, digest: str) -> Path:
    return tmp_path / "artifacts" / "sha256" / digest[:2] / digest[2:]


# -- content hash ---------------------------------------------------------------------


@pytest.mark.slow
def test_hash_and_id_are_the_same_in_another_process(
    store: SQLStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    frame = make_frame()
    record = write_snapshot(frame, make_schema(frame), store, artifacts)
    code = MAKE_FRAME + (
        "import sys\n"
        "from keel.data._snapshot import content_hash, write_snapshot\n"
        "from keel.store import SQLStore\n"
        "from keel.store._artifacts import open_artifact_store\n"
        "store = SQLStore(f'sqlite:///{sys.argv[1]}/k.db'); store.open()\n"
        "frame = make_frame()\n"
        "record = write_snapshot(frame, make_schema(frame), store,"
        " open_artifact_store(sys.argv[1] + '/artifacts'))\n"
        "print(content_hash(frame), record.snapshot_id)\n"
    )
    other = tmp_path / "other"
    other.mkdir()
    env = {**os.environ, "PYTHONHASHSEED": "12345"}  # str hashes differ in that process
    out = subprocess.run(
        [sys.executable, "-c", code, str(other)], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [content_hash(frame), record.snapshot_id]


def test_hash_ignores_the_index_and_is_deterministic() -> None:
    frame = make_frame()
    digest = content_hash(frame)
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")
    assert content_hash(frame.set_axis(range(1000, 1000 + len(frame)))) == digest
    assert content_hash(frame.copy()) == digest
    assert content_hash(make_frame()) == digest


def test_the_same_rows_in_another_order_are_another_data_set() -> None:
    frame = make_frame()
    assert content_hash(frame.iloc[::-1]) != content_hash(frame)
    assert content_hash(frame.iloc[::-1].iloc[::-1]) == content_hash(frame)


def _set(frame: pd.DataFrame, column: str, row: int, value: object) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[row, column] = value
    return frame


CHANGES: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "float value": lambda f: _set(f, "x", 5, f.loc[5, "x"] + 1e-12),
    "NaN to a number": lambda f: _set(f, "x", 0, 0.0),
    "string value": lambda f: _set(f, "colour", 3, "purple"),
    "missing string": lambda f: _set(f, "colour", int(f["colour"].notna().idxmax()), None),
    "Int64 NA": lambda f: _set(f, "count", 0, 0),
    "column name": lambda f: f.rename(columns={"x": "y"}),
    "column order": lambda f: f[list(reversed(f.columns))],
    "float32": lambda f: f.astype({"x": "float32"}),
    "Int64 to float64": lambda f: f.astype({"count": "float64"}),
    "int64 to Int64": lambda f: f.astype({"n": "Int64"}),
    "str to category": lambda f: f.astype({"colour": "category"}),
    "categories": lambda f: f.assign(size=f["size"].cat.remove_unused_categories()),
    "unordered": lambda f: f.assign(size=f["size"].cat.as_unordered()),
    "timezone": lambda f: f.assign(when=f["when"].dt.tz_convert("Europe/Paris")),
    "one row fewer": lambda f: f.iloc[:-1],
    "one column fewer": lambda f: f.drop(columns="flag"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_change_changes_the_hash(change: str) -> None:
    frame = make_frame()
    assert content_hash(CHANGES[change](frame)) != content_hash(frame)


def test_missing_values_hash_stably() -> None:
    # NaN has many bit patterns (0.0 / 0.0 sets the sign bit on x86); -0.0 == 0.0.
    nans = np.array([0xFFF8000000000000, 0x7FF8000000000001], dtype=np.uint64).view("float64")
    odd = pd.DataFrame({"x": [nans[0], nans[1], -0.0]})
    plain = pd.DataFrame({"x": [np.nan, np.nan, 0.0]})
    assert content_hash(odd) == content_hash(plain)
    with_none = pd.DataFrame({"s": pd.Series(["a", None], dtype=object)})
    with_nan = pd.DataFrame({"s": pd.Series(["a", np.nan], dtype=object)})
    assert content_hash(with_none) == content_hash(with_nan)


def test_object_strings_hash_as_str() -> None:
    objects = pd.DataFrame({"s": pd.Series(["a", None, "c"], dtype=object)})
    assert content_hash(objects) == content_hash(objects.astype("str"))
    assert content_hash(objects) != content_hash(objects.astype("string"))  # pd.NA flavour


def test_non_string_column_labels_are_hashed_apart_from_strings() -> None:
    assert content_hash(pd.DataFrame({1: [1]})) != content_hash(pd.DataFrame({"1": [1]}))


# -- write and load -------------------------------------------------------------------


def test_snapshot_id_is_sha256_of_content_hash_and_schema_json(
    store: SQLStore, artifacts: ArtifactStore
) -> None:
    frame = make_frame()
    schema = make_schema(frame)
    record = write_snapshot(frame, schema, store, artifacts, source="data/x.parquet")
    schema_digest = hashlib.sha256(schema.to_json().encode()).hexdigest()
    expected = hashlib.sha256(f"{content_hash(frame)}\n{schema_digest}".encode()).hexdigest()
    assert record.snapshot_id == expected
    assert record.content_hash == content_hash(frame)
    assert record.schema_digest == schema_digest
    assert (record.rows, record.columns, record.source) == (300, 7, "data/x.parquet")
    assert store.get_snapshot(record.snapshot_id) == record
    assert artifacts.read_bytes(record.schema_digest).decode() == schema.to_json()


def test_a_second_write_stores_nothing_new(
    store: SQLStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    frame = make_frame()
    first = write_snapshot(frame, make_schema(frame), store, artifacts)
    blobs = sorted(b.digest for b in artifacts.iter_blobs())
    mtime = _blob_path(tmp_path, first.data_digest).stat().st_mtime_ns
    again = write_snapshot(make_frame(), make_schema(frame), store, artifacts, source="x")
    assert again == first  # the first record, its created_at and source included
    assert sorted(b.digest for b in artifacts.iter_blobs()) == blobs
    assert _blob_path(tmp_path, first.data_digest).stat().st_mtime_ns == mtime
    assert [s.snapshot_id for s in store.list_snapshots()] == [first.snapshot_id]


def test_another_value_name_or_schema_is_another_snapshot(
    store: SQLStore, artifacts: ArtifactStore
) -> None:
    frame = make_frame()
    schema = make_schema(frame)
    base = write_snapshot(frame, schema, store, artifacts)
    value = _set(frame, "n", 0, 999)
    renamed = frame.rename(columns={"n": "m"})
    edited = schema.with_column(schema.column("n").model_copy(update={"role": "id"}))
    ids = {
        base.snapshot_id,
        write_snapshot(value, schema, store, artifacts).snapshot_id,
        write_snapshot(renamed, make_schema(renamed), store, artifacts).snapshot_id,
        write_snapshot(frame, edited, store, artifacts).snapshot_id,
    }
    assert len(ids) == 4
    same_data = [r for r in store.list_snapshots() if r.content_hash == base.content_hash]
    assert len(same_data) == 2  # same data, two schemas: one content hash, two ids
    assert same_data[0].data_digest == same_data[1].data_digest


def test_load_gives_back_the_frame_and_schema(store: SQLStore, artifacts: ArtifactStore) -> None:
    frame = make_frame()
    schema = make_schema(frame)
    record = write_snapshot(frame.set_axis(range(5, 305)), schema, store, artifacts)
    loaded, loaded_schema = load_snapshot(record.snapshot_id, store, artifacts)
    pd.testing.assert_frame_equal(loaded, frame)  # dtypes too; the index is not kept
    assert loaded_schema == schema
    by_prefix, _ = load_snapshot(record.snapshot_id[:8], store, artifacts)
    pd.testing.assert_frame_equal(by_prefix, frame)


def test_dtypes_parquet_keeps_round_trip(store: SQLStore, artifacts: ArtifactStore) -> None:
    frame = pd.DataFrame(
        {
            "f32": np.array([1.5, np.nan, 2], dtype="float32"),
            "i8": np.array([1, -2, 3], dtype="int8"),
            "u16": np.array([1, 2, 3], dtype="uint16"),
            "F64": pd.array([1.0, None, 3], dtype="Float64"),
            "b": pd.array([True, None, False], dtype="boolean"),
            "ns": pd.to_datetime(["2020-01-01", None, "2021-01-01"]).astype("datetime64[ns]"),
            "td": pd.to_timedelta([1, 2, None], unit="s"),
            "string": pd.array(["x", None, "z"], dtype="string"),
            "int_cat": pd.Categorical([3, 1, None], categories=[5, 3, 1], ordered=True),
            "float_cat": pd.Categorical([0.5, 0.5, 1.5]),
            "bool_cat": pd.Categorical([True, False, True]),
            "empty": pd.Series([None, None, None], dtype=object),
        }
    )
    record = write_snapshot(frame, make_schema(frame), store, artifacts)
    loaded, _ = load_snapshot(record.snapshot_id, store, artifacts)
    pd.testing.assert_frame_equal(loaded, frame)


def test_object_strings_load_as_str(store: SQLStore, artifacts: ArtifactStore) -> None:
    # Parquet has one string type; pandas 3 reads it as "str". The hash counts both alike.
    frame = pd.DataFrame({"s": pd.Series(["a", None, "c"], dtype=object)})
    record = write_snapshot(frame, make_schema(frame), store, artifacts)
    loaded, _ = load_snapshot(record.snapshot_id, store, artifacts)
    assert loaded["s"].dtype == "str"
    pd.testing.assert_frame_equal(loaded, frame.astype({"s": "str"}))


def test_unknown_or_ambiguous_ids_are_not_found(store: SQLStore, artifacts: ArtifactStore) -> None:
    frame = make_frame()
    record = write_snapshot(frame, make_schema(frame), store, artifacts)
    for wanted in ("0" * 64, "deadbeef", record.snapshot_id[:7]):
        with pytest.raises(SnapshotNotFoundError) as raised:
            load_snapshot(wanted, store, artifacts)
        assert raised.value.snapshot_id == wanted


def test_a_corrupted_parquet_blob_is_refused(
    store: SQLStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    frame = make_frame()
    record = write_snapshot(frame, make_schema(frame), store, artifacts)
    blob = _blob_path(tmp_path, record.data_digest)
    os.chmod(blob, 0o644)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(ArtifactCorruptedError, match=record.data_digest[2:]):
        load_snapshot(record.snapshot_id, store, artifacts)


def test_data_that_does_not_hash_as_recorded_is_refused(
    store: SQLStore, artifacts: ArtifactStore
) -> None:
    frame = make_frame()
    record = write_snapshot(frame, make_schema(frame), store, artifacts)
    wrong = replace(record, snapshot_id="f" * 64, content_hash="0" * 64)
    store.add_snapshot(wrong)
    with pytest.raises(DataError, match=f"Snapshot {'f' * 64} does not load") as raised:
        load_snapshot("f" * 64, store, artifacts)
    assert not isinstance(raised.value, SnapshotNotFoundError)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({0: [1]}), "Column label 0 must be a string"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), r"unique.*\['a'\]"),
        (pd.DataFrame({"m": pd.Series([1, "x"], dtype=object)}), "'m' has dtype object"),
        (
            pd.DataFrame({"d": pd.Categorical(pd.to_datetime(["2020-01-01"]))}),
            "'d' is categorical with datetime64",
        ),
    ],
)
def test_frames_a_snapshot_cannot_keep_are_refused(
    store: SQLStore, artifacts: ArtifactStore, frame: pd.DataFrame, message: str
) -> None:
    schema = Schema(columns=[ColumnSchema(name="a", type="numeric")])
    with pytest.raises(DataError, match=message):
        write_snapshot(frame, schema, store, artifacts)
    assert store.list_snapshots() == []
    assert list(artifacts.iter_blobs()) == []


def test_the_schema_must_describe_the_frame(store: SQLStore, artifacts: ArtifactStore) -> None:
    frame = make_frame()
    schema = make_schema(frame.drop(columns="x").assign(z=1))
    with pytest.raises(SchemaError, match=r"the frame lacks \['z'\]; the schema lacks \['x'\]"):
        write_snapshot(frame, schema, store, artifacts)
    with pytest.raises(SchemaError, match="another order"):
        write_snapshot(frame[list(reversed(frame.columns))], make_schema(frame), store, artifacts)


def test_the_parquet_file_carries_keel_metadata(
    store: SQLStore, artifacts: ArtifactStore, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    frame = pd.DataFrame({"c": pd.Categorical([1, 2])})
    record = write_snapshot(frame, make_schema(frame), store, artifacts)
    metadata = pq.read_schema(_blob_path(tmp_path, record.data_digest)).metadata
    assert json.loads(metadata[b"keel.snapshot"]) == {
        "c": {"categories": [1, 2], "dtype": "int64", "ordered": False}
    }


def test_docstring_examples() -> None:
    result = doctest.testmod(snapshot_module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# -- speed ----------------------------------------------------------------------------


def _wide_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """20 float, 15 int, 10 low-cardinality str and 5 categorical columns."""
    rng = np.random.default_rng(seed)
    words = np.array([f"category_{k}" for k in range(50)], dtype=object)
    columns: dict[str, object] = {f"f{i}": rng.normal(size=rows) for i in range(20)}
    columns.update({f"i{i}": rng.integers(0, 1000, size=rows) for i in range(15)})
    for i in range(10):
        columns[f"s{i}"] = pd.array(words[rng.integers(0, 50, size=rows)], dtype="str")
    for i in range(5):
        columns[f"c{i}"] = pd.Categorical(words[rng.integers(0, 50, size=rows)])
    return pd.DataFrame(columns)


@pytest.mark.slow
def test_snapshot_of_a_million_rows_by_fifty_columns(
    store: SQLStore, artifacts: ArtifactStore
) -> None:
    frame = _wide_frame(1_000_000)
    schema = make_schema(frame)
    start = time.perf_counter()
    digest = content_hash(frame)
    hashed = time.perf_counter()
    record = write_snapshot(frame, schema, store, artifacts)
    written = time.perf_counter()
    loaded, _ = load_snapshot(record.snapshot_id, store, artifacts)
    loaded_at = time.perf_counter()
    size = {b.digest: b.size for b in artifacts.iter_blobs()}[record.data_digest]
    print(
        f"\n1,000,000 x 50: content_hash {hashed - start:.2f} s; write_snapshot, hash "
        f"included, {written - hashed:.2f} s; load_snapshot, hash check included, "
        f"{loaded_at - written:.2f} s; Parquet {size / 1e6:.0f} MB"
    )
    assert record.content_hash == digest
    assert loaded.shape == frame.shape
    assert written - hashed < 30  # the target is 3 s on 2 cores; this only catches a blow-up
