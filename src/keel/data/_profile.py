"""Data quality profile: per-column summaries and the findings a person should read before
training on a data set (missing values, duplicates, constant and id-like columns, outliers,
class imbalance, rows shared with the test set, and target leakage).

Every check is vectorized over whole columns; the leakage check runs on a seeded sample of
at most ``leakage_max_rows`` labelled rows and says so when it sampled.

Example:
    >>> import numpy as np
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"spend": rng.uniform(0, 100, 1000)})
    >>> frame["churned"] = rng.integers(0, 2, 1000)
    >>> frame["refund"] = frame["churned"] * 10.0  # only known once a customer has left
    >>> profile = profile_frame(frame, target="churned")
    >>> profile.shape, profile.target_task
    ((1000, 3), 'binary')
    >>> [(f.check, f.column, f.severity) for f in profile.findings]
    [('target_leakage', 'refund', 'error')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from keel.data._checks import _column_findings, _duplicates, _imbalance, _overlap, _task
from keel.data._findings import ColumnSummary, Finding, Severity, Task, _Limits
from keel.data._leakage import _leakage
from keel.data._leakage import _rank_auc as _rank_auc  # tests pin it here
from keel.data._profile_columns import _columns
from keel.errors import SchemaError

__all__ = [
    "PROFILE_FORMAT_VERSION",
    "ColumnSummary",
    "Finding",
    "Profile",
    "Severity",
    "profile_frame",
]

PROFILE_FORMAT_VERSION = 1

_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Profile:
    """The findings and column summaries of one data frame, most severe findings first."""

    shape: tuple[int, int]
    columns: tuple[ColumnSummary, ...]
    findings: tuple[Finding, ...]
    target: str | None = None
    target_task: Task | None = None
    settings: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def infos(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "info")

    def column(self, name: str) -> ColumnSummary:
        for summary in self.columns:
            if summary.name == name:
                return summary
        raise SchemaError(f"The profile has no column {name!r}.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (non-finite floats become None), with its format version."""
        return {
            "format_version": PROFILE_FORMAT_VERSION,
            "shape": list(self.shape),
            "target": self.target,
            "target_task": self.target_task,
            "settings": dict(self.settings),
            "columns": [c.to_dict() for c in self.columns],
            "findings": [f.to_dict() for f in self.findings],
        }


def profile_frame(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    test: pd.DataFrame | None = None,
    ignore: Sequence[str] = (),
    missing_warn: float = 0.2,
    near_constant: float = 0.99,
    cardinality_share: float = 0.5,
    cardinality_max: int = 1000,
    iqr_k: float = 1.5,
    robust_z: float = 3.5,
    imbalance_share: float = 0.1,
    max_classes: int = 20,
    leakage_auc: float = 0.99,
    leakage_spearman: float = 0.99,
    leakage_max_rows: int = 200_000,
    leakage_folds: int = 5,
    seed: int = 0,
) -> Profile:
    """Summarize every column of ``frame`` and run the data quality checks on it.

    Args:
        frame: the training data, one row per example.
        target: the column a model will predict; enables the class imbalance and target
            leakage checks.
        test: held-out data; enables the train/test overlap check: test rows equal to a
            train row in every shared feature column (target and ignored columns left out).
        ignore: columns that are summarized but left out of every check, and out of the
            row comparisons of the duplicate and overlap checks (ids, free text).
        missing_warn: a column with a larger share of missing values is a warning, any
            smaller non-zero share an info. Missing target values are always a warning.
        near_constant: a column whose most frequent value (missing counts as a value) is
            at least this share of the rows is near-constant (info); a column with a single
            value is constant (warning; an error for the target).
        cardinality_share: a text or categorical feature with more distinct values than
            this share of its non-null rows, or more than ``cardinality_max``, looks like an
            identifier or free text (warning).
        cardinality_max: see ``cardinality_share``.
        iqr_k: finite values outside ``[Q1 - k*IQR, Q3 + k*IQR]`` are IQR outliers (info;
            skipped when IQR is 0).
        robust_z: finite values with ``|x - median| / (1.4826 * MAD)`` above this are robust
            z-score outliers (info; skipped when MAD is 0, i.e. half the values are equal).
        imbalance_share: a binary target whose minority class is below this share of the
            labelled rows is imbalanced (warning). With k classes the bound is
            ``imbalance_share * 2 / k``: the same fraction of the balanced share 1/k.
        max_classes: a numeric target with two distinct values is binary; with integer
            values and at most this many distinct values, multiclass; otherwise regression.
            The leakage check keeps a text target's ``max_classes - 1`` most frequent
            classes and merges the rest into one.
        leakage_auc: a feature that alone reaches this ROC AUC on a classification target
            (one-vs-rest macro average for multiclass) is target leakage (error).
        leakage_spearman: a feature that alone reaches this ``|Spearman rho|`` with a
            regression target is target leakage (error).
        leakage_max_rows: the leakage check runs on a seeded random sample of at most this
            many labelled rows.
        leakage_folds: folds of the out-of-fold target means that score text, categorical
            and binned numeric features for leakage.
        seed: seeds the leakage sample and folds, so the same data gives the same profile.

    Returns:
        The Profile: one summary per column, findings ordered error, warning, info.

    Raises:
        SchemaError: column names repeat, or ``target``/``ignore`` name a missing column.
        ConfigError: a threshold is outside its range.
    """
    limits = _Limits(
        missing_warn, near_constant, cardinality_share, cardinality_max, iqr_k, robust_z,
        imbalance_share, max_classes, leakage_auc, leakage_spearman, leakage_max_rows,
        leakage_folds, seed,
    )  # fmt: skip
    columns = _columns(frame, target, ignore)
    checked = [c for c in columns if c.role != "ignored"]
    findings: list[Finding] = []
    for column in checked:
        findings += _column_findings(column, limits, len(frame))
    findings += _duplicates(frame, checked)
    if test is not None:
        findings += _overlap(frame, test, [c for c in checked if c.role == "feature"])
    y = next((c for c in columns if c.role == "target"), None)
    task = _task(y, limits) if y is not None else None
    if y is not None and task is not None:
        findings += _imbalance(y, task, limits)
        findings += _leakage(checked, y, task, limits)
    findings.sort(key=lambda f: _RANK[f.severity])
    return Profile(
        shape=(int(frame.shape[0]), int(frame.shape[1])),
        columns=tuple(c.summary() for c in columns),
        findings=tuple(findings),
        target=target,
        target_task=task,
        settings=asdict(limits),
    )
