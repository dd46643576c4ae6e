"""Counterfactuals: the smallest change to a record's mutable columns that changes a
classifier's decision ("had the income been 52,000, the loan would have been approved").

Candidate values come from reference data (the training rows, say): for a numeric column,
observed values at evenly spaced quantiles (so always inside the observed range); for a
categorical column, its most frequent observed categories. Single-column changes are
scored first, then pairs (only those that could beat the best single change), each in one
batched prediction; the flip with the smallest distance wins. Distance: the sum over the
changed columns of |new - old| / IQR (the standard deviation when the IQR is 0) for a
numeric column, 1 for a categorical column or a missing value.

Example:
    >>> from sklearn.linear_model import LogisticRegression
    >>> reference = pd.DataFrame({"income": np.arange(0.0, 100.0), "age": np.arange(100.0)})
    >>> model = LogisticRegression().fit(reference, reference["income"] > 50)
    >>> found = counterfactual(model, {"income": 20.0, "age": 40.0}, reference,
    ...                        immutable=["age"])
    >>> found.found, list(found.changes), found.new_prediction
    (True, ['income'], True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import EvaluationError
from keel.evaluate._explain_counterfactual import (
    Flip,
    candidate_values,
    is_numeric,
    nearest_flip,
)
from keel.evaluate._explain_model import (
    check_columns,
    classes_of,
    input_columns,
    model_output,
    plain,
    record_frame,
    require_columns,
    require_fitted,
    require_frame,
    require_positive,
    task_of,
)

__all__ = ["CounterfactualResult", "counterfactual"]


@dataclass(frozen=True)
class CounterfactualResult:
    """The outcome of a counterfactual search.

    Attributes:
        found: whether some change of at most ``max_changes`` columns flips the decision.
        changes: column -> (old value, new value), for the columns changed.
        original_prediction: the label predicted for the record as given.
        new_prediction: the label predicted after the changes (None when none was found).
        distance: the changes' distance (see the module); None when none was found.
        searched: how many candidate records were scored.
        record: the changed record, every input column (None when none was found).
        message: a sentence saying what was found.
    """

    found: bool
    changes: dict[str, tuple[Any, Any]]
    original_prediction: Any
    new_prediction: Any
    distance: float | None
    searched: int
    record: dict[str, Any] | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "changes": {c: [old, new] for c, (old, new) in self.changes.items()},
            "original_prediction": self.original_prediction,
            "new_prediction": self.new_prediction,
            "distance": self.distance,
            "searched": self.searched,
            "record": self.record,
            "message": self.message,
        }


def counterfactual(
    model: Any,
    record: Mapping[str, Any] | pd.DataFrame,
    reference: pd.DataFrame,
    *,
    immutable: Sequence[str] = (),
    mutable: Sequence[str] | None = None,
    target: Any = None,
    max_changes: int = 2,
    candidates_per_feature: int = 20,
) -> CounterfactualResult:
    """The smallest change of at most ``max_changes`` (1 or 2) mutable columns of
    ``record`` that makes a classifier predict ``target`` (by default: any other class).

    Args:
        model: keel's AutoML or a fitted scikit-learn classifier (or Pipeline).
        record: a dict of column -> value (absent columns are missing) or a one-row frame.
        reference: rows whose observed values bound and supply the candidate values.
        immutable: columns never changed (age, a protected attribute).
        mutable: the only columns that may change (every input column when None).
        target: the label wanted; any label other than the current prediction when None.
        candidates_per_feature: candidate values tried per column.

    Raises:
        EvaluationError: a regression model, unknown column names, an unknown target
            label, max_changes outside 1..2.
    """
    columns, classes = _checked(model, reference, max_changes, candidates_per_feature, target)
    changeable = _changeable(columns, immutable, mutable)
    row = _typed(record_frame(record, columns), reference)

    def predict(frame: pd.DataFrame) -> np.ndarray:
        return np.argmax(model_output(model, frame), axis=1)

    before = classes[int(predict(row)[0])]
    if target is not None and target == before:
        return _result(row, {}, before, before, 0.0, 0, "The model already predicts the target.")
    wanted = np.flatnonzero(classes != before if target is None else classes == target)
    options = [
        candidate_values(reference[c], row[c].iloc[0], c, candidates_per_feature)
        for c in changeable
    ]
    usable = [o for o in options if o.values.size]
    best, searched = nearest_flip(predict, row, usable, wanted, max_changes)
    if best is None:
        names = ", ".join(o.column for o in usable) or "(none)"
        message = (
            f"No change of at most {max_changes} of the mutable columns ({names}) among "
            f"{searched} candidates changes the prediction {plain(before)!r}."
        )
        return _result(row, {}, before, None, None, searched, message)
    return _found(row, best, classes, before, searched)


def _checked(
    model: Any, reference: Any, max_changes: int, candidates: int, target: Any
) -> tuple[list[str], np.ndarray]:
    """The model's input columns and classes, once every argument is checked."""
    require_fitted(model)
    require_frame(reference, "reference")
    if task_of(model) == "regression":
        raise EvaluationError(
            "Counterfactuals here search for a change of predicted class; this model is a "
            "regressor.",
            field="model",
        )
    if max_changes not in (1, 2):
        raise EvaluationError(
            f"max_changes must be 1 or 2. Got {max_changes!r} instead.", field="max_changes"
        )
    require_positive(candidates_per_feature=candidates)
    columns = input_columns(model, reference)
    require_columns(reference, columns)
    classes = classes_of(model)
    if target is not None and target not in classes.tolist():
        raise EvaluationError(
            f"target {target!r} is not a class of the model. Classes: {classes.tolist()[:10]}.",
            field="target",
        )
    return columns, classes


def _changeable(
    columns: list[str], immutable: Sequence[str], mutable: Sequence[str] | None
) -> list[str]:
    check_columns(list(immutable), columns, "immutable")
    if mutable is not None:
        check_columns(list(mutable), columns, "mutable")
    allowed = columns if mutable is None else [c for c in columns if c in set(mutable)]
    return [c for c in allowed if c not in set(immutable)]


def _typed(row: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """The record with numeric columns as floats (a dict's None makes an object column)."""
    out = row.copy()
    for column in out.columns:
        if is_numeric(reference[column]):
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(np.float64)
    return out


def _found(
    row: pd.DataFrame, best: Flip, classes: np.ndarray, before: Any, searched: int
) -> CounterfactualResult:
    distance, changed, values, code = best
    old = row.iloc[0]
    changes = {c: (plain(old[c]), plain(v)) for c, v in zip(changed, values, strict=True)}
    message = (
        f"Changing {', '.join(changes)} changes the prediction from {plain(before)!r} to "
        f"{plain(classes[code])!r}."
    )
    return _result(row, changes, before, classes[code], distance, searched, message)


def _result(
    row: pd.DataFrame,
    changes: dict[str, tuple[Any, Any]],
    before: Any,
    after: Any,
    distance: float | None,
    searched: int,
    message: str,
) -> CounterfactualResult:
    found = after is not None
    record = None
    if found:
        record = {c: plain(v) for c, v in row.iloc[0].items()}
        record.update({c: new for c, (_, new) in changes.items()})
    return CounterfactualResult(
        found, changes, plain(before), plain(after), distance, searched, record, message
    )
