"""MLflow interop: a keel package as an MLflow pyfunc model, and an MLflow scikit-learn or
LightGBM model as a keel `Trained`.

Export writes a model that predicts through keel itself (the package is an artifact, the
model class comes from keel, no pickle), so MLflow's predictions are keel's: labels for a
classifier, or probabilities with ``params={"output": "probabilities"}``; values for a
regressor. mlflow is imported only inside these functions (``pip install 'keel[mlflow]'``).

Import runs MLflow's own loader, which unpickles the model: import only models you trust.

Example:
    >>> import_mlflow("/no/such/model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    keel.errors.ModelError: /no/such/model does not exist; expected an MLflow model ...
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.errors import ModelError
from keel.models._mlflow_estimator import estimator_columns, estimator_task, keel_estimator
from keel.models._mlflow_schema import PACKAGE_ARTIFACT, import_schema, mlflow_signature

if TYPE_CHECKING:
    import pandas as pd

    from keel.models._package import ModelPackage
    from keel.models._trained import Trained

__all__ = ["SUPPORTED_FLAVORS", "export_mlflow", "import_mlflow"]

#: The MLflow flavors `import_mlflow` reads, in the order it prefers them.
SUPPORTED_FLAVORS = ("sklearn", "lightgbm")
_MODEL_CODE = Path(__file__).parent / "templates" / "mlflow_model.py"


def export_mlflow(
    package: ModelPackage | str | os.PathLike[str], dest: str | os.PathLike[str]
) -> Path:
    """Write ``package`` as an MLflow pyfunc model directory at ``dest``.

    ``mlflow.pyfunc.load_model(dest).predict(frame)`` returns keel's predictions: labels
    (classifier) or values (regressor); ``params={"output": "probabilities"}`` gives a
    classifier's probabilities as a DataFrame with one column per class. The signature is
    the package's input schema; the pip requirements are the package's requirements.txt.

    Args:
        package: a loaded `ModelPackage`, or the path of a package (folder or .zip).
        dest: the directory to create; it must not exist.

    Raises:
        ModelError: ``dest`` exists, or the schema has a column MLflow cannot declare.
    """
    package = _as_package(package)
    dest = Path(dest)
    if dest.exists():
        raise ModelError(
            f"{dest} already exists; give a new directory for the MLflow model.", field="dest"
        )
    mlflow = _require_mlflow()
    signature = mlflow_signature(package.schema)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        with warnings.catch_warnings():
            # No input example (a package keeps no rows): the signature says what the input
            # is, so MLflow's advice to add one is noise here.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"mlflow\.")
            mlflow.pyfunc.save_model(
                str(staging / "model"),
                python_model=str(_MODEL_CODE),
                artifacts={PACKAGE_ARTIFACT: str(package.root)},
                signature=signature,
                pip_requirements=_requirements(package),
                metadata={"keel": _metadata(package)},
            )
        (staging / "model").rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def import_mlflow(path: str | os.PathLike[str], *, sample: pd.DataFrame | None = None) -> Trained:
    """An MLflow scikit-learn or LightGBM model as a keel `Trained`.

    The schema comes from the model's signature; without one, from ``sample`` (rows of
    model input, every column a feature). Task and classes come from the estimator.

    Args:
        path: the MLflow model directory (holding an ``MLmodel`` file).
        sample: rows of model input, used when the model has no signature.

    Raises:
        ModelError: no MLflow model at ``path``, a flavor keel does not read (the message
            names the flavors found), or neither a signature nor a sample.
    """
    root = Path(path)
    model = _read_mlmodel(root)
    flavor = next((name for name in SUPPORTED_FLAVORS if name in model.flavors), None)
    if flavor is None:
        found = ", ".join(sorted(model.flavors)) or "none"
        raise ModelError(
            f"{root} is an MLflow model of flavors {found}; keel imports the "
            f"{' and '.join(SUPPORTED_FLAVORS)} flavors only.",
            field="flavor",
        )
    estimator = _load_flavor(flavor, root)
    schema = import_schema(model.signature, sample, estimator_columns(estimator), root)
    task, classes = estimator_task(estimator, source=str(root))
    from keel.models._trained import Trained

    return Trained.from_estimator(
        keel_estimator(estimator, classes), schema, task=task, classes=classes
    )


def _require_mlflow() -> Any:
    try:
        import mlflow
        import mlflow.models
    except ImportError:
        raise ModelError(
            "MLflow interop needs the mlflow package: pip install 'keel[mlflow]'."
        ) from None
    return mlflow


def _as_package(package: Any) -> ModelPackage:
    if isinstance(package, str | os.PathLike):
        from keel.models._package import load_package

        return load_package(Path(package))
    return package  # type: ignore[no-any-return]


def _requirements(package: ModelPackage) -> list[str]:
    path = Path(package.root) / "requirements.txt"
    if not path.is_file():
        return ["keel"]
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _metadata(package: ModelPackage) -> dict[str, Any]:
    manifest = package.manifest
    return {
        "format_version": manifest.get("format_version"),
        "task": package.task,
        "classes": [str(c) for c in package.classes] if package.classes is not None else None,
        "metric": manifest.get("metric"),
        "run_id": (manifest.get("lineage") or {}).get("run_id"),
    }


def _read_mlmodel(root: Path) -> Any:
    if not root.exists():
        raise ModelError(
            f"{root} does not exist; expected an MLflow model directory (a folder with an "
            "MLmodel file).",
            field="path",
        )
    if not (root / "MLmodel").is_file():
        found = (
            ", ".join(sorted(p.name for p in root.iterdir())[:10]) if root.is_dir() else "a file"
        )
        raise ModelError(
            f"{root} has no MLmodel file, so it is not an MLflow model directory (found: "
            f"{found or 'nothing'}).",
            field="path",
        )
    mlflow = _require_mlflow()
    try:
        return mlflow.models.Model.load(str(root / "MLmodel"))
    except Exception as exc:  # MLflow raises several kinds for a malformed file
        raise ModelError(
            f"{root / 'MLmodel'} cannot be read as an MLflow MLmodel file: {exc}", field="path"
        ) from None


def _load_flavor(flavor: str, root: Path) -> Any:
    import mlflow.lightgbm
    import mlflow.sklearn

    loader = mlflow.sklearn if flavor == "sklearn" else mlflow.lightgbm
    try:
        return loader.load_model(str(root))
    except Exception as exc:  # whatever the flavor's loader raises: a missing file, a bad pickle
        raise ModelError(
            f"MLflow could not load the {flavor} model at {root}: {exc}", field="path"
        ) from exc
