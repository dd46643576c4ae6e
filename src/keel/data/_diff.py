"""Data diff: what changed between two versions of a data set, in rows, columns and
distributions.

`diff_frames` compares frame A (the old one) with frame B (the new one):

- **Rows**, on the columns both frames have (a column whose dtype changed is compared
  after converting both sides: numbers to ``Float64`` (integers to ``Int64``), anything
  else to strings, so ``1`` and ``1.0`` are the same value). Without a key, rows are a
  multiset compared by content: a row present twice in A and once in B counts one
  removed; rows are matched by a 64-bit hash of their values, so two different rows
  match by accident with probability about 2**-64 per pair. With a key, rows are matched
  by entity key: keys added, keys removed, and rows whose key is in both frames but
  whose other values differ. A key value that appears twice in either frame is an error
  (`DataError` naming it): which of the duplicates to compare would be a guess.
- **Columns**: added, removed, dtype changed (dtype names of A and B). Whether a change
  is compatible is for ``compare_schemas`` to say.
- **Distributions**, column by column for the columns in both (key columns excepted),
  missing values left out (their shares are reported): numeric columns get the
  two-sample Kolmogorov-Smirnov test and the population stability index on 10 bins cut
  at A's deciles; categorical, string and boolean columns get the Jensen-Shannon
  distance (base 2, 0 to 1) of category shares and Pearson's chi-square test on the 2 x K
  contingency table. A column counts as *shifted* when the effect is large (PSI >=
  ``psi_threshold``, JS >= ``js_threshold``) *and* significant (p < ``alpha``): with a
  million rows a trivial shift is significant, with twenty rows a large-looking one is
  noise. Datetime columns are not tested (newer data is later by design).

Example:
    >>> import pandas as pd
    >>> a = pd.DataFrame({"id": [1, 2, 3], "x": [1.0, 2.0, 3.0]})
    >>> b = pd.DataFrame({"id": [2, 3, 4], "x": [2.0, 30.0, 4.0]})
    >>> d = diff_frames(a, b, key=["id"])
    >>> (d.rows.added, d.rows.removed, d.rows.changed)
    (1, 1, 1)
    >>> d.rows.changed_examples[0].values
    {'x': (3.0, 30.0)}
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import DataError

__all__ = [
    "ColumnChanges",
    "ColumnShift",
    "DataDiff",
    "DtypeChange",
    "RowChange",
    "RowDiff",
    "diff_frames",
    "population_stability_index",
]


@dataclass(frozen=True)
class DtypeChange:
    """A column whose dtype differs: its dtype name in A and in B."""

    column: str
    a: str
    b: str


@dataclass(frozen=True)
class ColumnChanges:
    """Columns added in B, removed from A, and present in both with another dtype."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    retyped: tuple[DtypeChange, ...] = ()


@dataclass(frozen=True)
class RowChange:
    """A row whose key is in both frames: its key, and (A value, B value) per changed column."""

    key: Mapping[str, Any]
    values: Mapping[str, tuple[Any, Any]]


@dataclass(frozen=True)
class RowDiff:
    """Rows added, removed and (by key) changed, with a few examples of each.

    ``key`` is None when rows were compared by content; then ``changed`` is 0, and a row
    whose values changed counts as one removed and one added. Examples hold plain JSON
    values (missing values as None, timestamps as ISO strings).
    """

    key: tuple[str, ...] | None
    compared_columns: tuple[str, ...]
    rows_a: int
    rows_b: int
    added: int
    removed: int
    changed: int
    unchanged: int
    #: By key: in how many of the changed rows each column changed.
    changed_by_column: Mapping[str, int] = field(default_factory=dict)
    added_examples: tuple[Mapping[str, Any], ...] = ()
    removed_examples: tuple[Mapping[str, Any], ...] = ()
    changed_examples: tuple[RowChange, ...] = ()


@dataclass(frozen=True)
class ColumnShift:
    """How one column's distribution moved from A to B.

    Numeric columns fill ``ks_*`` and ``psi``; categorical ones ``js_distance`` and
    ``chi2*``; the other fields stay None. ``n_a``/``n_b`` count the non-missing values
    compared.
    """

    column: str
    kind: str
    shifted: bool
    n_a: int
    n_b: int
    null_share_a: float
    null_share_b: float
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    psi: float | None = None
    js_distance: float | None = None
    chi2: float | None = None
    chi2_pvalue: float | None = None
    chi2_dof: int | None = None


