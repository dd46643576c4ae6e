"""Frames shared by the data-layer tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

WideFrame = Callable[..., pd.DataFrame]


def _make_wide_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """20 float (1% NaN), 15 integer and 15 string categorical columns."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    for i in range(20):
        values = rng.normal(10.0 * i, 1.0 + i % 7, rows)
        values[rng.random(rows) < 0.01] = np.nan
        columns[f"num_{i:02d}"] = values
    for i in range(15):
        columns[f"int_{i:02d}"] = rng.integers(0, 10_000 * (i + 1), rows)
    for i in range(15):
        labels = pa.array([f"c{i}_{k:02d}" for k in range(40)])
        columns[f"cat_{i:02d}"] = pd.array(labels.take(rng.integers(0, 40, rows)), dtype="str")
    return pd.DataFrame(columns)


@pytest.fixture
def make_wide_frame() -> WideFrame:
    """``make_wide_frame(rows, seed=0)``: a wide mixed-type frame for performance tests."""
    return _make_wide_frame
