"""What the prediction log gathers between two flushes, already in columns.

The request thread appends each request's validated rows and outputs, as bytes, to the
current chunk of its group (one per model version, UTC hour and signature), and its
request id, time and latency to a plain list and ``array``s. A flush then only wraps
those buffers as Arrow arrays (``_predlog_tables``): no per-request Python work is left
for the writer thread.

Why: the log used to queue one tuple per request and build the Arrow tables from ~30,000
of them every 5 s (6,000 requests/s at 16 connections). That took 110-140 ms of CPU inside
a loaded server, holding the GIL in long stretches, and stalled the event loop up to
~40 ms once per flush: the p99 at 16 connections was 17-19 ms with the log on against
6.6 ms with it off. Copying here costs well under a microsecond more per request on the request
thread; see ``PredictionLog.write`` for the numbers after.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Batch", "Chunk", "Feedback", "Group"]

#: Rows per chunk (at least): a flush converts one chunk at a time and lets the event loop
#: in between (4,096 rows of 30 float64 inputs is 1 MB).
CHUNK_ROWS = 4096


class Feedback(NamedTuple):
    model: str
    request_id: str
    label: Any
    reward: float | None
    at: float


class Chunk:
    """Up to ``CHUNK_ROWS`` rows (more when one request holds more): each array's bytes
    appended as they come, row-major, read back with ``inputs()`` and ``outputs()``."""

    __slots__ = ("_inputs", "_outputs", "at", "ids", "latency", "positions", "size")

    def __init__(self, objects: bool):
        # No reference back to the group: without a cycle, a written batch is freed by
        # reference counting at once, not by the next full collection.
        # bytearray += ndarray.tobytes() costs ~0.1 µs per request, against ~0.25-0.6 µs
        # for a numpy slice assignment into a preallocated block (measured here, one row of
        # 30 float64). Arrays of Python objects (string labels) cannot be kept as bytes:
        # they are kept as a list and concatenated at flush time.
        self._inputs: bytearray | list[np.ndarray] = [] if objects else bytearray()
        self._outputs: bytearray | list[np.ndarray] = [] if objects else bytearray()
        self.ids: list[str] = []
        self.positions = array("q")  # each row's position in its request
        self.at = array("d")
        self.latency = array("d")
        self.size = 0

    def inputs(self, group: Group) -> np.ndarray:
        """(size, n_columns)."""
        return self._read(self._inputs, group.input_dtype, (group.width,))

    def outputs(self, group: Group) -> np.ndarray:
        """(size,) or (size, *output_shape)."""
        return self._read(self._outputs, group.output_dtype, group.output_shape)

    def _read(self, data: bytearray | list[np.ndarray], dtype: Any, row: tuple[int, ...]) -> Any:
        if isinstance(data, bytearray):
            return np.frombuffer(data, dtype).reshape(self.size, *row)
        return np.concatenate([np.reshape(a, (-1, *row)) for a in data]).astype(dtype)


class Group:
    """Predictions that share a segment and a table: one model version, UTC hour, column
    tuple, input dtype and output dtype and width."""

    __slots__ = (
        "chunks",
        "columns",
        "hour",
        "input_dtype",
        "model",
        "objects",
        "output_dtype",
        "output_shape",
        "version",
        "width",
    )

    def __init__(
        self,
        model: str,
        version: int | None,
        hour: int,
        columns: tuple[str, ...],
        inputs: np.ndarray,
        outputs: np.ndarray,
    ):
        self.model, self.version, self.hour, self.columns = model, version, hour, columns
        self.width = len(columns)
        self.input_dtype, self.output_dtype = inputs.dtype, outputs.dtype
        self.output_shape: tuple[int, ...] = outputs.shape[1:]
        self.objects = inputs.dtype.hasobject or outputs.dtype.hasobject
        self.chunks = [Chunk(self.objects)]

    def add(
        self, request_id: str, inputs: np.ndarray, outputs: np.ndarray, latency_s: float, at: float
    ) -> int:
        """Copy one request's rows in; how many rows it held."""
        n = len(outputs)
        # One row may come as (n_columns,) or (1, n_columns).
        if (inputs.size != self.width) if n == 1 else (inputs.shape != (n, self.width)):
            raise ValueError(
                f"inputs of shape {inputs.shape} do not match {n} outputs and {self.width} columns"
            )
        chunk = self.chunks[-1]
        if chunk.size >= CHUNK_ROWS:
            chunk = Chunk(self.objects)
            self.chunks.append(chunk)
        if self.objects:
            chunk._inputs.append(inputs)  # type: ignore[union-attr]
            chunk._outputs.append(outputs)  # type: ignore[union-attr]
        else:
            chunk._inputs += inputs.tobytes()  # type: ignore[operator]
            chunk._outputs += outputs.tobytes()  # type: ignore[operator]
        if n == 1:
            chunk.ids.append(request_id)
            chunk.positions.append(0)
            chunk.at.append(at)
            chunk.latency.append(latency_s)
        else:
            chunk.ids.extend([request_id] * n)
            chunk.positions.extend(range(n))
            chunk.at.extend([at] * n)
            chunk.latency.extend([latency_s] * n)
        chunk.size += n
        return n


class Batch:
    """Everything written since the last flush; not thread-safe (the log holds its lock).

    Attributes:
        rows: prediction rows (and feedback records) held.
    """

    __slots__ = ("feedback", "groups", "rows")

    def __init__(self) -> None:
        self.groups: dict[tuple[Any, ...], Group] = {}
        self.feedback: list[Feedback] = []
        self.rows = 0

    def __bool__(self) -> bool:
        return self.rows > 0

    def add(
        self,
        model: str,
        version: int | None,
        request_id: str,
        inputs: np.ndarray,
        columns: Sequence[str],
        outputs: np.ndarray,
        latency_s: float,
        at: float,
    ) -> None:
        """Copy one request's rows into its group's chunks (about 1 µs for one row).

        Raises:
            ValueError: the inputs' shape does not fit the outputs and columns.
        """
        if type(inputs) is not np.ndarray:
            inputs = np.asarray(inputs)
        if type(outputs) is not np.ndarray:
            outputs = np.asarray(outputs)
        # The serving app passes its validator's tuple of names, the same object every
        # time: its id keys the group (which holds the tuple, so the id stays unique),
        # 0.2 µs cheaper than hashing 30 names. Other sequences are keyed by value.
        if type(columns) is tuple:
            names: Any = id(columns)
        else:
            names = columns = tuple(columns)
        hour = int(at // 3600)
        key = (model, version, hour, names, inputs.dtype, outputs.dtype, outputs.shape[1:])
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(model, version, hour, columns, inputs, outputs)
        self.rows += group.add(request_id, inputs, outputs, latency_s, at)

    def add_feedback(self, feedback: Feedback) -> None:
        self.feedback.append(feedback)
        self.rows += 1
