"""Models: the model package (manifest, native formats, verified hashes, ONNX with checked
parity, int8 quantization), the ``Predictor`` over either backend, the registry (versions,
aliases with history, rollback, lineage), MLflow interop and the edge bundle.

Heavy parts (skl2onnx, onnxruntime, skops, mlflow) load on first use, so importing this
package stays fast.

Example:
    >>> from keel.models import parse_ref
    >>> parse_ref("churn@champion")
    ModelRef(name='churn', version=None, alias='champion')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "FORMAT_VERSION",
    "AliasEvent",
    "Lineage",
    "ModelPackage",
    "ModelRef",
    "ModelVersion",
    "OnnxExport",
    "Predictor",
    "QuantizeResult",
    "RegisteredModel",
    "Registry",
    "Trained",
    "export_bundle",
    "export_mlflow",
    "export_onnx",
    "import_mlflow",
    "load_package",
    "parse_ref",
    "quantize_onnx",
    "read_manifest",
    "write_package",
    "zip_package",
]

# Public name -> private module, loaded on first use.
_LAZY: dict[str, str] = {
    "Trained": "keel.models._trained",
    "FORMAT_VERSION": "keel.models._package",
    "ModelPackage": "keel.models._package",
    "load_package": "keel.models._package",
    "read_manifest": "keel.models._package",
    "write_package": "keel.models._package_write",
    "zip_package": "keel.models._package",
    "OnnxExport": "keel.models._onnx",
    "export_onnx": "keel.models._onnx",
    "QuantizeResult": "keel.models._quantize",
    "quantize_onnx": "keel.models._quantize",
    "Predictor": "keel.models._predictor",
    "AliasEvent": "keel.models._registry",
    "Lineage": "keel.models._registry",
    "ModelVersion": "keel.models._registry",
    "RegisteredModel": "keel.models._registry",
    "Registry": "keel.models._registry",
    "ModelRef": "keel.models._refs",
    "parse_ref": "keel.models._refs",
    "export_mlflow": "keel.models._mlflow",
    "import_mlflow": "keel.models._mlflow",
    "export_bundle": "keel.models._bundle",
}

if TYPE_CHECKING:
    from keel.models._bundle import export_bundle
    from keel.models._mlflow import export_mlflow, import_mlflow
    from keel.models._onnx import OnnxExport, export_onnx
    from keel.models._package import (
        FORMAT_VERSION,
        ModelPackage,
        load_package,
        read_manifest,
        zip_package,
    )
    from keel.models._package_write import write_package
    from keel.models._predictor import Predictor
    from keel.models._quantize import QuantizeResult, quantize_onnx
    from keel.models._refs import ModelRef, parse_ref
    from keel.models._registry import (
        AliasEvent,
        Lineage,
        ModelVersion,
        RegisteredModel,
        Registry,
    )
    from keel.models._trained import Trained


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'keel.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
