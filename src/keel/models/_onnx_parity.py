"""ONNX Runtime sessions as keel opens them, and the parity check a graph must pass.

Example:
    >>> graph_output("binary"), graph_output("regression")
    ('probabilities', 'variable')
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PROBA_TOLERANCE", "VALUE_TOLERANCE", "check_parity", "graph_output", "open_session"]

#: Largest |Δ probability| accepted between ONNX Runtime and the native model.
PROBA_TOLERANCE = 1e-5
#: Largest |Δ value| accepted for regression, relative to the largest |value| (at least 1).
VALUE_TOLERANCE = 1e-5


def graph_output(task: str) -> str:
    """The output a keel graph is asked for: skl2onnx's and onnxmltools' own names."""
    return "variable" if task == "regression" else "probabilities"


def open_session(graph: bytes, *, threads: int | None = None) -> Any:
    """An ONNX Runtime CPU session with every graph optimization on.

    Args:
        threads: intra-op threads; 1 for single rows (a thread pool's wake-up costs more than
            the work), None for ONNX Runtime's default (one per core) for batches.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def run_graph(session: Any, task: str, inputs: np.ndarray) -> np.ndarray:
    """Probabilities (n, n_classes) or values (n,), float64."""
    out = session.run([graph_output(task)], {"input": inputs})[0]
    out = np.asarray(out, dtype=np.float64)
    return out.reshape(-1) if task == "regression" else out


def check_parity(graph: bytes, inputs: np.ndarray, reference: np.ndarray, task: str) -> dict:
    """Compare the graph's output on ``inputs`` with the native ``reference``.

    Returns:
        ``{"passed", "max_abs_diff", "labels_equal", "rows", "tolerance", "failure"}``;
        ``failure`` says what missed (None when passed).
    """
    try:
        got = run_graph(open_session(graph), task, inputs)
    except Exception as exc:  # ONNX Runtime's own error types; the graph is refused either way
        return _result(
            False, float("nan"), False, len(inputs), float("nan"), f"ONNX Runtime: {exc}"
        )
    return compare_outputs(got, reference, task)


def compare_outputs(got: np.ndarray, reference: np.ndarray, task: str) -> dict[str, Any]:
    """The parity rule on any backend's outputs (an ONNX graph, a compiled library): max
    |Δ probability| <= 1e-5 and identical labels; regression: max |Δ| <= 1e-5 times the
    largest |value| (at least 1). Same keys as `check_parity`."""
    rows = len(reference)
    if got.shape != reference.shape:
        why = f"output shape {got.shape}, native {reference.shape}"
        return _result(False, float("nan"), False, rows, float("nan"), why)
    diff = float(np.max(np.abs(got - reference), initial=0.0))
    if task == "regression":
        tolerance = VALUE_TOLERANCE * max(1.0, float(np.max(np.abs(reference), initial=0.0)))
        labels_equal = True
    else:
        tolerance = PROBA_TOLERANCE
        labels_equal = bool(np.array_equal(got.argmax(axis=1), reference.argmax(axis=1)))
    failure = None
    if not diff <= tolerance:
        failure = f"max |difference| {diff:.3g} > {tolerance:.3g}"
    elif not labels_equal:
        failure = "a predicted label differs"
    return _result(failure is None, diff, labels_equal, rows, tolerance, failure)


def _result(
    passed: bool, diff: float, labels: bool, rows: int, tolerance: float, failure: str | None
) -> dict[str, Any]:
    return {
        "passed": passed,
        "max_abs_diff": diff,
        "labels_equal": labels,
        "rows": rows,
        "tolerance": tolerance,
        "failure": failure,
    }
