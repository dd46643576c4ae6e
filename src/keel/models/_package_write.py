"""Writing a package: every file as bytes first, the manifest with their SHA-256 last, and
the folder put in place in one rename, so a reader never sees half a package.

Example:
    >>> import pandas as pd, tempfile, pathlib
    >>> from sklearn.linear_model import Ridge
    >>> from keel.data import infer_schema
    >>> from keel.models._trained import Trained
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    >>> trained = Trained.from_estimator(Ridge().fit(frame, [0.0, 1.0, 2.0]), infer_schema(frame))
    >>> folder = write_package(trained, pathlib.Path(tempfile.mkdtemp()) / "pkg", onnx=False)
    >>> sorted(p.name for p in folder.iterdir())[:3]
    ['card.md', 'ensemble.json', 'keel-model.json']
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from keel.errors import ModelError
from keel.features._persist import dumps_pipeline
from keel.models._card import render_card
from keel.models._compile import compile_files
from keel.models._manifest import FORMAT, FORMAT_VERSION, MANIFEST
from keel.models._manifest_json import dumps_json, jsonable
from keel.models._native import dump_member
from keel.models._package_ensemble import ENSEMBLE, STACKER, dump_ensemble
from keel.models._package_onnx import ONNX_GRAPH, onnx_files
from keel.models._profile import reference_profile
from keel.models._requirements import package_versions, required_packages, requirements_text
from keel.models._trained import Trained

__all__ = ["write_package"]

_LINEAGE_KEYS = (
    "run_id",
    "snapshot_id",
    "git_commit",
    "parents",
    "packages",
    "created_at",
    "imported_from",  # the path or URI of a model brought in from another tool (MLflow)
)

Holdout = tuple[pd.DataFrame, Any]


def write_package(
    trained: Trained,
    dest: str | os.PathLike[str],
    *,
    holdout: Holdout | None = None,
    reference: pd.DataFrame | None = None,
    metrics: dict[str, Any] | None = None,
    lineage: dict[str, Any] | None = None,
    card: str | None = None,
    onnx: bool = True,
    quantize: bool = False,
    tolerance: float = 0.01,
    compile: bool = False,
) -> Path:
    """Write ``trained`` as a package folder at ``dest`` (atomically) and return its path.

    Args:
        holdout: (X, y) rows the model did not train on: the ONNX graph's parity check and
            the int8 graph's metric check run on them; also the reference profile's data
            when ``reference`` is None.
        reference: the data the drift profile (``profile.json``) describes.
        metrics: the model's measured metrics, recorded as given.
        lineage: any of run_id, snapshot_id, git_commit, parents (refs), packages
            (added to the installed versions keel records), created_at, imported_from.
        card: the model card's Markdown; written from the manifest when None.
        onnx: export an ONNX graph (needs ``holdout``; kept only with verified parity).
        quantize: also an int8 graph, kept when the metric drops by at most ``tolerance``.
        compile: also compile the tree ensembles with treelite/tl2cgen (needs ``holdout``);
            the libraries are kept when they pass parity and are faster than the package's
            own predictor (the manifest's ``compiled`` entry records timings and decision).

    Raises:
        ModelError: a bad argument, an estimator no safe format holds, or ``dest`` is an
            existing folder that is not a keel package; ``compile`` without treelite and
            tl2cgen installed.
    """
    dest = Path(dest)
    _check_destination(dest)
    _check_holdout(holdout)
    files, records = _model_files(trained)
    onnx_record, quantized, graphs = onnx_files(trained, holdout, onnx, quantize, tolerance)
    files.update(graphs)
    compiled, libraries = compile_files(
        trained, holdout, onnx_record, graphs.get(ONNX_GRAPH), compile
    )
    files.update(libraries)
    profile_frame = reference if reference is not None else (holdout[0] if holdout else None)
    if profile_frame is not None:
        profile = reference_profile(profile_frame, trained.schema)
        files["profile.json"] = dumps_json(profile).encode("utf-8")
    formats = [r["format"] for r in records] + (["skops"] if STACKER in files else [])
    needed = required_packages(formats, onnx=ONNX_GRAPH in files)
    versions = package_versions(needed + (["tl2cgen"] if libraries else []))
    manifest = {
        **_description(trained, versions.get("keel")),
        "metrics": jsonable(metrics or {}),
        "lineage": _lineage(lineage, versions),
        "members": records,
        "ensemble": ENSEMBLE,
        "onnx": onnx_record,
        "quantized": quantized,
        "compiled": compiled,
        "profile": "profile.json" if "profile.json" in files else None,
        "card": "card.md",
        "requirements": "requirements.txt",
    }
    files["requirements.txt"] = requirements_text(versions).encode("utf-8")
    card_text = card if card is not None else render_card(manifest, trained.schema.features())
    files["card.md"] = card_text.encode("utf-8")
    manifest["files"] = {name: _sha256(data) for name, data in sorted(files.items())}
    return _write_folder(dest, files, dumps_json(manifest).encode("utf-8"))


def _model_files(trained: Trained) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """The files that hold the model (schema, features, members, ensemble) and the
    members' manifest records."""
    files = {"schema.json": trained.schema.to_json().encode("utf-8")}
    if trained.features is not None:
        files["features.keelfp"] = dumps_pipeline(trained.features)
    members = [dump_member(i, *member) for i, member in enumerate(trained.members)]
    files.update({m.file: m.data for m in members})
    ensemble, stacker = dump_ensemble(trained.choice)
    files[ENSEMBLE] = ensemble.encode("utf-8")
    if stacker is not None:
        files[STACKER] = stacker
    return files, [m.record for m in members]


def _description(trained: Trained, keel_version: str | None) -> dict[str, Any]:
    """The manifest's head: format, task, classes, signature and output."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "keel_version": keel_version,
        "task": trained.task,
        "classes": trained.classes,
        "metric": trained.metric,
        "description": trained.description,
        "input_schema": "schema.json",
        "features": "features.keelfp" if trained.features is not None else None,
        "feature_names": _feature_names(trained),
        "output": _output(trained),
    }


def _check_destination(dest: Path) -> None:
    if dest.exists() and not _replaceable(dest):
        raise ModelError(
            f"Cannot write a package to {dest}: it exists and is not a keel package folder "
            "(an existing package is replaced; anything else is left alone).",
            field="dest",
        )


def _replaceable(dest: Path) -> bool:
    """An existing package folder, or an empty folder, may be replaced."""
    return dest.is_dir() and ((dest / MANIFEST).is_file() or not any(dest.iterdir()))


def _check_holdout(holdout: Any) -> None:
    if holdout is None:
        return
    if not (isinstance(holdout, tuple) and len(holdout) == 2):
        raise ModelError("holdout must be a tuple (X, y).", field="holdout")
    X, y = holdout
    if not isinstance(X, pd.DataFrame):
        raise ModelError(
            f"holdout's X must be a DataFrame. Got {type(X).__name__} instead.", field="holdout"
        )
    if y is not None and len(y) != len(X):
        raise ModelError(f"holdout's X has {len(X)} rows but its y has {len(y)}.", field="holdout")


def _feature_names(trained: Trained) -> list[str]:
    if trained.features is not None:
        return [str(name) for name in trained.features.feature_names_out_]
    return [column.name for column in trained.schema.features()]


def _output(trained: Trained) -> dict[str, Any]:
    if trained.classes is None:
        return {"kind": "values", "columns": ["value"]}
    return {"kind": "probabilities", "columns": [str(c) for c in trained.classes]}


def _lineage(given: dict[str, Any] | None, versions: dict[str, str]) -> dict[str, Any]:
    given = dict(given or {})
    unknown = sorted(set(given) - set(_LINEAGE_KEYS))
    if unknown:
        raise ModelError(
            f"lineage keys must be among {', '.join(_LINEAGE_KEYS)}. Got {unknown} instead.",
            field=f"lineage.{unknown[0]}",
        )
    parents = given.get("parents") or []
    if not isinstance(parents, list | tuple) or not all(isinstance(p, str) for p in parents):
        raise ModelError(
            f"lineage.parents must be a list of model refs (strings). Got {parents!r} instead.",
            field="lineage.parents",
        )
    return jsonable(
        {
            "run_id": given.get("run_id"),
            "snapshot_id": given.get("snapshot_id"),
            "git_commit": given.get("git_commit"),
            "parents": list(parents),
            "packages": {**versions, **(given.get("packages") or {})},
            "created_at": given.get("created_at") or datetime.now(UTC).isoformat(),
            **({"imported_from": given["imported_from"]} if "imported_from" in given else {}),
        }
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_folder(dest: Path, files: dict[str, bytes], manifest: bytes) -> Path:
    """Write into a hidden sibling folder, then rename it to ``dest`` (replacing an old
    package there only once the new one is complete)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    partial = dest.parent / f".{dest.name}.partial-{token}"
    try:
        for name, data in files.items():
            path = partial / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        (partial / MANIFEST).write_bytes(manifest)
        _swap_in(partial, dest, dest.parent / f".{dest.name}.old-{token}")
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return dest


def _swap_in(partial: Path, dest: Path, old: Path) -> None:
    if dest.exists():
        os.replace(dest, old)  # same folder, so a rename: the old package stays whole
    try:
        os.replace(partial, dest)
    except OSError:
        if old.exists():
            os.replace(old, dest)
        raise
    shutil.rmtree(old, ignore_errors=True)
