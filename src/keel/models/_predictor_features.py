"""The feature nodes of a pipeline-scope graph evaluated with numpy, in place, for large
batches.

Why by hand: the feature nodes are a handful of float64 elementwise operations (gather
the columns, replace NaN by the imputer's statistics, subtract, divide...). ONNX Runtime
allocates a fresh 1M x 30 float64 output per node and runs the double kernels on one
core: 0.43-0.50 s of CPU for a million rows of the reference model (LightGBM behind median
imputation and standard scaling), a tenth of the whole batch. The same operations with
numpy, in place on a buffer this module owns, took 0.07 s. They are the same IEEE double
operations in the same order, so the output is the graph's, bit for bit (tested).

Only the operations keel's feature export emits (keel.models._onnx_features) are known;
a graph with any other node is left to ONNX Runtime (``numpy_features`` returns None).

Example:
    >>> import numpy as np
    >>> from onnx import TensorProto, helper, numpy_helper
    >>> nodes = [helper.make_node("IsNaN", ["input"], ["nan"]),
    ...          helper.make_node("Where", ["nan", "fill", "input"], ["out"])]
    >>> fill = numpy_helper.from_array(np.array([9.0]), "fill")
    >>> graph = helper.make_graph(nodes, "g", [], [], [fill])
    >>> run = numpy_features(helper.make_model(graph).SerializeToString(), "out")
    >>> run(np.array([[1.0], [np.nan]])).ravel().tolist()
    [1.0, 9.0]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["numpy_features"]

_INPUT = "input"
_ARITHMETIC: dict[str, Any] = {
    "Sub": np.subtract,
    "Div": np.divide,
    "Mul": np.multiply,
    "Add": np.add,
    "Min": np.minimum,
    "Max": np.maximum,
}
_KNOWN = {"Gather", "IsNaN", "Where", "Cast", "Concat", "Identity", *_ARITHMETIC}
_DOUBLE = 11  # TensorProto.DOUBLE


def numpy_features(graph: bytes, output: str) -> Callable[[np.ndarray], np.ndarray] | None:
    """A function computing ``output`` of the feature ``graph`` from its "input" matrix with
    numpy, or None when the graph holds an operation this module does not know."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_from_string(graph)
    nodes = list(model.graph.node)
    if any(node.op_type not in _KNOWN for node in nodes):
        return None
    if any(n.op_type == "Cast" and _attrs(n).get("to") != _DOUBLE for n in nodes):
        return None
    constants = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    uses = Counter(name for node in nodes for name in node.input)

    def run(inputs: np.ndarray) -> np.ndarray:
        values: dict[str, np.ndarray] = {**constants, _INPUT: inputs}
        owned: set[str] = set()  # buffers made here: safe to overwrite on their last use
        remaining = Counter(uses)  # uses still to come, this node's included
        for node in nodes:
            result, is_new = _apply(node, values, owned, remaining)
            values[node.output[0]] = result
            if is_new:
                owned.add(node.output[0])
            remaining.subtract(node.input)
        return values[output]

    return run


def _apply(
    node: Any, values: dict[str, np.ndarray], owned: set[str], remaining: Counter[str]
) -> tuple[np.ndarray, bool]:
    """(the node's output, whether it is a buffer of our own). A buffer of our own that no
    later node reads is overwritten in place."""
    op, args = node.op_type, [values[name] for name in node.input]

    def last_use(name: str) -> bool:
        return name in owned and remaining[name] == 1

    first = node.input[0]
    reusable = last_use(first)
    if op == "Gather":
        return np.take(args[0], args[1], axis=_attrs(node).get("axis", 0)), True
    if op == "IsNaN":
        return np.isnan(args[0]), True
    if op == "Cast":
        return args[0].astype(np.float64), True
    if op == "Concat":
        return np.concatenate(args, axis=_attrs(node).get("axis", 0)), True
    if op == "Identity":  # the same buffer under a new name: ours only if nothing else reads it
        return args[0], reusable
    if op == "Where":
        condition, fill, base = args
        if last_use(node.input[2]) and base.shape == condition.shape:
            np.copyto(base, fill, where=condition)
            return base, True
        return np.where(condition, fill, base), True
    function = _ARITHMETIC[op]
    if reusable and args[0].dtype == np.float64:
        return function(args[0], args[1], out=args[0]), True
    return function(args[0], args[1]), True


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {attribute.name: helper.get_attribute_value(attribute) for attribute in node.attribute}