@dataclass(frozen=True)
class DataDiff:
    """What changed from frame A to frame B: rows, columns and distributions."""

    rows: RowDiff
    columns: ColumnChanges
    shifts: tuple[ColumnShift, ...]
    #: Columns in both frames that were not tested for a shift, with the reason.
    untested: Mapping[str, str]
    #: The thresholds the ``shifted`` flags used: psi, js, alpha.
    thresholds: Mapping[str, float]

    @property
    def shifted(self) -> tuple[str, ...]:
        """The columns whose distribution shifted."""
        return tuple(s.column for s in self.shifts if s.shifted)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (tuples as lists; NaN and infinities as None)."""
        return _json_safe(dataclasses.asdict(self))  # type: ignore[no-any-return]

    def summary(self) -> list[str]:
        """The diff in a few human lines."""
        return [*_row_lines(self.rows), *_column_lines(self.columns), *_shift_lines(self)]


def diff_frames(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    key: Sequence[str] | None = None,
    max_examples: int = 5,
    psi_threshold: float = 0.2,
    js_threshold: float = 0.1,
    alpha: float = 0.05,
    psi_bins: int = 10,
    psi_epsilon: float = 1e-4,
) -> DataDiff:
    """Compare frame A (old) with frame B (new): rows, columns and distributions.

    Args:
        a: the old frame, of shape (n_rows_a, n_columns_a).
        b: the new frame, of shape (n_rows_b, n_columns_b).
        key: the columns that identify an entity (a single name is taken as one column);
            None compares rows by content.
        max_examples: at most this many example rows of each kind.
        psi_threshold: PSI at or above which a numeric column may count as shifted
            (0.1 to 0.2 is the usual "moderate", above 0.2 "large").
        js_threshold: Jensen-Shannon distance (base 2) at or above which a categorical
            column may count as shifted.
        alpha: the p-value (KS, chi-square) must also be below this.
        psi_bins: how many quantile bins of A the PSI uses (fewer where A has ties).
        psi_epsilon: the share given to a bin that one frame leaves empty, so the PSI
            stays finite (1e-4: an empty bin against a 10% bin adds about 0.9).

    Raises:
        DataError: a key column is missing from a frame, or a key value appears twice.
        ValueError: `max_examples` or a threshold is out of range.
    """
    keys = _check_arguments(a, b, key, max_examples, psi_bins)
    in_b = set(b.columns)
    shared = [c for c in a.columns if c in in_b]
    na, nb = _comparable(a[shared], b[shared])
    rows = (
        _rows_by_content(na, nb, a, b, max_examples)
        if keys is None
        else _rows_by_key(na, nb, a, b, keys, max_examples)
    )
    tests = _Tests(psi_threshold, js_threshold, alpha, psi_bins, psi_epsilon)
    shifts, untested = tests.run(a, b, [c for c in shared if c not in (keys or ())])
    return DataDiff(
        rows=rows,
        columns=_column_changes(a, b),
        shifts=tuple(shifts),
        untested=untested,
        thresholds={"psi": psi_threshold, "js": js_threshold, "alpha": alpha},
    )


def _check_arguments(
    a: pd.DataFrame, b: pd.DataFrame, key: Sequence[str] | None, max_examples: int, bins: int
) -> tuple[str, ...] | None:
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 0:
        raise ValueError(f"max_examples must be an integer >= 0. Got {max_examples!r} instead.")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"psi_bins must be an integer >= 2. Got {bins!r} instead.")
    for name, frame in (("A", a), ("B", b)):
        if not frame.columns.is_unique:
            twice = sorted(map(str, frame.columns[frame.columns.duplicated()].unique()))
            raise DataError(f"Frame {name} has duplicate column names {twice}; rename them.")
    if key is None:
        return None
    keys = (key,) if isinstance(key, str) else tuple(key)
    for name, frame in (("A", a), ("B", b)):
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            raise DataError(
                f"Key column(s) {missing} are not in frame {name}; its columns: "
                f"{', '.join(map(str, frame.columns))}."
            )
    if not keys:
        raise ValueError("key must name at least one column, or be None. Got [] instead.")
    return keys


# -- columns --------------------------------------------------------------------------


def _column_changes(a: pd.DataFrame, b: pd.DataFrame) -> ColumnChanges:
    in_a, in_b = set(a.columns), set(b.columns)
    retyped = [
        DtypeChange(str(c), str(a[c].dtype), str(b[c].dtype))
        for c in a.columns
        if c in in_b and str(a[c].dtype) != str(b[c].dtype)
    ]
    return ColumnChanges(
        added=tuple(str(c) for c in b.columns if c not in in_a),
        removed=tuple(str(c) for c in a.columns if c not in in_b),
        retyped=tuple(retyped),
    )


def _comparable(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A and B with each column whose dtype differs converted to one dtype on both sides."""
    a, b = a.copy(deep=False), b.copy(deep=False)
    for column in a.columns:
        if str(a[column].dtype) != str(b[column].dtype):
            target = _common_dtype(a[column], b[column])
            a[column], b[column] = a[column].astype(target), b[column].astype(target)
    return a, b


