"""What kind of target a pipeline is fitted for: binary, multiclass or regression.

Example:
    >>> detect_task(pd.Series([0, 1, 1, 0])), detect_task(pd.Series([0.5, 1.7, 2.25]))
    ('binary', 'regression')
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from keel.errors import FeatureError

__all__ = ["TASKS", "Task", "detect_task"]

Task = Literal["binary", "multiclass", "regression"]
TASKS = ("binary", "multiclass", "regression")

# An integer target with more distinct values than this is a quantity, not a class.
_MAX_CLASSES = 50


def detect_task(y: pd.Series | np.ndarray, task: str = "auto") -> Task:
    """The task for target ``y``; ``task`` other than "auto" is checked and returned.

    Raises:
        FeatureError: ``task`` is not a known task, or the target has fewer than two values.
    """
    if task != "auto":
        if task not in TASKS:
            raise FeatureError(
                f"The 'task' setting must be one of auto, {', '.join(TASKS)}. Got {task!r} "
                "instead.",
                field="task",
            )
        return task  # type: ignore[return-value]
    series = pd.Series(y).dropna()
    n_unique = series.nunique()
    if n_unique < 2:
        raise FeatureError(
            f"The target has {n_unique} distinct value(s); a model needs at least two.",
            field="target",
        )
    if pd.api.types.is_float_dtype(series.dtype):
        integral = bool(np.all(np.mod(series.to_numpy(), 1) == 0))
        if not integral or n_unique > _MAX_CLASSES:
            return "regression"
    elif pd.api.types.is_integer_dtype(series.dtype) and n_unique > _MAX_CLASSES:
        return "regression"
    return "binary" if n_unique == 2 else "multiclass"
