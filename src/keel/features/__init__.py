"""Feature engineering: keel.yaml's ``features:`` compiled to one fitted pipeline that
training, batch scoring and serving share, with a single-record fast path.

Only the settings (FeatureSpec and its parts) load with this package; the transformers,
which import scikit-learn, load on first use so that reading keel.yaml stays fast.

Example:
    >>> import pandas as pd
    >>> from keel.features import FeaturePipeline
    >>> frame = pd.DataFrame({"spend": [10.0, 250.0, None, 40.0], "plan": ["a", "b", "a", "a"],
    ...                       "churned": [0, 1, 1, 0]})
    >>> pipe = FeaturePipeline({"numeric": {"transform": "log"}}, target="churned").fit(frame)
    >>> pipe.feature_names_out_
    ['spend', 'missingindicator_spend', 'plan_a', 'plan_b']
    >>> row = pipe.transform_one({"spend": 40.0, "plan": "b"})
    >>> bool((row == pipe.transform(frame.iloc[[3]].assign(plan="b"))[0]).all())
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from keel.features._spec import (
    CategoricalSpec,
    ColumnSpec,
    FeatureSpec,
    InteractionSpec,
    LagSpec,
    NumericSpec,
    SelectSpec,
    TextSpec,
)

__all__ = [
    "AutoInteractions",
    "CategoricalSpec",
    "ColumnSpec",
    "DatetimeFeatures",
    "FeaturePipeline",
    "FeatureReport",
    "FeatureSelector",
    "FeatureSpec",
    "FrequencyEncoder",
    "HashingEncoder",
    "HistoryLayout",
    "HistoryStore",
    "InteractionSpec",
    "Interactions",
    "LagFeatures",
    "LagSpec",
    "LeakyFeature",
    "MemoryHistory",
    "NumericSpec",
    "SelectSpec",
    "StoreHistory",
    "TextFeatures",
    "TextSpec",
    "check_output",
    "detect_task",
    "find_leaky_features",
    "load_pipeline",
    "save_pipeline",
]

_LAZY = {
    "AutoInteractions": "keel.features._interactions_auto",
    "DatetimeFeatures": "keel.features._datetime",
    "FeaturePipeline": "keel.features._pipeline",
    "FeatureReport": "keel.features._report",
    "FeatureSelector": "keel.features._selection",
    "FrequencyEncoder": "keel.features._encoders",
    "HashingEncoder": "keel.features._encoders",
    "HistoryLayout": "keel.features._history",
    "HistoryStore": "keel.features._history",
    "Interactions": "keel.features._interactions",
    "LagFeatures": "keel.features._lags",
    "LeakyFeature": "keel.features._checks",
    "MemoryHistory": "keel.features._history",
    "StoreHistory": "keel.features._history",
    "TextFeatures": "keel.features._text",
    "check_output": "keel.features._checks",
    "detect_task": "keel.features._task",
    "find_leaky_features": "keel.features._checks",
    "load_pipeline": "keel.features._persist",
    "save_pipeline": "keel.features._persist",
}

if TYPE_CHECKING:
    from keel.features._checks import LeakyFeature, check_output, find_leaky_features
    from keel.features._datetime import DatetimeFeatures
    from keel.features._encoders import FrequencyEncoder, HashingEncoder
    from keel.features._history import HistoryLayout, HistoryStore, MemoryHistory, StoreHistory
    from keel.features._interactions import Interactions
    from keel.features._interactions_auto import AutoInteractions
    from keel.features._lags import LagFeatures
    from keel.features._persist import load_pipeline, save_pipeline
    from keel.features._pipeline import FeaturePipeline
    from keel.features._report import FeatureReport
    from keel.features._selection import FeatureSelector
    from keel.features._task import detect_task
    from keel.features._text import TextFeatures


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'keel.features' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
