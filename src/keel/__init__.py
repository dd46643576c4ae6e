"""keel: one keel.yaml for the whole life of a production ML model.

``import keel`` is kept fast: names are loaded on first use.

Example:
    >>> import keel
    >>> keel.__version__
    '0.1.0'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "ArtifactCorruptedError",
    "ArtifactError",
    "ConfigError",
    "ExperimentNotFoundError",
    "FilterError",
    "KeelError",
    "ParamConflictError",
    "RunNotFoundError",
    "RunRecord",
    "StoreError",
    "StoreVersionError",
    "TrackingError",
    "Workspace",
    "__version__",
    "load_config",
]

_LAZY = {
    "Workspace": "keel.workspace",
    "ActiveRun": "keel.tracking",
    "RunRecord": "keel.store",
    "load_config": "keel.config",
    **{
        name: "keel.errors"
        for name in (
            "ArtifactCorruptedError",
            "ArtifactError",
            "ConfigError",
            "ExperimentNotFoundError",
            "FilterError",
            "KeelError",
            "ParamConflictError",
            "RunNotFoundError",
            "StoreError",
            "StoreVersionError",
            "TrackingError",
        )
    },
}

if TYPE_CHECKING:
    from keel.config import load_config
    from keel.errors import (
        ArtifactCorruptedError,
        ArtifactError,
        ConfigError,
        ExperimentNotFoundError,
        FilterError,
        KeelError,
        ParamConflictError,
        RunNotFoundError,
        StoreError,
        StoreVersionError,
        TrackingError,
    )
    from keel.store import RunRecord
    from keel.tracking import ActiveRun
    from keel.workspace import Workspace


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'keel' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
