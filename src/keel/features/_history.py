"""Where `LagFeatures` keeps each entity's most recent rows, so that batch scoring and
serving compute a row's lag features from the rows before it, as training did.

`HistoryStore` is the seam; `MemoryHistory` keeps the rows in the process (and pickles
with the fitted pipeline); `StoreHistory` keeps them in keel's metadata store, so serving
replicas share one history and a restart loses nothing.

Example:
    >>> import pandas as pd
    >>> history = MemoryHistory(maxlen=2)
    >>> history.bind(HistoryLayout(by="id", time=None, columns=("spend",)))
    >>> history.append(pd.DataFrame({"id": ["a", "a", "a"], "spend": [1.0, 2.0, None]}))
    >>> history.recent("a", 5)
    [(nan, (2.0,)), (nan, (nan,))]
"""

from __future__ import annotations

import json
import math
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from keel.errors import FeatureError
from keel.features._lags_keys import entity_codes, entity_key, numeric_values, time_keys

if TYPE_CHECKING:
    from keel.store import SQLStore

__all__ = ["HistoryLayout", "HistoryStore", "MemoryHistory", "StoreHistory"]

#: One kept row: its time key (float seconds; NaN without a time column) and its values.
Row = tuple[float, tuple[float, ...]]


@dataclass(frozen=True)
class HistoryLayout:
    """The columns of the frames a history is given: entity, time (or None), values."""

    by: str
    time: str | None
    columns: tuple[str, ...]


class HistoryStore(ABC):
    """Each entity's most recent rows: what lag features read as a new row's past.

    The contract:

    - ``bind(layout)`` names the entity, time and value columns; ``LagFeatures.fit`` calls
      it. ``append(rows)`` takes a DataFrame holding those columns, raw (datetimes, ids as
      the data has them). A row without an entity, or without a time when the layout has
      one, is not kept. Values are kept as floats; missing and infinite ones as NaN.
    - **Ordering**: rows are kept in append order and "newest" means appended last, so
      append each entity's rows in time order (LagFeatures orders what it reads by time,
      but which rows are kept is decided by append order). ``append(rows, replace=True)``
      drops every kept row first; readers see the old rows or the new ones, never a mix.
    - ``recent(entity, n)``: at most ``n`` newest rows of one entity, newest last, each
      ``(time, values)``: the time as float seconds since the epoch (datetimes) or the
      number (numeric time), NaN without a time column; ``values`` a tuple of floats in
      ``layout.columns`` order. ``frame(entities, n)`` gives the same rows of many
      entities as one DataFrame (columns ``by``, ``time`` when there is one, then
      ``layout.columns``), oldest first within each entity. Entities are matched by
      ``entity_key``: ``7``, ``7.0`` and ``np.int64(7)`` are one entity.
    - **Thread safety**: every method may be called from several threads at once; an
      append is seen whole or not at all by readers of any one entity.
    """

    layout: HistoryLayout | None = None

    def bind(self, layout: HistoryLayout) -> None:
        """Name the columns of the frames ``append`` gets (LagFeatures.fit calls it)."""
        self.layout = layout

    @abstractmethod
    def append(self, rows: pd.DataFrame, *, replace: bool = False) -> None:
        """Keep these rows, after the ones already kept; ``replace`` drops those first."""

    @abstractmethod
    def recent(self, entity: Hashable, n: int) -> list[Row]:
        """At most ``n`` newest rows of ``entity``, newest last; empty when unknown."""

    @abstractmethod
    def frame(self, entities: Iterable[Hashable], n: int | None = None) -> pd.DataFrame:
        """At most ``n`` newest rows (all when None) of each entity, as one frame."""

    def _layout(self) -> HistoryLayout:
        if self.layout is None:
            raise FeatureError(
                f"This {type(self).__name__} has no layout yet: fit the LagFeatures step "
                "that uses it, or call bind(HistoryLayout(...)) first."
            )
        return self.layout

    def _parsed(
        self, rows: pd.DataFrame
    ) -> tuple[np.ndarray, list[Hashable], np.ndarray, np.ndarray]:
        """The rows to keep: entity codes into the distinct keys, the keys, time keys
        (NaN without a time column), values."""
        layout = self._layout()
        wanted = [layout.by, *([layout.time] if layout.time else []), *layout.columns]
        lacking = [c for c in wanted if c not in rows.columns]
        if lacking:
            raise FeatureError(
                f"Rows appended to a feature history need columns {wanted}; they lack {lacking}.",
                field=lacking[0],
            )
        codes, keys = entity_codes(rows[layout.by])
        times = np.full(len(rows), np.nan)
        if layout.time:
            times = time_keys(rows[layout.time], layout.time)[0]
        values = np.column_stack([numeric_values(rows[c], c) for c in layout.columns])
        keep = codes >= 0 if layout.time is None else (codes >= 0) & ~np.isnan(times)
        return codes[keep], keys, times[keep], values.reshape(len(rows), -1)[keep]

    def _frame(
        self, keys: Sequence[Hashable] | np.ndarray, times: np.ndarray, values: np.ndarray
    ) -> pd.DataFrame:
        layout = self._layout()
        entity = np.empty(len(keys), dtype=object)
        entity[:] = keys
        columns: dict[str, Any] = {layout.by: entity}
        if layout.time:
            columns[layout.time] = times
        for j, name in enumerate(layout.columns):
            columns[name] = values[:, j] if len(values) else np.zeros(0)
        return pd.DataFrame(columns)


