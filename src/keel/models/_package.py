"""The model package: a folder (or a zip of it) that carries a trained model from training
to serving — manifest with the SHA-256 of every file, input schema, feature pipeline,
members in safe native formats, ensemble, ONNX graph, drift profile, card, requirements.

Layout::

    keel-model.json          manifest: format, task, classes, schema, metrics, lineage,
                             members, onnx, files {path: sha256}
    schema.json              the input signature (keel.data.Schema)
    features.keelfp          the feature pipeline (verified pickle; absent without one)
    members/<i>.lgb.txt | .xgb.json | .skops | .cbm     member models
    ensemble.json            how members combine (+ members/stacker.skops for a stack)
    model.onnx               the parity-checked graph (+ model.int8.onnx when accepted)
    profile.json             reference profile for drift
    card.md                  the model card
    requirements.txt         pinned versions of keel and the libraries this model needs

Example:
    >>> import pandas as pd, tempfile, pathlib
    >>> from sklearn.linear_model import LogisticRegression
    >>> from keel.data import infer_schema
    >>> from keel.models._trained import Trained
    >>> from keel.models import write_package
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> model = LogisticRegression().fit(frame, [0, 0, 1, 1])
    >>> trained = Trained.from_estimator(model, infer_schema(frame))
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = write_package(trained, folder / "churn", onnx=False)
    >>> package = load_package(zip_package(path, folder / "churn.zip"))
    >>> package.task, package.trained().predict(frame).tolist()
    ('binary', [0, 0, 1, 1])
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import weakref
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.data import Schema
from keel.errors import PackageError, SchemaError
from keel.models._manifest import FORMAT_VERSION, MANIFEST
from keel.models._manifest_json import dumps_json
from keel.models._package_read import read_manifest, read_verified

if TYPE_CHECKING:
    from keel.models._package_write import write_package
    from keel.models._predictor import Predictor
    from keel.models._trained import Trained

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "ModelPackage",
    "load_package",
    "read_manifest",
    "write_package",
    "zip_package",
]

# A fixed timestamp for every zip entry: the same package always zips to the same bytes,
# so a content-addressed store keeps one copy of it.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ModelPackage:
    """A loaded, verified package. Built by `load_package`; every file's bytes were checked
    against the manifest before this object existed, and the members are deserialized
    only on the first call to `trained`.

    Attributes:
        root: the package folder (for a zip, a verified copy removed with this object).
        source: the folder or zip it was loaded from.
        manifest: the parsed ``keel-model.json``.
        schema: the input signature.
    """

    def __init__(self, source: Path, root: Path, manifest: dict[str, Any], files: dict[str, bytes]):
        self.source = source
        self.root = root
        self.manifest = manifest
        self._files = files
        self._trained: Trained | None = None
        self.schema = _schema(files[manifest["input_schema"]], manifest["input_schema"])

    @property
    def task(self) -> str:
        return str(self.manifest["task"])

    @property
    def classes(self) -> list[Any] | None:
        return self.manifest.get("classes")

    @property
    def files(self) -> list[str]:
        """The package's files (not the manifest), sorted."""
        return sorted(self._files)

    def read_bytes(self, name: str) -> bytes:
        """The verified bytes of the package file ``name`` ("card.md", "model.onnx"...)."""
        try:
            return self._files[name]
        except KeyError:
            raise PackageError(f"The package has no file {name!r}.", file=name) from None

    def trained(self) -> Trained:
        """The model with its native backend (members deserialized on the first call)."""
        if self._trained is None:
            from keel.models._package_load import load_trained

            self._trained = load_trained(self.manifest, self._files, self.schema)
        return self._trained

    def onnx_graph(self, quantized: bool = False) -> bytes | None:
        """The ONNX graph (the int8 one with ``quantized``), or None when there is none."""
        entry = self.manifest.get("quantized" if quantized else "onnx") or {}
        file = entry.get("file")
        return None if file is None else self._files[file]

    def profile(self) -> dict[str, Any] | None:
        """The reference profile for drift, or None when the package has none."""
        file = self.manifest.get("profile")
        return None if file is None else json.loads(self._files[file])

    def predictor(self, backend: str = "auto") -> Predictor:
        """A ``Predictor`` over this package ("auto": ONNX when a verified graph is here)."""
        from keel.models._predictor import Predictor

        return Predictor.from_package(self, backend=backend)

    def __repr__(self) -> str:
        description = self.manifest.get("description", "model")
        return f"ModelPackage({str(self.source)!r}, task={self.task!r}, {description})"


def load_package(path: str | os.PathLike[str]) -> ModelPackage:
    """Load the package folder or ``.zip`` at ``path``, verifying every file's SHA-256
    before anything is deserialized.

    Raises:
        PackageError: a newer format (the message names the keel version needed), a file
            missing, unlisted, truncated or altered (``.file`` names it), a truncated zip.
    """
    source = Path(path)
    manifest, files = read_verified(source)
    if source.is_dir():
        return ModelPackage(source, source, manifest, files)
    package = ModelPackage(source, _extracted(manifest, files), manifest, files)
    weakref.finalize(package, shutil.rmtree, package.root, ignore_errors=True)
    return package


def zip_package(folder: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Zip the package ``folder`` (verified first) to ``dest``, atomically; the same
    package always gives the same zip bytes.

    Raises:
        PackageError: ``folder`` is not a valid package.
    """
    manifest, files = read_verified(folder)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            _add(archive, MANIFEST, dumps_json(manifest).encode("utf-8"))
            for name in sorted(files):
                _add(archive, name, files[name])
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def _extracted(manifest: dict[str, Any], files: dict[str, bytes]) -> Path:
    """A private folder holding the verified files, for code that wants paths."""
    root = Path(tempfile.mkdtemp(prefix="keel-package-"))
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    (root / MANIFEST).write_text(dumps_json(manifest), encoding="utf-8")
    return root


def _schema(data: bytes, file: str) -> Schema:
    try:
        return Schema.from_json(data.decode("utf-8"), source=file)
    except (SchemaError, UnicodeDecodeError) as exc:
        raise PackageError(f"{file} is not a valid schema: {exc}", file=file) from None


def __getattr__(name: str) -> Any:
    # Writing imports the train catalog and every converter; loading a package to serve it
    # needs none of them (see keel.models._package_lazy), so the writer loads on first use.
    if name == "write_package":
        from keel.models._package_write import write_package

        return write_package
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
