"""Windows of the prediction log, read with DuckDB straight from its Parquet segments.

A window is the newest span of time (``seconds``) or the newest rows (``rows``) of one
model's predictions, capped at ``max_rows`` (the newest win). Nothing is loaded to find
it: DuckDB reads only the ``at`` column for that. Then callers read the window a few
columns at a time (``chunks``), so at most ``max_rows`` x ``columns_per_chunk`` values
are in memory, whatever the log's size; time windows read only the segment folders of
their hours (the layout is in keel.store._prediction_log). Feedback joins by
``request_id`` (the newest label of a request wins).

Example:
    >>> import numpy as np, tempfile
    >>> from keel.serving import PredictionLog
    >>> from keel.serving._spec import PredictionLogSpec
    >>> folder = tempfile.mkdtemp()
    >>> with PredictionLog(folder, PredictionLogSpec()) as log:
    ...     for i in range(5):
    ...         log.write("m", 1, f"r{i}", np.full((1, 1), i), ["x"], np.array([0.5]), 0.01,
    ...                   1_767_225_600.0 + i)
    >>> reader = LogReader(folder, "m")
    >>> window = reader.latest(rows=3)
    >>> window.rows, window.features, sorted(reader.column(window, "x").tolist())
    (3, ['x'], [2, 3, 4])
    >>> reader.latest(seconds=1.5).rows, reader.before(window).rows
    (2, 2)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.errors import MonitoringError
from keel.monitoring._window_sql import (
    Connection,
    folder_for_rows,
    iso,
    quote,
    visible,
    where,
)
from keel.store._prediction_log import _safe_name

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["LogReader", "Window"]

_META = ("request_id", "row", "at", "latency_s", "version")
_OUTPUT = re.compile(r"^output(_\d+)?$")


@dataclass(frozen=True)
class Window:
    """Rows ``(start_us <= at <= end_us)`` of the log, newest ``rows`` of them; times in
    microseconds since the epoch (UTC). ``cutoff`` breaks ties at ``start_us``."""

    model: str
    version: int | None
    start_us: int
    end_us: int
    rows: int
    features: list[str]
    outputs: list[str]
    cutoff: tuple[int, str, int] | None = None
    #: A time window's length as set (its rows may span less); None for a count window.
    span_us: int | None = None

    @property
    def start(self) -> float:
        """The first row's time, seconds since the epoch."""
        return self.start_us / 1e6

    @property
    def end(self) -> float:
        return self.end_us / 1e6


