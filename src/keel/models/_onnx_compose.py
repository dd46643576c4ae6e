"""Graphs joined into one: a weighted blend of member graphs, and the float64 feature nodes
in front of a model graph. Every joined graph keeps one input, "input".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from keel.models._onnx_features import feature_nodes

__all__ = ["merge_blend", "prepend_features"]


def merge_blend(graphs: Sequence[bytes], weights: Sequence[float], output: str) -> bytes:
    """One graph computing ``sum(w_i * member_i[output])`` with weights normalized to 1 and,
    for "probabilities", rows renormalized to sum to 1 (as keel.train's ``blend`` does).

    Args:
        graphs: member graphs over the same input "input", each with an output ``output``.
        weights: one non-negative weight per member.
    """
    import onnx
    from onnx import helper, numpy_helper

    total = float(sum(weights))
    nodes: list[Any] = []
    initializers: list[Any] = []
    weighted: list[str] = []
    opsets: dict[str, int] = {}
    first = onnx.load_from_string(graphs[0])
    for index, (data, weight) in enumerate(zip(graphs, weights, strict=True)):
        if weight <= 0:
            continue
        model = onnx.load_from_string(data)
        _merge_opsets(opsets, model)
        prefix = f"m{index}_"
        _prefix_graph(model.graph, prefix, keep={"input"})
        nodes.extend(model.graph.node)
        initializers.extend(model.graph.initializer)
        scale = np.array(weight / total, dtype=np.float32)
        initializers.append(numpy_helper.from_array(scale, prefix + "weight"))
        weighted.append(prefix + "weighted")
        nodes.append(helper.make_node("Mul", [prefix + output, prefix + "weight"], [weighted[-1]]))
    if output == "probabilities":
        axis = numpy_helper.from_array(np.array([1], dtype=np.int64), "blend_axis")
        initializers.append(axis)
        nodes.append(helper.make_node("Sum", weighted, ["blend_sum"]))
        nodes.append(helper.make_node("ReduceSum", ["blend_sum", "blend_axis"], ["blend_rows"]))
        nodes.append(helper.make_node("Div", ["blend_sum", "blend_rows"], [output]))
    else:
        nodes.append(helper.make_node("Sum", weighted, [output]))
    outputs = [o for o in first.graph.output if o.name == output]
    return _model(nodes, list(first.graph.input), outputs, initializers, opsets, first)


def prepend_features(
    model_graph: bytes, branches: list[tuple[str, Any, list[int]]], width: int
) -> bytes:
    """``model_graph`` (float32 input "input" over the feature matrix) behind the feature
    nodes of ``branches``; the joined graph's "input" is float64 of ``width`` columns."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_from_string(model_graph)
    opsets: dict[str, int] = {}
    _merge_opsets(opsets, model)
    _prefix_graph(model.graph, "model_", keep=set())
    built = feature_nodes(branches, "input")
    joined = built.nodes[-1].output[0]
    cast = helper.make_node("Cast", [joined], ["model_input"], to=TensorProto.FLOAT)
    nodes = [*built.nodes, cast, *model.graph.node]
    source = helper.make_tensor_value_info("input", TensorProto.DOUBLE, [None, width])
    outputs = []
    for output in model.graph.output:
        bare = output.name.removeprefix("model_")
        nodes.append(helper.make_node("Identity", [output.name], [bare]))
        renamed = onnx.ValueInfoProto()
        renamed.CopyFrom(output)
        renamed.name = bare
        outputs.append(renamed)
    initializers = [*built.initializers, *model.graph.initializer]
    return _model(nodes, [source], outputs, initializers, opsets, model)


def _model(
    nodes: list[Any],
    inputs: list[Any],
    outputs: list[Any],
    initializers: list[Any],
    opsets: dict[str, int],
    template: Any,
) -> bytes:
    from onnx import helper

    opsets.setdefault("", 17)
    graph = helper.make_graph(nodes, "keel", inputs, outputs, initializers)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()]
    )
    model.ir_version = template.ir_version
    return bytes(model.SerializeToString())


def _merge_opsets(opsets: dict[str, int], model: Any) -> None:
    for opset in model.opset_import:
        opsets[opset.domain] = max(opsets.get(opset.domain, 0), opset.version)


def _prefix_graph(graph: Any, prefix: str, keep: set[str]) -> None:
    """Rename every node and tensor of ``graph`` but those in ``keep``."""
    for index, node in enumerate(graph.node):
        node.name = prefix + (node.name or f"node{index}")
        for names in (node.input, node.output):
            for i, name in enumerate(names):
                if name and name not in keep:
                    names[i] = prefix + name
    for tensor in graph.initializer:
        tensor.name = prefix + tensor.name
    for value in [*graph.input, *graph.output]:
        if value.name not in keep:
            value.name = prefix + value.name
