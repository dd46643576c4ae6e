"""The native backend's single-record path: the feature pipeline's compiled record function,
then the members, then their combination, with no DataFrame on the way (a one-row
DataFrame through ``Trained.output`` costs milliseconds)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from keel.models._trained import EXTERNAL, combine
from keel.train._catalog import get_algorithm

__all__ = ["native_output_one"]


def native_output_one(trained: Any, record: Mapping[str, Any]) -> np.ndarray:
    """Probabilities (n_classes,) or the value as shape (1,) for one validated record."""
    if trained.features is None or any(family == EXTERNAL for family, _, _ in trained.members):
        return np.asarray(trained.output(pd.DataFrame([dict(record)])), dtype=np.float64)[
            0
        ].reshape(-1)
    X = trained.features.transform_one(record)[None]
    outputs = [get_algorithm(f).predict(model, X, trained.task) for f, _, model in trained.members]
    return np.asarray(combine(outputs, trained.choice), dtype=np.float64)[0].reshape(-1)