class LogReader:
    """One model's prediction log (one version's when given) under ``folder``."""

    def __init__(
        self,
        folder: str | Path,
        model: str,
        version: int | None = None,
        *,
        max_rows: int = 1_000_000,
        threads: int | None = None,
    ):
        self.folder, self.model, self.version = Path(folder), model, version
        self.max_rows = max_rows
        self.base = self.folder / _safe_name(model)
        self._threads = threads

    # -- finding windows -------------------------------------------------------------------

    def latest(self, *, rows: int | None = None, seconds: float | None = None) -> Window:
        """The newest window: the last ``rows`` rows or the last ``seconds`` of time.

        Raises:
            MonitoringError: nothing is logged for the model (or version).
        """
        files = self._prediction_files()
        if not files:
            raise self._nothing_logged()
        # Segment folders are the rows' UTC hours: the newest row is in the newest folder.
        newest = max(f.parent.name for f in files)
        with self._connect([f for f in files if f.parent.name == newest]) as db:
            found = db.execute("SELECT max(_us), count(*) FROM log").fetchone()
            assert found is not None
            end, total = found
            if not total:
                raise self._nothing_logged()
        span = None if seconds is None else int(seconds * 1e6)
        if span is not None:
            return self._window(int(end) - span, int(end), rows, span)
        return self._window(None, int(end), rows, first_folder=folder_for_rows(files, rows))

    def before(self, window: Window) -> Window:
        """The window just before ``window``, as long in time (or in rows).

        Raises:
            MonitoringError: nothing was logged before ``window``.
        """
        if window.span_us is not None:  # the same length of time, just before
            end = window.end_us - window.span_us
            found = self._window(end - window.span_us, end, None, window.span_us)
        else:  # as many rows, just before (rows sharing the first row's time go with it)
            found = self._window(None, window.start_us - 1, window.rows)
        if found.rows == 0:
            raise MonitoringError(
                f"Nothing was logged for {self._what()} before {iso(window.start_us)}, so "
                "there is no previous window to compare with. Use another reference "
                "(monitor.reference: auto, snapshot or package).",
                field="reference",
            )
        return found

    def _window(
        self,
        start: int | None,
        end: int,
        rows: int | None,
        span: int | None = None,
        *,
        first_folder: str | None = None,
    ) -> Window:
        files = [f for f in self._prediction_files(start) if f.parent.name >= (first_folder or "")]
        limit = min(rows or self.max_rows, self.max_rows)
        # A time window is (end - span, end]: back-to-back windows share no row.
        bound = "_us <= ?" if start is None else "_us > ? AND _us <= ?"
        params: list[Any] = [end] if start is None else [start, end]
        with self._connect(files) as db:
            names = [row[0] for row in db.execute("DESCRIBE log").fetchall()]
            count = db.execute(f"SELECT count(*) FROM log WHERE {bound}", params).fetchone()
            n = int(count[0]) if count else 0
            cutoff = None
            if n > limit:
                order = 'ORDER BY _us DESC, request_id DESC, "row" DESC'
                query = (
                    f'SELECT _us, request_id, "row" FROM log WHERE {bound} {order} LIMIT 1 OFFSET ?'
                )
                found = db.execute(query, [*params, limit - 1]).fetchone()
                assert found is not None
                cutoff, n = (int(found[0]), str(found[1]), int(found[2])), limit
                start = cutoff[0]
            else:
                first = db.execute(f"SELECT min(_us) FROM log WHERE {bound}", params).fetchone()
                start = int(first[0]) if first and first[0] is not None else end
        features = [c for c in names if c not in (*_META, "_us") and not _OUTPUT.match(c)]
        outputs = [c for c in names if _OUTPUT.match(c)]
        return Window(self.model, self.version, start, end, n, features, outputs, cutoff, span)

    # -- reading a window --------------------------------------------------------------------

    def column(self, window: Window, name: str) -> np.ndarray:
        """One column of the window as a numpy array (nulls as NaN or None)."""
        return self.frame(window, [name])[name].to_numpy()

    def frame(
        self, window: Window, columns: Sequence[str], *, ordered: bool = False
    ) -> pd.DataFrame:
        """Some columns of the window (in time order when ``ordered``)."""
        self._check_columns(window, columns)
        clause, params = where(window)
        select = ", ".join(quote(c) for c in columns) or "NULL AS _none"
        order = ' ORDER BY _us, request_id, "row"' if ordered else ""
        with self._connect(self._prediction_files(window.start_us)) as db:
            frame = db.execute(f"SELECT {select} FROM log WHERE {clause}{order}", params).df()
        return frame if columns else frame.iloc[:, :0]

    def sample(self, window: Window, columns: Sequence[str], n: int, seed: int = 0) -> pd.DataFrame:
        """A seeded reservoir sample of at most ``n`` rows of some columns: only the
        reservoir is held in memory, whatever the window's size."""
        self._check_columns(window, columns)
        clause, params = where(window)
        select = ", ".join(quote(c) for c in columns)
        query = (
            f"SELECT * FROM (SELECT {select} FROM log WHERE {clause}) "
            f"USING SAMPLE reservoir({int(n)} ROWS) REPEATABLE ({int(seed)})"
        )
        with self._connect(self._prediction_files(window.start_us)) as db:
            return db.execute(query, params).df()

    def chunks(
        self, window: Window, columns: Sequence[str], size: int = 8
    ) -> Iterator[pd.DataFrame]:
        """The window's ``columns``, ``size`` columns at a time."""
        names = list(columns)
        for begin in range(0, len(names), size):
            yield self.frame(window, names[begin : begin + size])

    def predictions(self, window: Window) -> pd.DataFrame:
        """``at`` (seconds), ``request_id`` and the outputs, in time order."""
        columns = ["request_id", *window.outputs]
        frame = self.frame(window, [*columns, "_us"], ordered=True)
        frame.insert(0, "at", frame.pop("_us") / 1e6)
        return frame

    def labelled(self, window: Window) -> pd.DataFrame:
        """Predictions of the window that have a label, in time order: ``at``,
        ``request_id``, the outputs and ``label`` (text, as sent)."""
        feedback = self._feedback_files(window.start_us)
        outputs = ", ".join(f"p.{quote(c)}" for c in window.outputs)
        empty: dict[str, list[Any]] = {
            "at": [],
            "request_id": [],
            **{c: [] for c in window.outputs},
            "label": [],
        }
        if not feedback:
            import pandas as pd

            return pd.DataFrame(empty)
        clause, params = where(window, "p.")
        query = f"""
            WITH fb AS (
                SELECT request_id, arg_max(label, "at") AS label
                FROM read_parquet(?, union_by_name = true)
                WHERE label IS NOT NULL GROUP BY request_id)
            SELECT p._us / 1e6 AS "at", p.request_id, {outputs}, fb.label
            FROM log p JOIN fb USING (request_id)
            WHERE {clause} ORDER BY p._us, p.request_id, p."row"
        """
        with self._connect(self._prediction_files(window.start_us)) as db:
            return db.execute(query, [[str(f) for f in feedback], *params]).df()

    # -- files and connections -------------------------------------------------------------

    def _prediction_files(self, start_us: int | None = None) -> list[Path]:
        pattern = f"v{self.version}/*/*.parquet" if self.version is not None else "v*/*/*.parquet"
        return visible(self.base.glob(pattern), start_us)

    def _feedback_files(self, start_us: int | None) -> list[Path]:
        return visible(self.base.glob("feedback/*/*.parquet"), start_us)

    def _connect(self, files: list[Path]) -> Connection:
        return Connection(files, self._threads)

    def _check_columns(self, window: Window, columns: Sequence[str]) -> None:
        known = {*window.features, *window.outputs, *_META, "_us"}
        missing = [c for c in columns if c not in known]
        if missing:
            raise MonitoringError(
                f"The prediction log of {self._what()} has no column {missing[0]!r}; it has "
                f"{', '.join(window.features + window.outputs)}.",
                field=missing[0],
            )

    def _what(self) -> str:
        return self.model if self.version is None else f"{self.model} version {self.version}"

    def _nothing_logged(self) -> MonitoringError:
        return MonitoringError(
            f"No predictions are logged for {self._what()} under {self.folder}: the window is "
            "empty. Serve the model with the prediction log on (serve.prediction_log) and "
            "send it requests first.",
            field="window",
        )
