"""The edge bundle: a folder that predicts with numpy and onnxruntime only, no keel.

It holds the package's ONNX graph of the whole pipeline (``model.onnx``), the input columns
(``schema.json``), a short standalone predictor (``predict.py``, from ``templates/``) and a
README. Only a pipeline-scope graph will do: a model-scope graph reads keel's feature
matrix, which only keel's feature pipeline can make.

Example:
    >>> from keel.models import load_package
    >>> export_bundle(load_package("churn-model"), "churn-edge")  # doctest: +SKIP
    PosixPath('churn-edge')
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.errors import ModelError
from keel.models._bundle_schema import bundle_readme, bundle_schema

if TYPE_CHECKING:
    from keel.models._package import ModelPackage

__all__ = ["BUNDLE_FILES", "export_bundle"]

BUNDLE_FILES = ("model.onnx", "schema.json", "predict.py", "README.md")
_PREDICT = Path(__file__).parent / "templates" / "predict.py"


def export_bundle(
    package: ModelPackage | str | os.PathLike[str],
    dest: str | os.PathLike[str],
    *,
    quantized: bool = False,
) -> Path:
    """Write the edge bundle of ``package`` to the new folder ``dest``.

    Args:
        package: a loaded `ModelPackage`, or the path of a package (folder or .zip).
        dest: the folder to create; it must not exist.
        quantized: ship the package's int8 graph (smaller, often faster; its metric on the
            holdout was within the package's tolerance) instead of the float graph.

    Returns:
        ``dest``, holding model.onnx, schema.json, predict.py and README.md.

    Raises:
        ModelError: ``dest`` exists, or the package has no pipeline-scope ONNX graph (the
            message says why there is none and what to do instead), or no int8 graph when
            ``quantized``.
    """
    package = _as_package(package)
    dest = Path(dest)
    if dest.exists():
        raise ModelError(f"{dest} already exists; give a new folder for the bundle.", field="dest")
    onnx = _pipeline_graph_entry(package)
    graph = package.onnx_graph(quantized=quantized)
    if graph is None:  # only the int8 graph can be absent: the float one passed the check
        entry = package.manifest.get("quantized") or {}
        why = entry.get("reason") or "it was written without quantize=True"
        raise ModelError(
            f"The package at {package.root} has no int8 graph: {why}. Export the float graph "
            "(quantized=False), or write the package with quantize=True.",
            field="quantized",
        )
    schema = bundle_schema(package.schema, onnx, task=package.task, classes=package.classes)
    schema["quantized"] = quantized
    files = {
        "model.onnx": graph,
        "schema.json": (json.dumps(schema, indent=2) + "\n").encode("utf-8"),
        "predict.py": _PREDICT.read_bytes(),
        "README.md": _readme(package, schema, quantized).encode("utf-8"),
    }
    _write_folder(dest, files)
    return dest


def _pipeline_graph_entry(package: ModelPackage) -> dict[str, Any]:
    """The manifest's ``onnx`` entry, when it is a graph of the whole pipeline."""
    onnx = package.manifest.get("onnx") or {}
    remedy = (
        "An edge bundle needs the feature steps and the model in one graph. Serve this "
        "model with keel (its Predictor runs the native backend) or export it with "
        "export_mlflow; for a bundle, train with features that convert to ONNX (numeric and "
        "boolean columns, imputation and scaling; no categoricals, target encoding or lags) "
        "and a model family with a converter (linear, tree ensembles, LightGBM, XGBoost)."
    )
    if not onnx.get("file"):
        why = onnx.get("reason") or "it was written without ONNX export"
        raise ModelError(
            f"The package at {package.root} has no ONNX graph: {why}. {remedy}", field="onnx"
        )
    if onnx.get("scope") != "pipeline":
        why = onnx.get("reason") or "the feature steps did not convert"
        raise ModelError(
            f"The package at {package.root} has an ONNX graph of the model only (scope "
            f"{onnx.get('scope')!r}), not of its feature steps: {why}. {remedy}",
            field="onnx",
        )
    return onnx


def _write_folder(dest: Path, files: dict[str, bytes]) -> None:
    """All files or none: written to a temporary folder beside ``dest``, then renamed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would follow the bundle wherever it is copied
        for name, content in files.items():
            (staging / name).write_bytes(content)
        staging.rename(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _readme(package: ModelPackage, schema: dict[str, Any], quantized: bool) -> str:
    run = (package.manifest.get("lineage") or {}).get("run_id")
    name = f"{package.task} model from run {run}" if run else f"{package.task} model"
    parity = package.manifest["onnx"].get("parity") or {}
    checked = (
        f"keel checked it against its own predictions on {parity.get('rows', 'the')} holdout "
        "rows (max difference <= 1e-5, identical labels)"
    )
    if quantized:
        entry = package.manifest.get("quantized") or {}
        checked = (
            f"int8-quantized: on the holdout its {entry.get('metric')} was "
            f"{entry.get('metric_after')} against {entry.get('metric_before')} for the float "
            f"graph (tolerance {entry.get('tolerance')}), which {checked}"
        )
    return bundle_readme(schema, package.schema, model=name, checked=checked)


def _as_package(package: Any) -> ModelPackage:
    if isinstance(package, str | os.PathLike):
        from keel.models._package import load_package

        return load_package(Path(package))
    return package  # type: ignore[no-any-return]