def _common_dtype(a: pd.Series, b: pd.Series) -> str:
    integer = pd.api.types.is_integer_dtype
    if integer(a.dtype) and integer(b.dtype):
        return "Int64"
    if _is_numeric(a) and _is_numeric(b):
        return "Float64"
    return "str"


def _is_numeric(column: pd.Series) -> bool:
    dtype = column.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


# -- rows -----------------------------------------------------------------------------


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    if frame.shape[1] == 0:  # no shared column: every row is the same (empty) content
        return np.zeros(len(frame), dtype=np.uint64)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _rows_by_content(
    na: pd.DataFrame, nb: pd.DataFrame, a: pd.DataFrame, b: pd.DataFrame, limit: int
) -> RowDiff:
    ha, hb = _row_hashes(na), _row_hashes(nb)
    surplus = (
        pd.Series(hb).value_counts().sub(pd.Series(ha).value_counts(), fill_value=0).astype("int64")
    )
    added, removed = surplus[surplus > 0], surplus[surplus < 0]
    return RowDiff(
        key=None,
        compared_columns=tuple(map(str, na.columns)),
        rows_a=len(a),
        rows_b=len(b),
        added=int(added.sum()),
        removed=int(-removed.sum()),
        changed=0,
        unchanged=len(b) - int(added.sum()),
        added_examples=_examples(b, _first_of_each(hb, added.index.to_numpy(), limit)),
        removed_examples=_examples(a, _first_of_each(ha, removed.index.to_numpy(), limit)),
    )