class MemoryHistory(HistoryStore):
    """Rows kept in this process: the newest ``maxlen`` per entity (every row when None).

    LagFeatures makes one (with ``maxlen`` the rows it needs) when given no history; it
    pickles with the fitted step, so a loaded pipeline has the history it was saved with.
    """

    def __init__(self, maxlen: int | None = None):
        self.maxlen = maxlen
        self._rows: dict[Hashable, deque[Row]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryHistory(maxlen={self.maxlen!r})"

    def append(self, rows: pd.DataFrame, *, replace: bool = False) -> None:
        codes, keys, times, values = self._parsed(rows)
        # Grouped by entity (stable, so each keeps its order), and only the rows a deque
        # keeps: one deque.extend per entity instead of a Python step per row.
        order = np.argsort(codes, kind="stable")
        ends = np.searchsorted(codes[order], np.arange(len(keys)), side="right").tolist()
        times_list, values_list = times[order].tolist(), values[order].tolist()
        with self._lock:
            kept = {} if replace else self._rows
            for key, start, end in zip(keys, [0, *ends[:-1]], ends, strict=True):
                if start == end:  # an entity whose rows all lacked a time
                    continue
                if self.maxlen is not None:
                    start = max(start, end - self.maxlen)
                queue = kept.get(key)
                if queue is None:
                    queue = kept[key] = deque(maxlen=self.maxlen)
                queue.extend(
                    zip(times_list[start:end], map(tuple, values_list[start:end]), strict=True)
                )
            self._rows = kept

    def recent(self, entity: Hashable, n: int) -> list[Row]:
        with self._lock:
            queue = self._rows.get(entity)
            rows = list(queue) if queue and n > 0 else []
        return rows[-n:] if len(rows) > n else rows

    def frame(self, entities: Iterable[Hashable], n: int | None = None) -> pd.DataFrame:
        width = len(self._layout().columns)
        with self._lock:
            found = [(key, list(self._rows[key])) for key in entities if key in self._rows]
        if n is not None:
            found = [(key, rows[-n:] if len(rows) > n else rows) for key, rows in found]
        rows = list(chain.from_iterable(kept for _, kept in found))
        keys = np.empty(len(found), dtype=object)
        keys[:] = [key for key, _ in found]
        times = np.array([row[0] for row in rows], dtype=np.float64)
        values = np.array([row[1] for row in rows], dtype=np.float64).reshape(len(rows), width)
        return self._frame(np.repeat(keys, [len(kept) for _, kept in found]), times, values)

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            state = {**self.__dict__, "_rows": dict(self._rows)}
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


_KEY_MAX = 250  # the store's feature_history.entity is a String(250)
_ALL = 2**62  # "every row" for the store's newest-n reads


class StoreHistory(HistoryStore):
    """Rows kept in keel's metadata store under ``name`` (table ``feature_history``).

    Every appended row is kept (reads take the newest ``n``). Entity keys are stored as
    text (``str`` of the key), so ``1`` and ``"1"`` are one entity here; a key must be at
    most 250 characters. The store must have been opened (migrated) once. The object is
    a handle: a copy (``clone`` of the step) is the same handle, and it pickles as its
    store's URL and name. ``LagFeatures.fit`` replaces what ``name`` holds: give each
    fitted step its own name, and do not fit clones with one (cross-validation) at once.
    """

    def __init__(self, store: SQLStore, name: str):
        self.store = store
        self.name = name

    def __repr__(self) -> str:
        return f"StoreHistory(name={self.name!r})"

    def append(self, rows: pd.DataFrame, *, replace: bool = False) -> None:
        codes, keys, times, values = self._parsed(rows)
        by_code = [_text(key) for key in keys]
        texts = [by_code[code] for code in codes.tolist()]
        stamps = [None if t != t else t for t in times.tolist()]
        payloads = [json.dumps([None if v != v else v for v in row]) for row in values.tolist()]
        self.store.write_history(
            self.name, list(zip(texts, stamps, payloads, strict=True)), replace=replace
        )

    def recent(self, entity: Hashable, n: int) -> list[Row]:
        if n <= 0:
            return []
        width = len(self._layout().columns)
        rows = self.store.read_history(self.name, [_text(entity)], n)
        return [(_time(time), self._values(values, width)) for _, time, values in rows]

    def frame(self, entities: Iterable[Hashable], n: int | None = None) -> pd.DataFrame:
        width = len(self._layout().columns)
        by_text = {_text(key): key for key in entities}
        rows = self.store.read_history(self.name, list(by_text), _ALL if n is None else n)
        keys = [by_text[text] for text, _, _ in rows]
        times = np.array([_time(time) for _, time, _ in rows], dtype=np.float64)
        values = np.array([self._values(v, width) for _, _, v in rows], dtype=np.float64)
        return self._frame(keys, times, values.reshape(len(rows), width))

    def _values(self, text: str, width: int) -> tuple[float, ...]:
        values = tuple(math.nan if v is None else float(v) for v in json.loads(text))
        if len(values) != width:
            raise FeatureError(
                f"The feature history {self.name!r} holds rows of {len(values)} values, but "
                f"its layout has {width} columns: it was filled by another step. Give each "
                "step its own history name."
            )
        return values

    def __copy__(self) -> StoreHistory:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> StoreHistory:
        return self

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.store.url, "name": self.name, "layout": self.layout}

    def __setstate__(self, state: dict[str, Any]) -> None:
        from keel.store import SQLStore

        self.store = SQLStore(state["url"])
        self.name = state["name"]
        self.layout = state["layout"]


def _text(entity: Hashable) -> str:
    text = str(entity_key(entity))
    if len(text) > _KEY_MAX:
        raise FeatureError(
            f"A StoreHistory entity key must be at most {_KEY_MAX} characters as text. "
            f"Got one of {len(text)} ({text[:40]!r}...) instead."
        )
    return text


def _time(value: float | None) -> float:
    return math.nan if value is None else float(value)
