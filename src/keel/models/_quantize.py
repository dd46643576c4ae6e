"""int8 dynamic quantization of an exported graph, kept only when the holdout metric holds.

onnxruntime.quantization's ``quantize_dynamic`` stores the weights of MatMul/Gemm nodes as
int8. Tree ensembles and scikit-learn's linear ops have no such nodes: their graph comes back
unchanged, and the result says so instead of claiming a smaller model.

Example:
    >>> result = QuantizeResult(None, 0.98, 0.97, False, "the metric dropped too much")
    >>> result.to_manifest("model.int8.onnx")["file"] is None
    True
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from keel.models._onnx import OnnxExport
from keel.models._onnx_input import schema_matrix
from keel.models._onnx_parity import open_session, run_graph
from keel.train._metrics import get_metric

__all__ = ["QuantizeResult", "quantize_onnx"]

#: Ops whose weights quantize_dynamic turns into int8.
_QUANTIZABLE = frozenset(
    {"MatMul", "Gemm", "Conv", "Attention", "LSTM", "GRU", "EmbedLayerNormalization"}
)


@dataclass
class QuantizeResult:
    """``graph`` is the int8 graph when ``accepted``; both metric values are always given
    (NaN when there was nothing to measure)."""

    graph: bytes | None
    metric_before: float
    metric_after: float
    accepted: bool
    reason: str | None
    metric: str | None = None
    tolerance: float | None = None

    def to_manifest(self, file: str | None) -> dict[str, Any]:
        """The manifest's ``quantized`` entry, ``file`` the int8 graph's path when kept."""
        return {
            "file": file if self.accepted else None,
            "metric": self.metric,
            "metric_before": self.metric_before,
            "metric_after": self.metric_after,
            "tolerance": self.tolerance,
            "accepted": self.accepted,
            "reason": self.reason,
        }


def quantize_onnx(
    export: OnnxExport,
    trained: Any,
    holdout_X: pd.DataFrame,
    holdout_y: Any,
    *,
    metric: str,
    tolerance: float,
) -> QuantizeResult:
    """Quantize ``export.graph`` to int8 and keep it if ``metric`` on the holdout drops by
    at most ``tolerance`` (in the metric's own units, whichever its direction).

    Raises:
        ModelError: the tolerance is negative.
    """
    from keel.errors import ModelError

    if not tolerance >= 0:
        raise ModelError(f"The quantization tolerance must be >= 0. Got {tolerance!r} instead.",
                         field="tolerance")  # fmt: skip
    nan = float("nan")
    if export.graph is None:
        return QuantizeResult(
            None, nan, nan, False, f"no ONNX graph: {export.reason}", metric, tolerance
        )
    scorer = get_metric(metric, trained.task)
    truth = _encoded(holdout_y, trained.classes)
    inputs = _inputs(export, trained, holdout_X)
    before = scorer.score(truth, run_graph(open_session(export.graph), trained.task, inputs))
    quantized = _quantize(export.graph)
    if quantized is None:
        why = "the graph has no MatMul/Gemm weights to quantize (tree and linear ops have none)"
        return QuantizeResult(None, before, before, False, why, metric, tolerance)
    after = scorer.score(truth, run_graph(open_session(quantized), trained.task, inputs))
    drop = (before - after) if scorer.greater_is_better else (after - before)
    if drop <= tolerance:
        return QuantizeResult(quantized, before, after, True, None, metric, tolerance)
    why = f"{metric} went from {before:.6g} to {after:.6g}: a drop of {drop:.3g}"
    why += f" > tolerance {tolerance:g}"
    return QuantizeResult(None, before, after, False, why, metric, tolerance)


def _quantize(graph: bytes) -> bytes | None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load_from_string(graph)
    if not any(node.op_type in _QUANTIZABLE for node in model.graph.node):
        return None
    with tempfile.TemporaryDirectory(prefix="keel-quantize-") as tmp:
        source, target = Path(tmp) / "model.onnx", Path(tmp) / "model.int8.onnx"
        source.write_bytes(graph)
        quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        return target.read_bytes()


def _encoded(y: Any, classes: list[Any] | None) -> np.ndarray:
    """The holdout target as the metric reads it: class indices, or float values."""
    values = np.asarray(y)
    if classes is None:
        return values.astype(np.float64)
    index = {label: i for i, label in enumerate(classes)}
    return np.array([index[v] for v in values.tolist()], dtype=np.int64)


def _inputs(export: OnnxExport, trained: Any, frame: pd.DataFrame) -> np.ndarray:
    if export.scope == "pipeline":
        dtype = np.float32 if trained.features is None else np.float64
        return schema_matrix(frame, trained.schema, dtype)
    return np.ascontiguousarray(trained.feature_matrix(frame), dtype=np.float32)
