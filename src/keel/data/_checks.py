"""The profile's checks other than target leakage: per column (missing, constant,
cardinality, infinite values, outliers), over rows (duplicates, train/test overlap) and on the
target (its task, class imbalance)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from keel.data._findings import (
    _EXAMPLES,
    _TOP,
    Finding,
    Severity,
    Task,
    _Limits,
    _plain,
    _positions,
)
from keel.data._profile_columns import _Column

# -- per-column checks --------------------------------------------------------------------


def _column_findings(c: _Column, limits: _Limits, n: int) -> list[Finding]:
    findings = [*_missing(c, limits, n), *_constant(c, limits, n)]
    if c.kind == "categorical" and c.role == "feature":
        findings += _cardinality(c, limits, n)
    if c.kind == "numeric":
        x = c.numbers()
        findings += _infinite(c, x)
        findings += _outliers(c, x[np.isfinite(x)], limits)
    return findings


def _missing(c: _Column, limits: _Limits, n: int) -> Iterable[Finding]:
    if not c.nulls:
        return
    share = c.nulls / n
    rows = _positions(c.series.isna().to_numpy())
    if c.role == "target":
        text = f"{c.nulls:,} rows ({share:.1%}) have no target value; they cannot be trained on."
        yield Finding("missing", c.name, "warning", text, share, rows)
    elif share > limits.missing_warn:
        text = "Every value is missing." if c.nulls == n else f"{share:.1%} of values are missing"
        if c.nulls < n:
            text += f" (more than {limits.missing_warn:.0%})."
        yield Finding("missing", c.name, "warning", text, share, rows)
    else:
        yield Finding("missing", c.name, "info", f"{share:.1%} of values are missing.", share, rows)


def _constant(c: _Column, limits: _Limits, n: int) -> Iterable[Finding]:
    if n == 0 or c.nulls == n:
        return  # empty, or entirely missing: the missing check says so
    top_count = int(c.counts.iloc[0])
    top = "missing" if c.nulls > top_count else repr(_plain(c.counts.index[0]))
    share = max(top_count, c.nulls) / n
    if c.n_unique + (c.nulls > 0) == 1:
        what = "The target" if c.role == "target" else "The column"
        severity: Severity = "error" if c.role == "target" else "warning"
        text = f"{what} holds a single value, {top}: there is nothing to learn from it."
        yield Finding("constant", c.name, severity, text, 1.0, (top,))
    elif share >= limits.near_constant and c.role != "target":
        text = f"The most frequent value, {top}, is {share:.2%} of the rows."
        yield Finding("near_constant", c.name, "info", text, share, (top,))


def _cardinality(c: _Column, limits: _Limits, n: int) -> Iterable[Finding]:
    filled = n - c.nulls
    if c.n_unique > limits.cardinality_share * filled or c.n_unique > limits.cardinality_max:
        text = (
            f"{c.n_unique:,} distinct values in {filled:,} non-null rows: it looks like an "
            "identifier or free text. Ignore it (role id or ignore) or encode it for that "
            "(hashing, target encoding, text features)."
        )
        examples = tuple(str(v) for v in c.counts.index[:_EXAMPLES])
        yield Finding("high_cardinality", c.name, "warning", text, float(c.n_unique), examples)


def _infinite(c: _Column, x: np.ndarray) -> Iterable[Finding]:
    infinite = np.isinf(x)
    count = int(infinite.sum())
    if count:
        text = f"{count:,} values are infinite; most estimators reject them."
        yield Finding("infinite", c.name, "warning", text, float(count), _positions(infinite))


def _outliers(c: _Column, v: np.ndarray, limits: _Limits) -> Iterable[Finding]:
    if v.size < 3:
        return
    q1, median, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    deviation = np.abs(v - median)
    iqr, k = q3 - q1, limits.iqr_k
    if iqr > 0:
        low, high = q1 - k * iqr, q3 + k * iqr
        out = (v < low) | (v > high)
        where = f"outside the {k:g}*IQR fences [{low:.4g}, {high:.4g}]"
        yield from _outlier_finding("outliers_iqr", c, out, deviation, v, where)
    mad = float(np.median(deviation))
    if mad > 0:
        out = deviation / (1.4826 * mad) > limits.robust_z
        where = f"with a robust z-score |x - median| / (1.4826*MAD) above {limits.robust_z:g}"
        yield from _outlier_finding("outliers_robust_z", c, out, deviation, v, where)


def _outlier_finding(
    check: str, c: _Column, out: np.ndarray, deviation: np.ndarray, v: np.ndarray, where: str
) -> Iterable[Finding]:
    count = int(out.sum())
    if count:
        extreme = v[out][np.argsort(-deviation[out], kind="stable")[:_EXAMPLES]]
        text = f"{count:,} values ({count / v.size:.2%} of finite values) {where}."
        yield Finding(check, c.name, "info", text, float(count), tuple(_plain(e) for e in extreme))


# -- rows -----------------------------------------------------------------------------------


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    try:
        hashes = pd.util.hash_pandas_object(frame, index=False)
    except TypeError:  # unhashable cells (lists, dicts): compare their text
        hashes = pd.util.hash_pandas_object(frame.astype(str), index=False)
    return hashes.to_numpy()


def _duplicates(frame: pd.DataFrame, checked: list[_Column]) -> list[Finding]:
    if not checked or len(frame) < 2:
        return []
    hashes = _row_hashes(frame[[c.label for c in checked]])
    repeated = pd.Series(hashes).duplicated().to_numpy()
    count = int(repeated.sum())
    if not count:
        return []
    rows = _positions(repeated)
    pairs = ", ".join(f"row {r} repeats row {np.argmax(hashes == hashes[r])}" for r in rows[:3])
    text = f"{count:,} rows ({count / len(frame):.1%}) repeat an earlier row, e.g. {pairs}."
    return [Finding("duplicates", None, "warning", text, float(count), rows)]


def _overlap(frame: pd.DataFrame, test: pd.DataFrame, features: list[_Column]) -> list[Finding]:
    labels = [c.label for c in features if c.label in test.columns]
    if not labels or not len(frame) or not len(test):
        return []
    # One concat first, so a column's train and test values share one dtype and hash alike.
    both = pd.concat([frame[labels], test[labels]], ignore_index=True)
    hashes = _row_hashes(both)
    shared = np.isin(hashes[len(frame) :], hashes[: len(frame)])
    count = int(shared.sum())
    if not count:
        return []
    text = (
        f"{count:,} of {len(test):,} test rows ({count / len(test):.1%}) equal a training row "
        f"in all {len(labels)} shared feature columns: test scores on them measure memory, "
        "not generalization. Drop them from the test set, or split by group or time."
    )
    return [Finding("train_test_overlap", None, "warning", text, float(count), _positions(shared))]


# -- the target -------------------------------------------------------------------------


def _task(y: _Column, limits: _Limits) -> Task | None:
    k = y.n_unique
    if k < 2 or y.kind in ("datetime", "other"):
        return None
    if k == 2:
        return "binary"
    if y.kind != "numeric":
        return "multiclass"
    x = y.numbers()
    x = x[np.isfinite(x)]
    integral = bool(np.all(x == np.round(x)))
    return "multiclass" if integral and k <= limits.max_classes else "regression"


def _imbalance(y: _Column, task: Task, limits: _Limits) -> Iterable[Finding]:
    if task == "regression":
        return
    shares = y.counts / y.counts.sum()
    bound = limits.imbalance_share * 2 / len(shares)
    minority, share = _plain(shares.index[-1]), float(shares.iloc[-1])
    if share < bound:
        text = (
            f"The minority class {minority!r} is {share:.2%} of the labelled rows (below "
            f"{bound:.2%}): split with stratification, weight the classes, and judge models "
            "by PR AUC or recall rather than accuracy."
        )
        classes = tuple((str(k), round(float(v), 4)) for k, v in shares.iloc[: 2 * _TOP].items())
        yield Finding("class_imbalance", y.name, "warning", text, share, classes)
