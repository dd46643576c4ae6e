"""Saving and loading a fitted FeaturePipeline: one file, verified before it is unpickled
(keel.store's verified pickles: a header with the format version and SHA-256, then the
pickle).

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

import os
import warnings
from pathlib import Path
from typing import Any

from keel.errors import FeatureError
from keel.store._verified import (
    VerificationError,
    dumps_verified,
    loads_verified,
    read_header,
    write_atomically,
)

__all__ = ["FORMAT_VERSION", "dumps_pipeline", "load_pipeline", "loads_pipeline", "save_pipeline"]

FORMAT_VERSION = 1
_KIND = "keel-feature-pipeline"


def dumps_pipeline(pipe: Any) -> bytes:
    """The pipeline as bytes: header line + pickle."""
    import sklearn

    from keel import __version__

    return dumps_verified(pipe, kind=_KIND, format_version=FORMAT_VERSION, keel=__version__,
                          **{"scikit-learn": sklearn.__version__})  # fmt: skip


def save_pipeline(pipe: Any, path: str | os.PathLike[str]) -> None:
    """Write ``pipe`` to ``path`` atomically (a reader never sees half a file)."""
    write_atomically(dumps_pipeline(pipe), path)


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
    try:
        header, _ = read_header(data, kind=_KIND, source=source)
        pipe = loads_verified(data, kind=_KIND, format_version=FORMAT_VERSION, source=source)
    except VerificationError as exc:
        raise FeatureError(str(exc).replace(_KIND + " file", "keel feature pipeline")) from None
    _warn_on_version_change(header, source)
    return pipe


def _warn_on_version_change(header: dict[str, Any], source: str) -> None:
    import sklearn

    if header.get("scikit-learn") != sklearn.__version__:
        warnings.warn(
            f"{source} was fitted with scikit-learn {header.get('scikit-learn')}; this is "
            f"{sklearn.__version__}. Its transforms may differ; refit to be sure.",
            stacklevel=3,
        )
