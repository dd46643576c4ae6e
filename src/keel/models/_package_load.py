"""From a package's verified bytes back to a `Trained`: the feature pipeline, each member
in its native format with its build context, and the ensemble.

Only `ModelPackage.trained` calls this, after every file passed its SHA-256 check.
"""

from __future__ import annotations

from typing import Any

from keel.data import Schema
from keel.errors import FeatureError, PackageError
from keel.features._persist import loads_pipeline
from keel.models._native import load_member
from keel.models._package_ensemble import ENSEMBLE, STACKER, load_ensemble
from keel.models._trained import Trained

__all__ = ["load_trained"]


def load_trained(manifest: dict[str, Any], files: dict[str, bytes], schema: Schema) -> Trained:
    """The `Trained` described by ``manifest`` from verified ``files``.

    Raises:
        PackageError: a file its reader refuses (``.file`` names it).
    """
    features = _features(manifest.get("features"), files)
    members = [
        (str(record["family"]), dict(record.get("params") or {}), _member(record, files))
        for record in manifest["members"]
    ]
    choice = load_ensemble(files[manifest.get("ensemble", ENSEMBLE)], files.get(STACKER))
    return Trained(
        task=manifest["task"],
        classes=manifest.get("classes"),
        schema=schema,
        features=features,
        members=members,
        choice=choice,
        metric=manifest.get("metric"),
    )


def _features(file: str | None, files: dict[str, bytes]) -> Any:
    if file is None:
        return None
    try:
        return loads_pipeline(files[file], source=file)  # verified by the manifest's digest
    except FeatureError as exc:
        raise PackageError(str(exc), file=file) from None


def _member(record: dict[str, Any], files: dict[str, bytes]) -> Any:
    for key in ("family", "file", "format"):
        if not isinstance(record.get(key), str):
            raise PackageError(
                f"A member record in the manifest must have a string {key!r}. Got "
                f"{record.get(key)!r} instead.",
                file=str(record.get("file")),
            )
    return load_member(record, files[record["file"]])
