"""Optional compilation of tree ensembles (treelite + tl2cgen), kept only where it is faster.

`compile_files` builds one shared library per member, checks it against the native model
on the holdout (the ONNX parity rule), times single records and a batch against the
predictor the package would use without it, and keeps the libraries only when parity
holds and at least one of the two is faster. The manifest's ``compiled`` entry records both
timings, the decision, and the reason when nothing was kept; ``use`` says for which of
single records and batches the Predictor takes the libraries.

`load_compiled` is the Predictor's side: the libraries (already verified against the
manifest's SHA-256 by the package loader) when they can run here, else the reason.

Only models whose feature steps are in the pipeline-scope ONNX graph, or that have none,
are compiled: the libraries replace the tree ensembles, never the feature steps.

Example:
    >>> compile_files(None, None, {}, None, compile=False)[0]["reason"]
    'not requested (compile=False)'
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from typing import Any

from keel.errors import ModelError
from keel.models._compile_measure import batch_rows_per_s, one_row_p50_us, parity, repeated
from keel.models._compile_runtime import platform_mismatch, platform_record, require_tl2cgen
from keel.models._compile_trees import (
    MemberLayout,
    Uncompilable,
    build_library,
    member_layout,
    treelite_model,
)
from keel.models._onnx_input import schema_matrix

__all__ = ["Compiled", "compile_files", "load_compiled"]

#: The compiled side must take at most this share of the baseline's time to count as
#: faster: a margin over the noise of one measurement, so a tie never swaps the backend.
FASTER_BELOW = 0.95
#: Rows of the holdout also checked one by one (the single-record path is its own C call).
_ONE_ROW_PARITY_ROWS = 200


@dataclass(frozen=True)
class Compiled:
    """What a Predictor takes from the compiled libraries: the path (None when they cannot
    be used, with the reason) and whether it serves single records and batches."""

    path: Any
    one: bool = False
    batch: bool = False
    reason: str | None = None


def compile_files(
    trained: Any, holdout: Any, onnx_entry: dict[str, Any], graph: bytes | None, compile: bool
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(the manifest's ``compiled`` entry, the library files to add to the package).

    Raises:
        ModelError: ``compile`` is asked for and treelite or tl2cgen is not installed.
    """
    if not compile:
        return _absent("not requested (compile=False)"), {}
    require_tl2cgen()
    if holdout is None:
        return _absent("no holdout was given to check parity and measure speed"), {}
    why = _not_eligible(trained, onnx_entry, graph)
    if why is not None:
        return _absent(why), {}
    started = time.perf_counter()
    try:
        libraries = [build_library(treelite_model(model)) for _, _, model in trained.members]
    except Uncompilable as exc:
        return _absent(str(exc)), {}
    # Deep forests make large C files: 50 fully grown extra trees took 27 s to build here.
    build_s = round(time.perf_counter() - started, 2)
    layouts = [member_layout(model) for _, _, model in trained.members]
    entry, files = _decide(trained, holdout[0], onnx_entry, graph, libraries, layouts)
    return {**entry, "build_s": build_s}, files


def _not_eligible(trained: Any, onnx_entry: dict[str, Any], graph: bytes | None) -> str | None:
    if trained.features is not None and (graph is None or onnx_entry.get("scope") != "pipeline"):
        return (
            "the feature steps are not in a pipeline-scope ONNX graph; compiled trees replace "
            "the model only, and its features would run natively"
        )
    if trained.choice is not None and trained.choice.kind not in ("single", "blend"):
        return f"a {trained.choice.kind} ensemble is not compiled (single models and blends are)"
    return None


def _decide(
    trained: Any,
    X: Any,
    onnx_entry: dict[str, Any],
    graph: bytes | None,
    libraries: list[bytes],
    layouts: list[MemberLayout],
) -> tuple[dict[str, Any], dict[str, bytes]]:
    from keel.models._compile_path import CompiledPath

    path = CompiledPath(trained, libraries, layouts, graph)
    suffix = _library_suffix()
    files = {f"compiled/{i}{suffix}": data for i, data in enumerate(libraries)}
    entry: dict[str, Any] = {
        "kept": False,
        "reason": None,
        "members": [
            {"file": name, **layout.to_manifest()}
            for name, layout in zip(files, layouts, strict=True)
        ],
        "features": "onnx" if trained.features is not None else "none",
        "platform": platform_record(),
        "tools": _tool_versions(),
        "parity": _parity(trained, path, X),
    }
    if not entry["parity"]["passed"]:
        return _not_kept(entry, f"parity failed ({entry['parity']['failure']})"), {}
    entry["timings"] = _timings(trained, onnx_entry, graph, path, X)
    use = {side: entry["timings"][side]["faster"] for side in ("one_row", "batch")}
    entry["use"] = {"one": use["one_row"], "batch": use["batch"]}
    if not any(use.values()):
        return _not_kept(entry, "slower than the package's own predictor on both "
                         "single records and batches"), {}  # fmt: skip
    entry["kept"] = True
    return entry, files


