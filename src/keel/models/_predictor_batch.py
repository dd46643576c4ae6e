"""Large batches for a pipeline-scope graph: the graph's own feature nodes (with numpy when
it knows them all, else ONNX Runtime), then the native boosters.

Why: on the reference model (LightGBM, 100 trees, breast_cancer) LightGBM's and XGBoost's
multi-threaded batch predict beat ONNX Runtime's TreeEnsemble (500,000 rows on this 2-core
box: ORT graph 6.2 s, booster 3.6 s), while the feature pipeline's own ``transform`` costs
1.6 s there; the graph's feature nodes give, in about 0.1 s per million rows, the float64
matrix the native members were trained on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keel.models._onnx_parity import open_session
from keel.models._predictor import NATIVE_BATCH_ROWS
from keel.models._predictor_features import numpy_features
from keel.models._trained import combine

__all__ = ["NATIVE_BATCH_FAMILIES", "NATIVE_BATCH_ROWS", "FeatureBatches"]

#: From NATIVE_BATCH_ROWS rows, a batch of these families runs natively behind the feature
#: nodes.
NATIVE_BATCH_FAMILIES = frozenset({"lightgbm", "xgboost"})
#: Rows per chunk of a large batch (see FeatureBatches.output_of).
CHUNK_ROWS = 65_536


class FeatureBatches:
    """The feature nodes of a pipeline-scope graph as their own session, and the members."""

    def __init__(self, graph: bytes, trained: Any):
        self.trained = trained
        features, self.output = _feature_graph(graph)
        # numpy in place where it knows every node (0.07 s vs 0.45 s of CPU per million
        # rows: see _predictor_features), ONNX Runtime otherwise.
        self.numpy = numpy_features(features, self.output)
        self.session: Any = open_session(features) if self.numpy is None else None

    def output_of(self, inputs: np.ndarray) -> np.ndarray:
        """Probabilities (n, n_classes) or values (n,) from the schema matrix ``inputs``,
        in chunks of ``CHUNK_ROWS``: the features of a chunk (16 MB for 30 columns) come from
        the allocator's reused memory, where a whole million-row copy (240 MB) was a fresh
        mapping to fault in on every call; peak memory stays one chunk's."""
        parts = [
            self._chunk_output(inputs[start : start + CHUNK_ROWS])
            for start in range(0, len(inputs), CHUNK_ROWS)
        ]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _chunk_output(self, inputs: np.ndarray) -> np.ndarray:
        if self.numpy is not None:
            X = self.numpy(inputs)
        else:
            X = self.session.run([self.output], {"input": inputs})[0]
        task = self.trained.task
        outputs = [_member_output(m, X, task) for _, _, m in self.trained.members]
        return np.asarray(combine(outputs, self.trained.choice), dtype=np.float64)


def _member_output(model: Any, X: np.ndarray, task: str) -> np.ndarray:
    """The booster's own batch call. Not ``get_algorithm(...).predict``: a member loaded
    from a package is a thin Booster wrapper that scikit-learn's tags do not know."""
    if task == "regression":
        return np.asarray(model.predict(X), dtype=np.float64)
    return np.asarray(model.predict_proba(X), dtype=np.float64)


def native_batches(graph: bytes, trained: Any) -> FeatureBatches | None:
    """A FeatureBatches when every member is a fast native batch family, else None."""
    if trained.features is None:
        return None
    if not all(family in NATIVE_BATCH_FAMILIES for family, _, _ in trained.members):
        return None
    return FeatureBatches(graph, trained)


def _feature_graph(graph: bytes) -> tuple[bytes, str]:
    """The graph cut before its cast to the model's float32 input: (bytes, output name)."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_from_string(graph)
    cast = next(node for node in model.graph.node if node.output[0] == "model_input")
    joined = cast.input[0]
    needed, kept = {joined}, []
    for node in reversed(model.graph.node):
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(node.input)
    names = {n for node in kept for n in node.input}
    initializers = [t for t in model.graph.initializer if t.name in names]
    output = helper.make_tensor_value_info(joined, TensorProto.DOUBLE, [None, None])
    cut = helper.make_graph(
        list(reversed(kept)), "keel_features", list(model.graph.input), [output], initializers
    )
    out = helper.make_model(cut, opset_imports=list(model.opset_import))
    out.ir_version = model.ir_version
    return bytes(out.SerializeToString()), joined
