"""Prediction log storage: append-only Parquet segments, written atomically.

Layout under the log's folder::

    <model>/v<version>/<yyyymmddHH>/<segment>.parquet    predictions (vnone: no version)
    <model>/feedback/<yyyymmddHH>/<segment>.parquet      labels and rewards
    .spill/<writer>/<n>.arrow                             rows waiting to become segments

The hour is UTC. A segment is written to a hidden temporary file, flushed to disk, then
renamed: a reader (or a crash) sees a whole segment or none, never half of one. Readers
skip names starting with "." for the same reason. Spill files are Arrow IPC files (no
pickle: nothing in the folder is ever executed), renamed into place the same way.

Columns of a prediction segment: ``request_id``, ``row`` (position in its request),
``at`` (UTC timestamp), ``latency_s``, ``version``, then the model's input columns, then
``output`` (or ``output_0``... for several outputs per row). Feedback segments hold
``request_id``, ``at``, ``label`` (text) and ``reward``; join them on ``request_id``.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FEEDBACK",
    "PREDICTIONS",
    "SegmentKey",
    "read_feedback",
    "read_predictions",
    "read_spill",
    "write_segment",
    "write_spill",
]

PREDICTIONS = "predictions"
FEEDBACK = "feedback"
_SPILL_KEY = b"keel.segment_key"


class SegmentKey(NamedTuple):
    """Which segment folder rows belong in."""

    kind: str  # PREDICTIONS or FEEDBACK
    model: str
    version: int | None
    window: str  # the UTC hour, yyyymmddHH


def segment_folder(folder: Path, key: SegmentKey) -> Path:
    model = folder / _safe_name(key.model)
    if key.kind == FEEDBACK:
        return model / "feedback" / key.window
    return model / _version_dir(key.version) / key.window


def write_segment(folder: Path, key: SegmentKey, table: pa.Table) -> Path:
    """Write one Parquet segment atomically (temporary file, fsync, rename)."""
    target = segment_folder(folder, key)
    target.mkdir(parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}-{secrets.token_hex(6)}"
    path = target / f"{name}.parquet"
    temporary = target / f".{name}.parquet.tmp"
    with open(temporary, "wb") as sink:
        pq.write_table(table, sink, compression="zstd")
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(temporary, path)
    return path


def write_spill(spill_dir: Path, name: str, key: SegmentKey, table: pa.Table) -> Path:
    """Park rows in an Arrow IPC file until the writer turns them into a segment.

    Not fsynced: spilling relieves memory under overload, it is no more durable than the
    in-memory queue it stands for.
    """
    schema = table.schema.with_metadata({_SPILL_KEY: json.dumps(list(key)).encode()})
    path = spill_dir / f"{name}.arrow"
    temporary = spill_dir / f".{name}.arrow.tmp"
    with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        writer.write_table(table.replace_schema_metadata(schema.metadata))
    os.replace(temporary, path)
    return path


def read_spill(path: Path) -> tuple[SegmentKey, pa.Table]:
    # A plain file, not a memory map: the rows must outlive the file, deleted once they
    # are in a segment.
    with pa.OSFile(str(path), "rb") as source:
        table = pa.ipc.open_file(source).read_all()
    key = SegmentKey(*json.loads((table.schema.metadata or {})[_SPILL_KEY]))
    return key, table.replace_schema_metadata(None)


def read_predictions(folder: Path | str, model: str, version: int | None = None) -> pd.DataFrame:
    """Every logged prediction of a model (of one version when given), oldest first."""
    base = Path(folder) / _safe_name(model)
    versions = f"v{version}" if version is not None else "v*"
    files = [p for p in base.glob(f"{versions}/*/*.parquet") if _visible(p)]
    return _read(files, ["at", "request_id", "row"])


def read_feedback(folder: Path | str, model: str) -> pd.DataFrame:
    """Every label or reward sent for a model's predictions, oldest first."""
    files = [p for p in (Path(folder) / _safe_name(model)).glob("feedback/*/*.parquet")]
    return _read([p for p in files if _visible(p)], ["at", "request_id"])


def _read(files: list[Path], order: list[str]) -> pd.DataFrame:
    import pandas as pd

    if not files:
        return pd.DataFrame(columns=order)
    # Segments of different versions may differ in columns: missing ones read as null.
    tables = [pq.read_table(path) for path in sorted(files)]
    table = pa.concat_tables(tables, promote_options="permissive")
    return table.sort_by([(column, "ascending") for column in order]).to_pandas()


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def _safe_name(model: str) -> str:
    # A model name becomes one folder name, whatever it holds ("/" or ".." included).
    name = quote(model, safe="-_@+=,")
    return name if name not in {"", ".", ".."} else f"%{name}"


def _version_dir(version: int | None) -> str:
    return "vnone" if version is None else f"v{version}"
