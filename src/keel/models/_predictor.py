"""Predictor: one interface over ONNX Runtime and the native model.

Example:
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from keel.data import infer_schema
    >>> from keel.models import Trained
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> model = LogisticRegression().fit(frame, [0, 0, 1, 1])
    >>> predictor = Predictor(Trained.from_estimator(model, infer_schema(frame)))
    >>> predictor.backend, predictor.predict_one({"x": 3.0})
    ('native', 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from keel.data import RecordValidator
from keel.errors import ModelError
from keel.models._onnx import OnnxExport
from keel.models._onnx_input import schema_matrix
from keel.models._onnx_parity import graph_output, open_session
from keel.models._package_lazy import LazyTrained
from keel.models._predictor_record import record_error

__all__ = ["Predictor"]

#: From this many rows a batch may run the graph's feature nodes with numpy and the native
#: booster (keel.models._predictor_batch), imported only then: a server answering single
#: records never loads LightGBM or the train catalog.
NATIVE_BATCH_ROWS = 10_000

BACKENDS = ("auto", "onnx", "native")


class Predictor:
    """Predictions from a model over either backend, chosen when built.

    ``backend="auto"`` takes ONNX Runtime when ``export`` holds a graph (it passed parity on
    the holdout), the native model otherwise; ``reason`` says why ONNX is not used. Both
    backends give the same outputs within the parity tolerance. Immutable once built; the
    ONNX Runtime sessions are safe to call from many threads.

    Args:
        trained: the keel.models.Trained model (the native backend, and the signature).
        export: its OnnxExport, or None for the native backend only.
        backend: "auto", "onnx" (an error when there is no graph) or "native".
        compiled: a keel.models._compile.Compiled (tree ensembles compiled with tl2cgen,
            verified and measured faster); "auto" uses it for single records and/or batches
            as it says. ``compiled_reason`` says why it is not used when it cannot run here.
    """

    def __init__(
        self,
        trained: Any,
        export: OnnxExport | None = None,
        backend: str = "auto",
        *,
        compiled: Any = None,
    ):
        if backend not in BACKENDS:
            raise ModelError(
                f"The backend must be one of {', '.join(BACKENDS)}. Got {backend!r} instead.",
                field="backend",
            )
        graph = None if export is None else export.graph
        if backend == "onnx" and graph is None:
            why = "no ONNX export was given" if export is None else export.reason
            raise ModelError(f"The onnx backend needs an ONNX graph; this model has none: {why}.",
                             field="backend")  # fmt: skip
        self.trained = trained
        self.task: str = trained.task
        self.classes: list[Any] | None = trained.classes
        self.backend = "native" if graph is None or backend == "native" else "onnx"
        self.reason: str | None = _reason(export, backend, self.backend)
        self.scope = export.scope if self.backend == "onnx" and export is not None else None
        self._validator = RecordValidator(trained.schema)
        self._labels = None if self.classes is None else np.asarray(self.classes, dtype=object)
        self._graph = graph if self.backend == "onnx" else None
        self._output = [graph_output(self.task)]
        self._one_session = None if self._graph is None else open_session(self._graph, threads=1)
        self._batch_session: Any = None
        self._native_batches: Any = None
        self._dtype = self._input_dtype()
        path = getattr(compiled, "path", None) if backend == "auto" else None
        self._compiled_one = path if path is not None and compiled.one else None
        self._compiled_batch = path if path is not None and compiled.batch else None
        self.compiled_reason: str | None = getattr(compiled, "reason", None)

    @classmethod
    def from_package(cls, package: Any, backend: str = "auto") -> Predictor:
        """The predictor of a loaded keel.models.ModelPackage (hashes already verified)."""
        entry = package.manifest.get("onnx") or {}
        graph = package.onnx_graph() if entry.get("file") else None
        export = OnnxExport.from_manifest(entry, graph) if entry else None
        native = graph is None or backend == "native"
        trained = package.trained() if native else LazyTrained(package)
        compiled = None
        if backend == "auto" and package.manifest.get("compiled"):
            from keel.models._compile import load_compiled

            compiled = load_compiled(package, trained, graph)
        return cls(trained, export, backend, compiled=compiled)

    # ---------------------------------------------------------------- single records

    def predict_proba_one(self, record: Mapping[str, Any]) -> np.ndarray:
        """Class probabilities of one record (a dict of column -> raw value): array of
        shape (n_classes,); for regression, the value as an array of shape (1,).

        Raises:
            ModelError: the record breaks the signature (names each field, value and what
                was expected).
        """
        row, errors = self._validator.validate(record)
        if row is None:
            raise record_error(errors)
        if self._compiled_one is not None:
            return self._compiled_one.output_one(row)
        session = self._one_session
        if session is None:
            from keel.models._predictor_native import native_output_one

            return native_output_one(self.trained, record)
        if self.scope == "pipeline":
            # RecordValidator's float64 row is the graph's input as it is: a view, no copy.
            inputs = (
                row.reshape(1, -1) if self._dtype is np.float64 else row.astype(self._dtype)[None]
            )
        else:
            inputs = self.trained.features.transform_one(record).astype(np.float32)[None]
        return session.run(self._output, {"input": inputs})[0][0]

    def predict_one(self, record: Mapping[str, Any]) -> Any:
        """The label (an original class value) or regression value of one record."""
        output = self.predict_proba_one(record)
        if self._labels is None:
            return float(output[0])
        return self._labels[int(output.argmax())]

    # ---------------------------------------------------------------- batches

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities, array of shape (n_rows, n_classes) in ``classes`` order."""
        if self.classes is None:
            raise ModelError("predict_proba is for classification; this model is a regressor.")
        return self.output(frame)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Labels (original class values) or regression values, array of shape (n_rows,)."""
        output = self.output(frame)
        if self._labels is None:
            return output
        return np.asarray(self.classes)[np.argmax(output, axis=1)]

    def output(self, frame: pd.DataFrame) -> np.ndarray:
        """Probabilities (n_rows, n_classes) or values (n_rows,), float64."""
        if self._compiled_batch is not None:
            return self._compiled_batch.output(schema_matrix(frame, self.trained.schema))
        if self.scope != "pipeline":
            # Model scope: the features run natively either way, and the native members
            # are as fast as ONNX Runtime on a batch, so one code path serves both.
            return np.asarray(self.trained.output(frame), dtype=np.float64)
        inputs = schema_matrix(frame, self.trained.schema, self._dtype)
        if len(inputs) >= NATIVE_BATCH_ROWS and self._dtype is np.float64:
            if self._native_batches is None:
                from keel.models._predictor_batch import native_batches

                self._native_batches = native_batches(self._graph, self.trained) or False  # type: ignore[arg-type]
            if self._native_batches:
                return self._native_batches.output_of(inputs)
        if self._batch_session is None:
            self._batch_session = open_session(self._graph)  # type: ignore[arg-type]
        out = self._batch_session.run(self._output, {"input": inputs})[0]
        out = np.asarray(out, dtype=np.float64)
        return out.reshape(-1) if self.task == "regression" else out

    def _input_dtype(self) -> Any:
        if self._one_session is None:
            return np.float64
        kind = self._one_session.get_inputs()[0].type
        return np.float64 if kind == "tensor(double)" else np.float32

    def __repr__(self) -> str:
        scope = f", scope={self.scope!r}" if self.scope else ""
        sides = [s for s, p in (("one", self._compiled_one), ("batch", self._compiled_batch)) if p]
        compiled = f", compiled={'+'.join(sides)!r}" if sides else ""
        return f"Predictor(task={self.task!r}, backend={self.backend!r}{scope}{compiled})"


def _reason(export: OnnxExport | None, asked: str, chosen: str) -> str | None:
    if chosen == "onnx":
        return None
    if asked == "native":
        return "the native backend was asked for"
    if export is None:
        return "no ONNX export was given"
    return export.reason
