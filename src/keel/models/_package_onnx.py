"""The package's ONNX graphs: the parity-checked export and, on request, its int8 version,
with the manifest entries that say what they are or why they are absent.

The exporters (keel.models._onnx, keel.models._quantize) import skl2onnx, onnxmltools and
onnxruntime, about 2 s; they load here only when a graph is asked for.

Example:
    >>> onnx_files(None, None, onnx=False, quantize=False, tolerance=0.01)[0]["reason"]
    'not requested (onnx=False)'
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["INT8_GRAPH", "ONNX_GRAPH", "onnx_files"]

ONNX_GRAPH = "model.onnx"
INT8_GRAPH = "model.int8.onnx"


def onnx_files(
    trained: Any, holdout: Any, onnx: bool, quantize: bool, tolerance: float
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, bytes]]:
    """(the manifest's ``onnx`` entry, its ``quantized`` entry or None, graph files)."""
    if not onnx:
        return _absent("not requested (onnx=False)"), None, {}
    if holdout is None:
        return _absent("no holdout was given to check the graph's parity"), None, {}
    exporter = _optional("keel.models._onnx")
    if exporter is None:
        return _absent("ONNX export is not available in this keel"), None, {}
    X, y = holdout
    export = exporter.export_onnx(trained, X, y)
    if export.graph is None:
        return export.to_manifest(None), None, {}
    graphs = {ONNX_GRAPH: export.graph}
    quantized = None
    if quantize:
        quantized = _quantized(export, trained, X, y, tolerance, graphs)
    return export.to_manifest(ONNX_GRAPH), quantized, graphs


def _quantized(
    export: Any, trained: Any, X: Any, y: Any, tolerance: float, graphs: dict[str, bytes]
) -> dict[str, Any]:
    quantizer = _optional("keel.models._quantize")
    if quantizer is None:
        return _absent("int8 quantization is not available in this keel")
    from keel.train._metrics import default_metric

    metric = trained.metric or default_metric(trained.task)
    result = quantizer.quantize_onnx(export, trained, X, y, metric=metric, tolerance=tolerance)
    kept = result.accepted and result.graph is not None
    if kept:
        graphs[INT8_GRAPH] = result.graph
    return dict(result.to_manifest(INT8_GRAPH if kept else None))


def _absent(reason: str) -> dict[str, Any]:
    return {"file": None, "reason": reason}


def _optional(module: str) -> Any:
    """``module``, or None when this keel does not have it (only that module's absence is
    tolerated: an import error inside it is a bug and propagates)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
