"""Sensitive columns, checked and turned into group labels.

Every value becomes a string so that numbers, categories and text group alike. A missing
value is not an error: those rows form their own group, ``"<missing>"``, which the report
flags but still judges when it is large enough, since people whose attribute went unrecorded
are treated by the model like anyone else.

Example:
    >>> import pandas as pd
    >>> frame = sensitive_frame({"sex": ["F", None, "M"]}, n_rows=3)
    >>> frame["sex"].tolist()
    ['F', '<missing>', 'M']
    >>> row_groups(frame, ["sex"]).tolist()
    ['sex=F', 'sex=<missing>', 'sex=M']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import EvaluationError

__all__ = ["MISSING", "row_groups", "scopes", "select_columns", "sensitive_frame"]

MISSING = "<missing>"


def sensitive_frame(sensitive: Any, n_rows: int) -> pd.DataFrame:
    """One string column per sensitive attribute, positionally aligned with the outcomes."""
    frame = _as_frame(sensitive)
    if frame.shape[1] == 0:
        raise EvaluationError(
            "No sensitive column was given; fairness needs at least one (data.sensitive).",
            field="sensitive",
        )
    if len(frame) != n_rows:
        raise EvaluationError(
            f"The sensitive columns have {len(frame)} rows but the outcomes have {n_rows}; "
            "they must describe the same rows, in the same order.",
            field="sensitive",
        )
    labels = {str(name): _labels(frame[name]) for name in frame.columns}
    return pd.DataFrame(labels)


def select_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame[columns]``, or an error naming the absent columns and those present."""
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise EvaluationError(
            "No sensitive column was named; fairness needs at least one (data.sensitive).",
            field="sensitive",
        )
    absent = [name for name in names if name not in frame.columns]
    if absent:
        which = ", ".join(repr(name) for name in absent)
        noun = "column" if len(absent) == 1 else "columns"
        raise EvaluationError(
            f"The sensitive {noun} {which} (data.sensitive) {'is' if len(absent) == 1 else 'are'}"
            f" not in the data. Columns: {', '.join(map(str, frame.columns))}.",
            field="sensitive",
        )
    return frame[names]


def scopes(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Each column on its own and, with several, their intersection ("sex & race")."""
    columns = list(frame.columns)
    found = {name: [name] for name in columns}
    if len(columns) > 1:
        found[" & ".join(columns)] = columns
    return found


def row_groups(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Each row's group label in a scope: "sex=F" or "sex=F & race=B"."""
    parts = [f"{name}=" + frame[name] for name in columns]
    return parts[0].str.cat(parts[1:], sep=" & ") if len(parts) > 1 else parts[0]


def _as_frame(sensitive: Any) -> pd.DataFrame:
    if isinstance(sensitive, pd.DataFrame):
        return sensitive.reset_index(drop=True)
    if isinstance(sensitive, pd.Series):
        return sensitive.reset_index(drop=True).to_frame(name=sensitive.name or "sensitive")
    if isinstance(sensitive, Mapping):
        return _from_mapping(sensitive)
    if isinstance(sensitive, list | tuple) and all(isinstance(v, str) for v in sensitive):
        raise EvaluationError(
            f"sensitive holds column names ({', '.join(sensitive)}), not values; pass the data "
            "too: fairness_of(outcomes, frame, columns=[...]).",
            field="sensitive",
        )
    raise EvaluationError(
        "sensitive must be a DataFrame, a Series or a dict of arrays (one per sensitive "
        f"column). Got {type(sensitive).__name__} instead.",
        field="sensitive",
    )


def _from_mapping(sensitive: Mapping[str, Any]) -> pd.DataFrame:
    columns = {str(name): np.asarray(values, dtype=object) for name, values in sensitive.items()}
    lengths = {name: values.shape[0] if values.ndim else 1 for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name}: {n}" for name, n in lengths.items())
        raise EvaluationError(
            f"The sensitive columns differ in length ({detail}); each needs one value per row.",
            field="sensitive",
        )
    return pd.DataFrame(columns)


def _labels(column: pd.Series) -> pd.Series:
    values = column.astype(object)
    return values.where(values.notna(), MISSING).astype(str)
