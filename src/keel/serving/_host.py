"""The models a server answers for, and hot swap: a new version is loaded and warmed beside
the old one, then swapped in with one attribute assignment, so requests in flight finish on
the version they started with and no request ever sees a half-loaded model.

Example:
    >>> host = ModelHost([], load=lambda ref: (None, None))
    >>> host.names()
    []
    >>> host.get("churn")
    Traceback (most recent call last):
    ...
    keel.errors.ModelError: No model named 'churn' is served here; served: none.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from keel.data import RecordValidator, Schema
from keel.errors import ModelError
from keel.serving._host_rows import RowsPredict, rows_predict
from keel.serving._host_warm import measure, warm_rows

__all__ = ["ModelHost", "ServedModel", "Swap", "model_name", "prepare"]

log = logging.getLogger("keel.serving")

Load = Callable[[str], tuple[Any, int | None]]


@dataclass(frozen=True, eq=False)
class ServedModel:
    """One loaded, warmed model version. Immutable: a new version is a new object.

    Attributes:
        name: the name requests use (/predict/{name}).
        version: the registry version, None for a package loaded from a path.
        ref: the reference it was loaded from ("churn@champion", "churn/3", a path).
        predictor: its keel.models.Predictor.
        schema: its input signature (keel.data.Schema).
        package: the keel.models.ModelPackage it came from.
        loaded_at: when it finished loading (UTC).
        load_seconds: how long loading and warming took.
        validator: the single-record validator of ``schema``.
        predict_rows: predictions on validated rows (see keel.serving._host_rows).
        labels: the class labels as plain Python values, None for regression.
        row_seconds: one row's predict time, measured while warming (the batcher runs
            fast models on the event loop and slow ones on a worker thread).
    """

    name: str
    version: int | None
    ref: str
    predictor: Any
    schema: Schema
    package: Any
    loaded_at: datetime
    load_seconds: float
    validator: RecordValidator = field(repr=False)
    predict_rows: RowsPredict = field(repr=False)
    labels: list[Any] | None = None
    row_seconds: float = 0.0

    @property
    def task(self) -> str:
        return str(self.predictor.task)


@dataclass(frozen=True)
class Swap:
    """One hot swap: ``name`` went from ``from_version`` to ``to_version``."""

    name: str
    from_version: int | None
    to_version: int | None
    load_seconds: float


def model_name(ref: str) -> str:
    """The name a reference is served under: the registry name, or a package folder's name."""
    from keel.models import parse_ref

    path = Path(ref)
    if path.exists():
        return path.name.removesuffix(".zip")
    return parse_ref(ref).name


class ModelHost:
    """Loads each reference with ``load`` and serves the result by name.

    Args:
        refs: model references; each name must be unique.
        load: ref -> (keel.models.ModelPackage, registry version or None). The CLI builds it
            on the workspace's registry, so serving never opens a store itself.
        warm_record: a record to warm each model with; one is made from the schema when None.

    Thread safety: ``get`` is lock-free (it reads one dict that is replaced, never changed);
    ``reload`` and ``poll`` serialize on a lock, so two swaps of one model never interleave.
    """

    def __init__(self, refs: list[str], load: Load, *, warm_record: dict | None = None):
        self._load = load
        self._warm_record = warm_record
        self._refs = {model_name(ref): ref for ref in refs}
        if len(self._refs) != len(refs):
            raise ModelError(f"Two references name the same model: {refs}.", field="models")
        self._lock = threading.Lock()
        self.on_load: Callable[[ServedModel], None] | None = None
        self._models: dict[str, ServedModel] = {
            name: self._prepared(name, ref) for name, ref in self._refs.items()
        }

    def get(self, name: str) -> ServedModel:
        """The model served as ``name``; ModelError naming the ones served otherwise."""
        model = self._models.get(name)
        if model is None:
            served = ", ".join(map(repr, self._models)) or "none"
            raise ModelError(
                f"No model named {name!r} is served here; served: {served}.", field="model"
            )
        return model

    def names(self) -> list[str]:
        return list(self._models)

    def models(self) -> list[ServedModel]:
        return list(self._models.values())

    def reload(self, name: str | None = None, *, force: bool = True) -> list[Swap]:
        """Load each model (or ``name``) again and swap it in once warm.

        Args:
            force: swap even when the registry version did not change (a package path has
                no version, so it is always reloaded).
        """
        names = self.names() if name is None else [self.get(name).name]
        with self._lock:
            return [s for s in (self._reload_one(n, force) for n in names) if s]

    def poll(self, resolve: Callable[[str], int | None]) -> list[Swap]:
        """Swap every model whose reference now resolves to another version (an alias moved)."""
        swaps = []
        with self._lock:
            for name, ref in self._refs.items():
                current = resolve(ref)
                if current is not None and current != self._models[name].version:
                    swap = self._reload_one(name, force=False)
                    swaps.extend([swap] if swap else [])
        return swaps

    def poll_forever(
        self, resolve: Callable[[str], int | None], every_s: float, stop: threading.Event
    ) -> None:
        """Poll every ``every_s`` seconds until ``stop`` is set; a failed poll is logged and
        the current versions keep serving."""
        while not stop.wait(every_s):
            try:
                self.poll(resolve)
            except Exception:
                log.exception("polling the registry for new model versions failed")

    def _reload_one(self, name: str, force: bool) -> Swap | None:
        old = self._models[name]
        new = self._prepared(name, self._refs[name])
        if not force and new.version is not None and new.version == old.version:
            return None
        # The swap: one assignment of a new dict; readers see the old or the new, never both.
        self._models = {**self._models, name: new}
        log.info("swapped %s from version %s to %s", name, old.version, new.version)
        return Swap(name, old.version, new.version, new.load_seconds)

    def _prepared(self, name: str, ref: str) -> ServedModel:
        model = prepare(name, ref, self._load, self._warm_record)
        if self.on_load is not None:
            self.on_load(model)
        return model


def prepare(name: str, ref: str, load: Load, warm_record: dict | None = None) -> ServedModel:
    """Load ``ref`` with ``load``, warm it and return it as served under ``name`` (what a
    ModelHost does for each model, and a deployment for each of its versions)."""
    started = time.perf_counter()
    package, version = load(ref)
    predictor = package.predictor()
    schema = package.schema
    validator = RecordValidator(schema)
    predict = rows_predict(predictor)
    rows = warm_rows(validator, schema, warm_record)
    row_seconds = measure(predict, rows)
    classes = predictor.classes
    return ServedModel(
        name=name,
        version=version,
        ref=ref,
        predictor=predictor,
        schema=schema,
        package=package,
        loaded_at=datetime.now(UTC),
        load_seconds=time.perf_counter() - started,
        validator=validator,
        predict_rows=predict,
        labels=None if classes is None else np.asarray(classes).tolist(),
        row_seconds=row_seconds,
    )
