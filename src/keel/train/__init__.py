"""Training: algorithm selection, hyperparameter search, cross-validation and ensembles —
AutoML under a time budget.

Only the settings (TrainSpec) load with this package; the rest, which imports scikit-learn,
Optuna, LightGBM and XGBoost, loads on first use so that reading keel.yaml stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from keel.train._spec import CVSpec, SearchSpec, TrainSpec, parse_duration

__all__ = ["AutoML", "CVSpec", "SearchSpec", "TrainSpec", "parse_duration"]

_LAZY = {
    "AutoML": "keel.train._automl",
}

if TYPE_CHECKING:
    from keel.train._automl import AutoML


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'keel.train' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
