"""Saving and loading a trained model (features + estimators, an AutoML): one file,
verified before it is unpickled (keel.store's verified pickles). The model package
(issue on packaging) will replace this with native formats and ONNX."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from keel.errors import TrainError
from keel.store._verified import VerificationError, dumps_verified, loads_verified, write_atomically

__all__ = ["MODEL_FORMAT_VERSION", "load_model", "save_model"]

MODEL_FORMAT_VERSION = 1
_KIND = "keel-trained-model"


def save_model(model: Any, path: str | os.PathLike[str]) -> None:
    """Write a fitted AutoML to ``path`` atomically."""
    import sklearn

    from keel import __version__

    data = dumps_verified(
        model,
        kind=_KIND,
        format_version=MODEL_FORMAT_VERSION,
        keel=__version__,
        **{"scikit-learn": sklearn.__version__},
    )
    write_atomically(data, path)


def load_model(path: str | os.PathLike[str]) -> Any:
    """Read a model written by ``save_model``, verifying it first.

    Raises:
        TrainError: missing, not a keel model, a newer format, or altered content.
    """
    try:
        data = Path(path).read_bytes()
        return loads_verified(
            data, kind=_KIND, format_version=MODEL_FORMAT_VERSION, source=str(path)
        )
    except OSError as exc:
        raise TrainError(f"Cannot read the model {path}: {exc.strerror}.") from None
    except VerificationError as exc:
        raise TrainError(str(exc)) from None
