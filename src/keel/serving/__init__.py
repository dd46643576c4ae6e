"""Real-time serving: the Open Inference Protocol v2 and a JSON API over registered models,
with micro-batching, a response cache, backpressure, hot swap, tokens, metrics and a
prediction log. Heavy parts (Starlette, uvicorn, prometheus-client) load on first use.

Example:
    >>> from keel.serving import ServeSpec
    >>> ServeSpec.model_validate({"models": ["churn@champion"], "workers": 2}).workers
    2
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from keel.serving._spec import ServeSpec

__all__ = [
    "Auth",
    "Metrics",
    "ModelHost",
    "PredictionLog",
    "ServeSpec",
    "ServedModel",
    "create_app",
    "read_predictions",
]

# Public name -> private module, loaded on first use.
_LAZY: dict[str, str] = {
    "Auth": "keel.serving._auth",
    "Metrics": "keel.serving._metrics",
    "ModelHost": "keel.serving._host",
    "ServedModel": "keel.serving._host",
    "PredictionLog": "keel.serving._predlog",
    "read_predictions": "keel.store._prediction_log",
    "create_app": "keel.serving._app",
}

if TYPE_CHECKING:
    from keel.serving._app import create_app
    from keel.serving._auth import Auth
    from keel.serving._host import ModelHost, ServedModel
    from keel.serving._metrics import Metrics
    from keel.serving._predlog import PredictionLog
    from keel.store._prediction_log import read_predictions


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'keel.serving' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
