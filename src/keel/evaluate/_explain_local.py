"""Why the model predicted what it did for one record: SHAP contributions per input column.

Example:
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"x": rng.normal(size=200), "noise": rng.normal(size=200)})
    >>> forest = RandomForestRegressor(n_estimators=20, random_state=0)
    >>> forest = forest.fit(frame, 3 * frame["x"])
    >>> local = explain_one(forest, {"x": 2.0, "noise": 0.0})
    >>> local.contributions[0][:2], local.output_space
    (('x', 2.0), 'value')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import EvaluationError
from keel.evaluate._explain import explain_rows
from keel.evaluate._explain_model import (
    input_columns,
    plain,
    record_frame,
    require_columns,
    require_fitted,
    require_frame,
)
from keel.evaluate._explain_subject import subject_of

__all__ = ["LocalExplanation", "explain_one"]


@dataclass(frozen=True)
class LocalExplanation:
    """One record's SHAP contributions, largest magnitude first.

    Attributes:
        contributions: (column, the record's value, SHAP value) per input column.
        base_value: the model's expected output (``output_space``) before any column.
        prediction: ``base_value`` plus every contribution: the model's output.
        output_space: "log_odds", "raw", "probability" or "value".
        label: the class explained (binary: the positive class; multiclass: the predicted
            class), None for regression.
        explainer: "tree" or "permutation".
    """

    contributions: list[tuple[str, Any, float]]
    base_value: float
    prediction: float
    output_space: str
    label: Any
    explainer: str

    def to_text(self, top: int = 10) -> str:
        """A few lines for the terminal: the prediction and its ``top`` largest reasons."""
        what = self.output_space + ("" if self.label is None else f" of class {self.label!r}")
        lines = [f"{what}: {self.prediction:.4g} = base {self.base_value:.4g} + contributions"]
        for column, value, contribution in self.contributions[:top]:
            lines.append(f"  {column} = {_shown(value)}: {contribution:+.4g}")
        if len(self.contributions) > top:
            rest = sum(c for _, _, c in self.contributions[top:])
            lines.append(f"  {len(self.contributions) - top} other columns: {rest:+.4g}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "contributions": [
                {"feature": c, "value": _json(v), "shap": s} for c, v, s in self.contributions
            ],
            "base_value": self.base_value,
            "prediction": self.prediction,
            "output_space": self.output_space,
            "label": self.label,
            "explainer": self.explainer,
        }


def explain_one(
    model: Any,
    record: Mapping[str, Any] | pd.DataFrame,
    *,
    background: pd.DataFrame | None = None,
    background_rows: int = 100,
    seed: int = 0,
) -> LocalExplanation:
    """SHAP contributions of each input column to ``model``'s output for ``record``.

    Args:
        model: keel's AutoML or a fitted scikit-learn estimator or Pipeline.
        record: a dict of column -> value (absent columns are missing) or a one-row frame.
        background: typical rows (a sample of the training data); required unless the
            model is a single tree model, which TreeSHAP explains without.
        background_rows: at most this many background rows are used (seeded sample).

    Raises:
        EvaluationError: no background for a model that needs one, a bad record.
    """
    require_fitted(model)
    if background is not None:
        require_frame(background, "background")
    # The record's own column names when the model stores sanitized ones (LightGBM).
    sample = record if isinstance(record, pd.DataFrame) else pd.DataFrame([dict(record)])
    columns = input_columns(model, background if background is not None else sample)
    if background is not None:
        require_columns(background, columns)
    row = record_frame(record, columns)
    seen = row if background is None else pd.concat([background[columns], row])
    subject = subject_of(model, seen)
    if subject.tree is None and background is None:
        raise EvaluationError(
            f"Explaining a {type(model).__name__} that is not a single tree model needs "
            "background rows: pass background=<a sample of the training data>.",
            field="background",
        )
    rng = np.random.default_rng(seed)
    rows = background if background is not None else row
    if len(rows) > background_rows:
        rows = rows.iloc[np.sort(rng.choice(len(rows), size=background_rows, replace=False))]
    explained = explain_rows(subject, row, rows, seed)
    return _local(explained.values[0], explained.base_values[0], row, explained)


def _local(
    values: np.ndarray, base: np.ndarray, row: pd.DataFrame, explained: Any
) -> LocalExplanation:
    label = explained.classes[-1] if explained.classes else None
    if values.ndim == 2:  # multiclass: the class with the largest output
        pick = int(np.argmax(base + values.sum(axis=0)))
        values, base, label = values[:, pick], base[pick], explained.classes[pick]
    record = row.iloc[0]
    contributions = [
        (name, plain(record[name]), float(v))
        for name, v in zip(explained.feature_names, values, strict=True)
    ]
    contributions.sort(key=lambda c: -abs(c[2]))
    prediction = float(base + values.sum())
    return LocalExplanation(
        contributions,
        float(base),
        prediction,
        explained.output_space,
        plain(label),
        explained.explainer,
    )


def _shown(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def _json(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)
