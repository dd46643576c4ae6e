"""Saving and loading a fitted FeaturePipeline: one file, verified before it is unpickled.

The file is a one-line JSON header (format version, SHA-256 of the payload, the versions
that wrote it) followed by the pickled pipeline. Loading checks the header and the digest
first, so a truncated or altered file is refused before any of it is deserialized.

Example:
    >>> import pandas as pd, tempfile, pathlib
    >>> from keel.features import FeaturePipeline
    >>> pipe = FeaturePipeline().fit(pd.DataFrame({"x": [1.0, 2.0, 4.0]}))
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "features.keelfp"
    >>> save_pipeline(pipe, path)
    >>> load_pipeline(path).transform_one({"x": 2.0}).round(3).tolist()
    [-0.267]
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import warnings
from pathlib import Path
from typing import Any

from keel.errors import FeatureError

__all__ = ["FORMAT_VERSION", "dumps_pipeline", "load_pipeline", "loads_pipeline", "save_pipeline"]

FORMAT_VERSION = 1
_MAGIC = "keel-feature-pipeline"


def dumps_pipeline(pipe: Any) -> bytes:
    """The pipeline as bytes: header line + pickle."""
    import sklearn

    from keel import __version__

    payload = pickle.dumps(pipe, protocol=pickle.HIGHEST_PROTOCOL)
    header = {
        "magic": _MAGIC,
        "format_version": FORMAT_VERSION,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "keel": __version__,
        "scikit-learn": sklearn.__version__,
    }
    return json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def save_pipeline(pipe: Any, path: str | os.PathLike[str]) -> None:
    """Write ``pipe`` to ``path`` atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(dumps_pipeline(pipe))
    os.replace(partial, path)


def load_pipeline(path: str | os.PathLike[str]) -> Any:
    """Read a pipeline written by ``save_pipeline``.

    Raises:
        FeatureError: the file is missing, not a keel feature pipeline, written by a newer
            format, or its content does not match its SHA-256.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FeatureError(f"Cannot read the feature pipeline {path}: {exc.strerror}.") from None
    return loads_pipeline(data, source=str(path))


def loads_pipeline(data: bytes, *, source: str = "the feature pipeline") -> Any:
    """Verify and unpickle bytes made by ``dumps_pipeline``."""
    head, _, payload = data.partition(b"\n")
    header = _header(head, source)
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise FeatureError(
            f"{source} was written in feature pipeline format {version}; this keel reads up "
            f"to format {FORMAT_VERSION}. Upgrade keel to load it."
        )
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise FeatureError(
            f"{source} is corrupted or was altered: its content does not match the SHA-256 in "
            "its header. Refit or restore it."
        )
    _warn_on_version_change(header, source)
    return pickle.loads(payload)  # verified against the header's digest above


def _header(head: bytes, source: str) -> dict[str, Any]:
    try:
        header = json.loads(head)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("magic") != _MAGIC:
        raise FeatureError(f"{source} is not a keel feature pipeline (no keel header found).")
    return header


def _warn_on_version_change(header: dict[str, Any], source: str) -> None:
    import sklearn

    if header.get("scikit-learn") != sklearn.__version__:
        warnings.warn(
            f"{source} was fitted with scikit-learn {header.get('scikit-learn')}; this is "
            f"{sklearn.__version__}. Its transforms may differ; refit to be sure.",
            stacklevel=3,
        )