def _parity(trained: Any, path: Any, X: Any) -> dict[str, Any]:
    """Parity of the batch path on the whole holdout and of the single-row path on its
    first rows; the worse of the two is the result."""
    import numpy as np

    reference = np.asarray(trained.output(X), dtype=np.float64)
    inputs = schema_matrix(X, trained.schema)
    batch = parity(path.output(inputs), reference, trained.task)
    head = inputs[:_ONE_ROW_PARITY_ROWS]
    ones = np.array([path.output_one(row) for row in head])
    if trained.task == "regression":
        ones = ones.reshape(-1)
    single = parity(ones, reference[: len(head)], trained.task)
    worst = max(batch["max_abs_diff"], single["max_abs_diff"])
    if batch["passed"] and not single["passed"]:
        failure = f"single rows: {single['failure']}"
        return {**single, "rows": batch["rows"], "failure": failure, "max_abs_diff": worst}
    return {**batch, "max_abs_diff": worst}


def _timings(
    trained: Any, onnx_entry: dict[str, Any], graph: bytes | None, path: Any, X: Any
) -> dict[str, Any]:
    from keel.models._onnx import OnnxExport
    from keel.models._predictor import Predictor

    export = OnnxExport.from_manifest(onnx_entry, graph) if onnx_entry else None
    baseline = Predictor(trained, export)
    compiled = Predictor(trained, export, compiled=Compiled(path, one=True, batch=True))
    records, batch = X.to_dict("records"), repeated(X)
    one = [one_row_p50_us(p.predict_proba_one, records) for p in (compiled, baseline)]
    rate = [batch_rows_per_s(p.output, batch) for p in (compiled, baseline)]
    return {
        "baseline": baseline.backend,
        "one_row": {
            "compiled_p50_us": one[0],
            "baseline_p50_us": one[1],
            "faster": one[0] < FASTER_BELOW * one[1],
        },
        "batch": {
            "rows": len(batch),
            "compiled_rows_per_s": rate[0],
            "baseline_rows_per_s": rate[1],
            "faster": rate[1] < FASTER_BELOW * rate[0],
        },
    }


def load_compiled(package: Any, trained: Any, graph: bytes | None) -> Compiled | None:
    """The package's compiled libraries for a Predictor, or why they are not used; None
    when the package has none (nothing was kept, or compiling was not asked for)."""
    entry = package.manifest.get("compiled") or {}
    if not entry.get("kept"):
        return None
    mismatch = platform_mismatch(entry.get("platform") or {})
    if mismatch is not None:
        return Compiled(None, reason=mismatch)
    from keel.models._compile_path import CompiledPath

    members = entry.get("members") or []
    try:
        libraries = [package.read_bytes(member["file"]) for member in members]
        layouts = [MemberLayout.from_manifest(member) for member in members]
        path = CompiledPath(trained, libraries, layouts, graph)
    except (ModelError, KeyError, TypeError, ValueError) as exc:
        return Compiled(None, reason=f"the compiled library cannot be used here: {exc}")
    use = entry.get("use") or {}
    return Compiled(path, one=bool(use.get("one")), batch=bool(use.get("batch")))


def _not_kept(entry: dict[str, Any], reason: str) -> dict[str, Any]:
    entry["reason"] = reason
    entry["members"] = [{**member, "file": None} for member in entry["members"]]
    return entry


def _absent(reason: str) -> dict[str, Any]:
    return {"kept": False, "reason": reason}


def _library_suffix() -> str:
    return {"Darwin": ".dylib", "Windows": ".dll"}.get(platform.system(), ".so")


def _tool_versions() -> dict[str, str]:
    import tl2cgen
    import treelite

    return {"treelite": str(treelite.__version__), "tl2cgen": str(tl2cgen.__version__)}
