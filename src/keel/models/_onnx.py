"""ONNX export with verified parity: the whole pipeline in one graph when it converts.

Three outcomes, tried in this order, each accepted only when its predictions on the holdout
match the native model's (max |Δ probability| <= 1e-5 and identical labels; regression
max |Δ| <= 1e-5 times the largest |value|):

- scope "pipeline": the graph reads one float tensor "input" of shape (N, n_features of the
  schema) holding RecordValidator's row, and holds the feature steps and the model. Serving
  then runs validation and one ONNX Runtime call, nothing else.
- scope "model": the feature steps do not convert (a target encoder, lags, categoricals);
  the graph reads the feature matrix and the features run natively.
- no graph: the reason says why, and the package keeps the native backend.

Example:
    >>> export = OnnxExport(None, None, ["x"], [], {}, "the knn family has no converter")
    >>> export.to_manifest(None)["reason"]
    'the knn family has no converter'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from keel.models._onnx_compose import merge_blend, prepend_features
from keel.models._onnx_convert import (
    TARGET_OPSET,
    Unconvertible,
    convert,
    feature_steps,
    model_estimator,
)
from keel.models._onnx_input import NUMERIC_TYPES, schema_matrix
from keel.models._onnx_parity import check_parity, graph_output

__all__ = ["OnnxExport", "export_onnx"]


@dataclass
class OnnxExport:
    """The outcome of `export_onnx`; ``graph`` is None when no graph passed parity.

    ``scope`` "pipeline": input "input" of shape (N, len(input_columns)), RecordValidator's
    row; "model": input "input" of shape (N, n_features), the feature matrix. ``outputs``
    are the output names to ask ONNX Runtime for; ``parity`` holds max_abs_diff,
    labels_equal, rows and tolerance; ``reason`` says why there is no graph, or why the
    scope is "model".
    """

    graph: bytes | None
    scope: str | None
    input_columns: list[str]
    outputs: list[str]
    parity: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None

    def to_manifest(self, file: str | None) -> dict[str, Any]:
        """The manifest's ``onnx`` entry, with ``file`` the graph's path in the package."""
        return {
            "file": file if self.graph is not None else None,
            "scope": self.scope,
            "input": "input",
            "input_columns": list(self.input_columns),
            "outputs": list(self.outputs),
            "opset": dict(TARGET_OPSET),
            "parity": dict(self.parity),
            "reason": self.reason,
        }

    @classmethod
    def from_manifest(cls, entry: dict[str, Any], graph: bytes | None) -> OnnxExport:
        """The export a package recorded, with its graph bytes (None when it has none)."""
        return cls(
            graph=graph,
            scope=entry.get("scope") if graph is not None else None,
            input_columns=list(entry.get("input_columns", [])),
            outputs=list(entry.get("outputs", [])),
            parity=dict(entry.get("parity", {})),
            reason=entry.get("reason"),
        )


def export_onnx(trained: Any, holdout_X: pd.DataFrame, holdout_y: Any = None) -> OnnxExport:
    """The ONNX graph of ``trained`` checked on ``holdout_X``, or the reason there is none.

    Args:
        trained: a keel.models.Trained.
        holdout_X: rows the model did not train on, in the schema's columns.
        holdout_y: unused by parity (it compares predictions, not truth); accepted so the
            call reads like `quantize_onnx`.
    """
    columns = [c.name for c in trained.schema.features()]
    reference = np.asarray(trained.output(holdout_X), dtype=np.float64)
    reasons: list[str] = []
    for scope in ("pipeline", "model"):
        try:
            graph = _build(trained, scope, columns)
        except Unconvertible as exc:
            reasons.append(f"{scope} scope: {exc}")
            continue
        inputs = _inputs(trained, scope, holdout_X)
        parity = check_parity(graph, inputs, reference, trained.task)
        outputs = [graph_output(trained.task)]
        if parity["passed"]:
            reason = "; ".join(reasons) or None
            return OnnxExport(graph, scope, columns, outputs, parity, reason)
        reasons.append(f"{scope} scope: parity failed ({parity['failure']})")
    return OnnxExport(None, None, columns, [], {}, "; ".join(reasons))


def _build(trained: Any, scope: str, columns: list[str]) -> bytes:
    branches, width = _feature_branches(trained, scope, columns)
    members, weights = _members(trained)
    classifier = trained.task != "regression"
    graphs = [
        convert([("model", model_estimator(family, estimator))], width, classifier)
        for family, _, estimator in members
    ]
    graph = (
        graphs[0] if len(graphs) == 1 else merge_blend(graphs, weights, graph_output(trained.task))
    )
    return prepend_features(graph, branches, len(columns)) if branches else graph


def _feature_branches(
    trained: Any, scope: str, columns: list[str]
) -> tuple[list[tuple[str, Any, list[int]]], int]:
    """The feature branches the graph holds (none in model scope), and the model's width."""
    features = trained.features
    if features is None:
        if scope == "model":
            raise Unconvertible("without a keel feature pipeline there is only the pipeline scope")
        kinds = {c.name: c.type for c in trained.schema.features()}
        others = [name for name, kind in kinds.items() if kind not in NUMERIC_TYPES]
        if others:
            raise Unconvertible(f"the estimator reads non-numeric columns ({', '.join(others)})")
        return [], len(columns)
    width = len(features.feature_names_out_)
    if scope == "model":
        return [], width
    return feature_steps(features, columns, features.plan_.kinds), width


def _members(trained: Any) -> tuple[list[tuple[str, dict[str, Any], Any]], list[float]]:
    choice = trained.choice
    if choice is None or choice.kind == "single":
        return [trained.members[0]], [1.0]
    if choice.kind != "blend" or choice.weights is None:
        raise Unconvertible(f"a {choice.kind} ensemble has no ONNX form here (only blends)")
    return list(trained.members), [float(w) for w in choice.weights]


def _inputs(trained: Any, scope: str, frame: pd.DataFrame) -> np.ndarray:
    if scope == "pipeline":
        dtype = np.float32 if trained.features is None else np.float64
        return schema_matrix(frame, trained.schema, dtype)
    return np.ascontiguousarray(trained.feature_matrix(frame), dtype=np.float32)
