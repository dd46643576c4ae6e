"""The handle of a run in progress: log params, metrics, tags and artifacts to it."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from keel.errors import SnapshotNotFoundError, TrackingError
from keel.tracking import _values

if TYPE_CHECKING:
    from keel.store import RunRecord, SnapshotRecord
    from keel.tracking._tracker import Tracker

_time = time.time


class ActiveRun:
    """A run being recorded; use it as a context manager.

    Leaving the ``with`` block normally marks the run FINISHED; an exception marks it
    FAILED with the exception's text (and re-raises it); Ctrl-C marks it KILLED.

    Example:
        >>> with ws.start_run(name="baseline", params={"lr": 0.1}) as run:  # doctest: +SKIP
        ...     for epoch in range(3):
        ...         run.log_metric("loss", 1 / (epoch + 1), step=epoch)
    """

    def __init__(self, tracker: Tracker, record: RunRecord):
        self._tracker = tracker
        self._append = tracker.writer.append
        self.id = record.run_id
        self.name = record.name
        self.experiment = record.experiment
        self._checked_keys: set[str] = set()
        self._ended = False

    def __repr__(self) -> str:
        return f"<ActiveRun {self.name!r} id={self.id} experiment={self.experiment!r}>"

    # -- metrics (the hot path) --------------------------------------------------------

    def log_metric(
        self, key: str, value: float, step: int = 0, timestamp: float | None = None
    ) -> None:
        """Record one point of a metric; returns at once (see ``keel.tracking`` on durability).

        Args:
            key: metric name, e.g. ``"val/auc"``.
            value: a real number; NaN and ±inf are stored as they are.
            step: the training step or epoch the point belongs to.
            timestamp: seconds since the epoch; now when omitted.
        """
        if key not in self._checked_keys:
            self._check_metric_key(key)
        if type(value) is not float:
            value = _values.metric_value(key, value)
        if type(step) is not int:
            step = _values.metric_step(key, step)
        if timestamp is None:
            timestamp = _time()
        elif type(timestamp) is not float:
            timestamp = _values.metric_timestamp(key, timestamp)
        self._append((self.id, key, value, step, timestamp))

    def log_metrics(
        self, metrics: dict[str, float], step: int = 0, timestamp: float | None = None
    ) -> None:
        """Record several metrics at the same step and time."""
        when = _time() if timestamp is None else timestamp
        for key, value in metrics.items():
            self.log_metric(key, value, step, when)

    def flush(self) -> None:
        """Block until every metric point logged so far is committed to the store."""
        self._tracker.writer.flush()

    def _check_metric_key(self, key: str) -> None:
        if self._ended:
            raise TrackingError(f"Run {self.id} has ended; start a new run to log more metrics.")
        self._checked_keys.add(_values.check_key("metric", key))

    # -- params, tags ------------------------------------------------------------------

    def log_param(self, key: str, value: Any) -> None:
        """Record a hyperparameter; it cannot change once logged (same value again is fine)."""
        self.log_params({key: value})

    def log_params(self, params: dict[str, Any]) -> None:
        self._tracker.store.log_params(self.id, _values.text_values("param", params))

    def set_tag(self, key: str, value: Any) -> None:
        """Set a tag; unlike params, tags may be changed later."""
        self.set_tags({key: value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        self._tracker.store.set_tags(self.id, _values.text_values("tag", tags))

    def delete_tag(self, key: str) -> None:
        """Remove a tag; removing one that is not set is not an error."""
        self._tracker.store.delete_tag(self.id, _values.check_key("tag", key))

    def log_input(self, snapshot: str | SnapshotRecord, role: str = "train") -> None:
        """Record that this run used a data snapshot, e.g. as its training data (lineage).

        Args:
            snapshot: a snapshot id (or unique prefix of 8+ characters), or the record.
            role: what the run used it for: ``train``, ``validation``, ``test``, ...
        """
        snapshot_id = snapshot if isinstance(snapshot, str) else snapshot.snapshot_id
        found = self._tracker.store.get_snapshot(snapshot_id)
        if found is None:
            raise SnapshotNotFoundError(snapshot_id)
        self._tracker.store.link_input(self.id, found.snapshot_id, _values.check_key("role", role))

    # -- artifacts ---------------------------------------------------------------------

    def log_artifact(self, path: str | os.PathLike[str], name: str | None = None) -> list[str]:
        """Store a file or a whole folder with the run; returns the artifact names recorded.

        Args:
            path: a file, or a folder whose files are stored under ``name/…``.
            name: the name inside the run's namespace; the file or folder name by default.
        """
        return self._tracker.log_artifact(self.id, Path(path), name)

    def log_text(self, text: str, name: str) -> str:
        """Store a string as a UTF-8 text artifact named ``name``."""
        return self._log_bytes(text.encode("utf-8"), name)

    def log_dict(self, data: Any, name: str) -> str:
        """Store a JSON-serializable object as a JSON artifact named ``name``."""
        return self._log_bytes(json.dumps(data, indent=2, sort_keys=True).encode("utf-8"), name)

    def _log_bytes(self, data: bytes, name: str) -> str:
        with tempfile.TemporaryDirectory(prefix="keel-") as folder:
            source = Path(folder) / "artifact"
            source.write_bytes(data)
            return self._tracker.log_artifact(self.id, source, name)[0]

    # -- ending ------------------------------------------------------------------------

    def end(self, status: str = "FINISHED", error: str | None = None) -> None:
        """Flush metrics and record the final status (FINISHED, FAILED or KILLED)."""
        if self._ended:
            return
        self._ended = True
        self._tracker.end_run(self.id, status, error)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.end("FINISHED")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end("KILLED", "KeyboardInterrupt")
        else:
            self.end("FAILED", f"{exc_type.__name__}: {exc}")