def _first_of_each(hashes: np.ndarray, wanted: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the first row of each wanted hash, in row order, at most `limit`."""
    positions = np.flatnonzero(np.isin(hashes, wanted))
    _, first = np.unique(hashes[positions], return_index=True)
    return positions[np.sort(first)][:limit]


def _rows_by_key(
    na: pd.DataFrame,
    nb: pd.DataFrame,
    a: pd.DataFrame,
    b: pd.DataFrame,
    keys: tuple[str, ...],
    limit: int,
) -> RowDiff:
    index_a, index_b = _key_index(na, keys, "A"), _key_index(nb, keys, "B")
    in_b = index_b.get_indexer(index_a)  # for each row of A, its row in B (-1: none)
    in_a = index_a.get_indexer(index_b)
    pos_a = np.flatnonzero(in_b >= 0)
    pos_b = in_b[pos_a]
    values = [c for c in na.columns if c not in keys]
    masks = {c: _differs(na[c], nb[c], pos_a, pos_b) for c in values}
    changed = np.zeros(len(pos_a), dtype=bool)
    for mask in masks.values():
        changed |= mask
    return RowDiff(
        key=keys,
        compared_columns=tuple(map(str, na.columns)),
        rows_a=len(a),
        rows_b=len(b),
        added=int((in_a < 0).sum()),
        removed=int((in_b < 0).sum()),
        changed=int(changed.sum()),
        unchanged=int(len(pos_a) - changed.sum()),
        changed_by_column={str(c): int(m.sum()) for c, m in masks.items() if m.any()},
        added_examples=_examples(b, np.flatnonzero(in_a < 0)[:limit]),
        removed_examples=_examples(a, np.flatnonzero(in_b < 0)[:limit]),
        changed_examples=_changes(a, b, keys, pos_a, pos_b, changed, masks, limit),
    )


def _key_index(frame: pd.DataFrame, keys: tuple[str, ...], name: str) -> pd.Index:
    if frame.duplicated(subset=list(keys)).any():
        counts = frame.value_counts(subset=list(keys), dropna=False, sort=False)
        repeated = counts[counts > 1]
        first = repeated.index[0]
        shown = _plain(first[0]) if len(keys) == 1 else tuple(map(_plain, first))
        raise DataError(
            f"The key {list(keys)} is not unique in frame {name}: {shown!r} appears "
            f"{int(repeated.iloc[0])} times ({len(repeated)} repeated key values in all). "
            "Deduplicate the frame, or diff by content (key=None)."
        )
    if len(keys) == 1:
        return pd.Index(frame[keys[0]])
    return pd.MultiIndex.from_frame(frame[list(keys)])


def _differs(a: pd.Series, b: pd.Series, pos_a: np.ndarray, pos_b: np.ndarray) -> np.ndarray:
    # Hashes compare NaN equal to NaN, and categoricals with different categories by value.
    hash_a = pd.util.hash_pandas_object(a, index=False).to_numpy()
    hash_b = pd.util.hash_pandas_object(b, index=False).to_numpy()
    return np.asarray(hash_a[pos_a] != hash_b[pos_b])


def _changes(
    a: pd.DataFrame,
    b: pd.DataFrame,
    keys: tuple[str, ...],
    pos_a: np.ndarray,
    pos_b: np.ndarray,
    changed: np.ndarray,
    masks: Mapping[str, np.ndarray],
    limit: int,
) -> tuple[RowChange, ...]:
    found = []
    for i in np.flatnonzero(changed)[:limit]:
        row_a, row_b = a.iloc[pos_a[i]], b.iloc[pos_b[i]]
        found.append(
            RowChange(
                key={str(k): _plain(row_a[k]) for k in keys},
                values={
                    str(c): (_plain(row_a[c]), _plain(row_b[c]))
                    for c, mask in masks.items()
                    if mask[i]
                },
            )
        )
    return tuple(found)


def _examples(frame: pd.DataFrame, positions: np.ndarray) -> tuple[dict[str, Any], ...]:
    rows = frame.iloc[positions]
    return tuple(
        {str(c): _plain(v) for c, v in zip(rows.columns, values, strict=True)}
        for values in rows.itertuples(index=False, name=None)
    )


def _plain(value: Any) -> Any:
    """A value as plain JSON data: None for missing, ISO strings for times."""
    if value is None or (not isinstance(value, str | bytes) and _is_missing(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array in a cell
        return False


# -- distributions --------------------------------------------------------------------


@dataclass(frozen=True)
class _Tests:
    psi_threshold: float
    js_threshold: float
    alpha: float
    bins: int
    epsilon: float

    def run(
        self, a: pd.DataFrame, b: pd.DataFrame, columns: Sequence[Any]
    ) -> tuple[list[ColumnShift], dict[str, str]]:
        shifts, untested = [], {}
        for column in columns:
            result = self.column(str(column), a[column], b[column])
            if isinstance(result, str):
                untested[str(column)] = result
            else:
                shifts.append(result)
        return shifts, untested

    def column(self, name: str, a: pd.Series, b: pd.Series) -> ColumnShift | str:
        if _is_numeric(a) and _is_numeric(b):
            kind = "numeric"
        elif _is_categorical(a) and _is_categorical(b):
            kind = "categorical"
        elif str(a.dtype) != str(b.dtype):
            return f"dtype changed from {a.dtype} to {b.dtype}"
        else:
            return f"{a.dtype} columns are not tested for a shift"
        valid_a, valid_b = a.dropna(), b.dropna()
        if len(valid_a) == 0 or len(valid_b) == 0:
            return f"no non-missing values in {'A' if len(valid_a) == 0 else 'B'}"
        counts = {
            "n_a": len(valid_a),
            "n_b": len(valid_b),
            "null_share_a": _share(len(a) - len(valid_a), len(a)),
            "null_share_b": _share(len(b) - len(valid_b), len(b)),
        }
        if kind == "numeric":
            return self.numeric(name, _floats(valid_a), _floats(valid_b), counts)
        return self.categorical(name, valid_a, valid_b, counts)

    def numeric(
        self, name: str, a: np.ndarray, b: np.ndarray, counts: dict[str, Any]
    ) -> ColumnShift:
        from scipy import stats

        ks = stats.ks_2samp(a, b)
        psi = population_stability_index(a, b, bins=self.bins, epsilon=self.epsilon)
        shifted = psi >= self.psi_threshold and float(ks.pvalue) < self.alpha
        return ColumnShift(
            column=name,
            kind="numeric",
            shifted=bool(shifted),
            ks_statistic=float(ks.statistic),
            ks_pvalue=float(ks.pvalue),
            psi=psi,
            **counts,
        )

    def categorical(
        self, name: str, a: pd.Series, b: pd.Series, counts: dict[str, Any]
    ) -> ColumnShift:
        from scipy.spatial.distance import jensenshannon
        from scipy.stats import chi2_contingency

        table = _contingency(a, b)
        if table.shape[1] < 2:  # one category on both sides: nothing can have moved
            js, chi2, pvalue, dof = 0.0, 0.0, 1.0, 0
        else:
            js = float(jensenshannon(table[0] / table[0].sum(), table[1] / table[1].sum(), 2))
            result = chi2_contingency(table)
            chi2, pvalue, dof = float(result.statistic), float(result.pvalue), int(result.dof)
        return ColumnShift(
            column=name,
            kind="categorical",
            shifted=bool(js >= self.js_threshold and pvalue < self.alpha),
            js_distance=js,
            chi2=chi2,
            chi2_pvalue=pvalue,
            chi2_dof=dof,
            **counts,
        )


def population_stability_index(
    a: np.ndarray, b: np.ndarray, *, bins: int = 10, epsilon: float = 1e-4
) -> float:
    """PSI of B against A on A's quantile bins: sum of (b - a) * ln(b / a) over bins.

    Bins are cut at A's ``1/bins .. (bins-1)/bins`` quantiles (ties merge bins) and are
    closed on the right; the outer bins are open, so values of B beyond A's range count.
    An empty bin's share is raised to `epsilon` so the logarithm stays finite.

    Args:
        a: array of shape (n_a,), the reference values, without NaN.
        b: array of shape (n_b,), the values compared, without NaN.
    """
    edges = np.unique(np.quantile(a, np.linspace(0, 1, bins + 1)[1:-1]))
    share_a = _bin_shares(a, edges, epsilon)
    share_b = _bin_shares(b, edges, epsilon)
    return float(np.sum((share_b - share_a) * np.log(share_b / share_a)))


def _bin_shares(values: np.ndarray, edges: np.ndarray, epsilon: float) -> np.ndarray:
    counts = np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)
    shares = counts / len(values)
    return np.where(shares == 0, epsilon, shares)


def _contingency(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Counts of each category (by its string form) in A and B: array of shape (2, K)."""
    both = pd.concat([_category_counts(a), _category_counts(b)], axis=1).fillna(0)
    return np.asarray(both.sort_index().to_numpy(dtype=float).T)


def _category_counts(values: pd.Series) -> pd.Series:
    counts = values.value_counts()
    counts = counts[counts > 0]
    counts.index = pd.Index(counts.index.astype(str))
    return counts.groupby(level=0).sum()


def _is_categorical(column: pd.Series) -> bool:
    dtype = column.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def _floats(values: pd.Series) -> np.ndarray:
    return np.asarray(values.to_numpy(dtype="float64", na_value=np.nan))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# -- summary and JSON -----------------------------------------------------------------


def _row_lines(rows: RowDiff) -> list[str]:
    how = f"by key {', '.join(rows.key)}" if rows.key else "by content"
    counts = f"{rows.added} added, {rows.removed} removed"
    if rows.key:
        counts += f", {rows.changed} changed"
    lines = [f"rows: {rows.rows_a} in A, {rows.rows_b} in B; {how}: {counts}"]
    if rows.changed_by_column:
        per = ", ".join(f"{c} ({n})" for c, n in rows.changed_by_column.items())
        lines.append(f"  changed columns: {per}")
    return lines


def _column_lines(columns: ColumnChanges) -> list[str]:
    lines = []
    if columns.added:
        lines.append(f"columns added: {', '.join(columns.added)}")
    if columns.removed:
        lines.append(f"columns removed: {', '.join(columns.removed)}")
    for change in columns.retyped:
        lines.append(f"column {change.column}: dtype {change.a} -> {change.b}")
    return lines or ["columns: no change"]


def _shift_lines(diff: DataDiff) -> list[str]:
    lines = [f"shifted: {s.column} ({_describe(s)})" for s in diff.shifts if s.shifted]
    steady = len(diff.shifts) - len(lines)
    if diff.shifts:
        lines.append(f"no shift in {steady} of {len(diff.shifts)} tested columns")
    lines.extend(f"not tested: {c} ({why})" for c, why in diff.untested.items())
    return lines


def _describe(shift: ColumnShift) -> str:
    if shift.kind == "numeric":
        return f"PSI {shift.psi:.3g}, KS {shift.ks_statistic:.3g}, p {shift.ks_pvalue:.3g}"
    return f"JS {shift.js_distance:.3g}, chi2 {shift.chi2:.3g}, p {shift.chi2_pvalue:.3g}"


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
