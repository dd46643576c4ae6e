"""Validate a whole DataFrame against a schema: vectorized, one numpy pass per check.

Each column is parsed once into masks (null, bad type) and a numeric array (numbers, 0/1
for booleans, integer time units for datetimes); every check is then a numpy comparison.
Columns with a well-known dtype (numpy numbers and booleans, datetime64, pandas' ``str``,
``category``) take a vectorized path; anything else (``object`` columns) goes value by
value through the same scalar rules as the record validator (``_record``), so both
validators accept exactly the same values.

Violation kinds and their severity:

==========================  =======================================================
``missing_column``          error for a feature, and for the target when
                            ``require_target``; warning for id, timestamp, entity
``extra_column``            warning: a column the schema does not know
``type``                    error: a value that cannot be of the column's type
``null``                    error: a null in a column that is not nullable
``out_of_allowed_range``    error: outside ``allowed_min``/``allowed_max``
``out_of_observed_range``   warning: outside ``observed_min``/``observed_max``
``unseen_category``         warning: a category the schema has not seen
==========================  =======================================================

A value counts in at most one of null, type and the range checks (a value of the wrong
type is not range-checked); the two range checks count independently. Columns with role
``ignore`` are not checked. Column-level violations (missing, extra) count every row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from keel.data._record import (
    BAD,
    DATETIME_PATTERN,
    FALSE_STRINGS,
    NUMBER_PATTERN,
    TRUE_STRINGS,
    TZ_SUFFIX_PATTERN,
    coercer,
    describe_range,
    describe_type,
    is_null,
    range_of,
)
from keel.data._schema_model import ColumnSchema, Schema
from keel.errors import ValidationError

__all__ = ["Severity", "ValidationReport", "Violation", "validate_frame"]

Severity = Literal["error", "warning"]
#: At most this many example rows and values per violation.
MAX_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Violation:
    """One kind of problem in one column: how many rows, and the first few of them.

    ``examples`` are 0-based row positions, ``values`` the values found there.
    """

    column: str
    kind: str
    severity: Severity
    count: int
    examples: tuple[int, ...]
    values: tuple[Any, ...]
    expected: str

    def __str__(self) -> str:
        text = f"{self.severity}: column {self.column!r}: {self.kind} x{self.count:,}"
        text += f", expected {self.expected}"
        if self.examples:
            values = ", ".join(repr(v) for v in self.values)
            text += f" (rows {', '.join(map(str, self.examples))}: {values})"
        return text


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What ``validate_frame`` found. ``ok`` means no errors; warnings are for reporting."""

    violations: tuple[Violation, ...]
    n_rows: int

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "error"]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raises ValidationError listing every error; does nothing when ``ok``."""
        errors = self.errors
        if errors:
            lines = "\n  ".join(str(v) for v in errors)
            raise ValidationError(
                f"{len(errors)} validation error(s) in {self.n_rows:,} rows:\n  {lines}"
            )

    def __str__(self) -> str:
        head = (
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) in {self.n_rows:,} rows"
        )
        return "\n  ".join([head, *(str(v) for v in self.violations)])


def validate_frame(
    frame: pd.DataFrame, schema: Schema, *, require_target: bool = True
) -> ValidationReport:
    """Check every column of ``frame`` against ``schema`` (see the module docstring).

    Args:
        frame: the data, one row per example.
        schema: what the data must look like.
        require_target: whether a missing target column is an error (training data) or
            not reported at all (data to score).

    Raises:
        ValidationError: ``frame`` has duplicate column names.

    Example:
        >>> from keel.data import ColumnSchema, Schema
        >>> schema = Schema(columns=[ColumnSchema(name="age", type="integer", allowed_min=0)])
        >>> report = validate_frame(pd.DataFrame({"age": [31, -2, 7.5]}), schema)
        >>> [(v.kind, v.count, v.examples) for v in report.errors]
        [('type', 1, (2,)), ('out_of_allowed_range', 1, (1,))]
    """
    if not frame.columns.is_unique:
        duplicates = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ValidationError(f"The frame has duplicate columns: {', '.join(duplicates)}.")
    violations: list[Violation] = []
    n_rows = len(frame)
    checked = _check_columns(frame, [c for c in schema.columns if c.name in frame.columns])
    for column in schema.columns:
        if column.role == "ignore":
            continue
        if column.name in frame.columns:
            violations += checked[column.name]
        else:
            severity = _missing_severity(column, require_target)
            if severity is not None:
                violations.append(
                    Violation(column.name, "missing_column", severity, n_rows, (), (), "the column")
                )
    known = set(schema.names)
    violations += [
        Violation(str(name), "extra_column", "warning", n_rows, (), (), "only schema columns")
        for name in frame.columns
        if name not in known
    ]
    return ValidationReport(tuple(violations), n_rows)


#: Below this many rows a thread pool costs more than it saves.
PARALLEL_MIN_ROWS = 100_000


def _check_columns(frame: pd.DataFrame, columns: list[ColumnSchema]) -> dict[str, list[Violation]]:
    """Each column's violations. Large frames are checked two columns at a time: numpy and
    pyarrow release the GIL in the per-column work (measured on 1M x 50, 2 cores: 150 ms
    one at a time, 105-130 ms two at a time)."""
    todo = [c for c in columns if c.role != "ignore"]
    if len(frame) < PARALLEL_MIN_ROWS or len(todo) < 2:
        return {c.name: _check_column(frame[c.name], c) for c in todo}
    from concurrent.futures import ThreadPoolExecutor

    workers = min(len(todo), os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(lambda c: _check_column(frame[c.name], c), todo)
        return {c.name: found for c, found in zip(todo, results, strict=True)}


def _missing_severity(column: ColumnSchema, require_target: bool) -> Severity | None:
    if column.role == "feature" or (column.role == "target" and require_target):
        return "error"
    return None if column.role == "target" else "warning"


class _Parsed(NamedTuple):
    """A column parsed for checking. Masks are None where nothing is set."""

    null: np.ndarray | None
    bad: np.ndarray | None
    #: numbers to range-check (float64/int64); for datetimes integer units since the epoch
    values: np.ndarray | None = None
    #: nanoseconds per unit of ``values`` for datetimes
    unit_ns: int = 0
    unseen: np.ndarray | None = None


def _check_column(series: pd.Series, column: ColumnSchema) -> list[Violation]:
    parsed = _PARSERS[column.type](series, column)
    found = []
    if parsed.null is not None and not column.nullable:
        found.append(_violation(series, column, "null", "error", parsed.null, "no nulls"))
    if parsed.bad is not None:
        found.append(_violation(series, column, "type", "error", parsed.bad, describe_type(column)))
    if parsed.values is not None:
        invalid = _either(parsed.null, parsed.bad)
        for which, kind, severity in _RANGE_CHECKS:
            outside = _outside(parsed, *range_of(column, which), invalid)
            found.append(
                _violation(series, column, kind, severity, outside, describe_range(column, which))
            )
    if parsed.unseen is not None:
        expected = f"one of the {len(column.categories or {})} known categories"
        found.append(
            _violation(series, column, "unseen_category", "warning", parsed.unseen, expected)
        )
    return [v for v in found if v is not None]


_RANGE_CHECKS: tuple[tuple[str, str, Severity], ...] = (
    ("allowed", "out_of_allowed_range", "error"),
    ("observed", "out_of_observed_range", "warning"),
)


def _violation(
    series: pd.Series,
    column: ColumnSchema,
    kind: str,
    severity: Severity,
    mask: np.ndarray | None,
    expected: str,
) -> Violation | None:
    count = 0 if mask is None else int(np.count_nonzero(mask))
    if not count:
        return None
    assert mask is not None
    rows = np.flatnonzero(mask)[:MAX_EXAMPLES]
    values = tuple(series.iloc[rows].tolist())
    return Violation(column.name, kind, severity, count, tuple(rows.tolist()), values, expected)


def _either(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None or b is None:
        return a if b is None else b
    return a | b


def _outside(
    parsed: _Parsed, low: float | None, high: float | None, invalid: np.ndarray | None
) -> np.ndarray | None:
    values = parsed.values
    assert values is not None
    if parsed.unit_ns:  # exact integer bounds in the column's time unit
        low = None if low is None else _clip_int64(-(-int(low) // parsed.unit_ns))
        high = None if high is None else _clip_int64(int(high) // parsed.unit_ns)
    below = None if low is None else values < low
    above = None if high is None else values > high
    outside = _either(below, above)
    if outside is not None and invalid is not None:
        outside &= ~invalid
    return outside


def _clip_int64(value: int) -> int:
    return max(min(value, 2**63 - 1), -(2**63) + 1)


# --- parsers: one per logical type -------------------------------------------------------


def _parse_number(series: pd.Series, column: ColumnSchema) -> _Parsed:
    dtype = series.dtype
    if dtype.kind in "fiu":
        values = _float_or_int(series)
        null = np.isnan(values) if values.dtype.kind == "f" else None
    elif dtype.kind == "b":
        null = _nonzero_or_none(series.isna().to_numpy())
        return _Parsed(null, ~null if null is not None else np.ones(len(series), bool))
    elif _is_strings(dtype):
        strings = pa.array(series.array)
        matches = _fill(pc.match_substring_regex(strings, f"^(?:{NUMBER_PATTERN})$"))
        null = _nonzero_or_none(strings.is_null().to_numpy(zero_copy_only=False))
        values = pc.cast(pc.if_else(pa.array(matches), strings, None), pa.float64())
        values = values.to_numpy(zero_copy_only=False)
        bad = ~matches if null is None else ~matches & ~null
        return _integral(_Parsed(null, _nonzero_or_none(bad), values), column)
    else:
        return _parse_objects(series, column)
    return _integral(_Parsed(_nonzero_or_none(null), None, values), column)


def _float_or_int(series: pd.Series) -> np.ndarray:
    """float64 or int64 without a copy where possible (other widths compare differently)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype in (np.float64, np.int64):
        return series.to_numpy()
    if isinstance(dtype, np.dtype) and dtype.kind in "iu" and dtype != np.uint64:
        return series.to_numpy().astype(np.int64)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _integral(parsed: _Parsed, column: ColumnSchema) -> _Parsed:
    values = parsed.values
    if column.type != "integer" or values is None or values.dtype.kind != "f":
        return parsed
    fractional = (values != np.trunc(values)) | np.isinf(values)  # NaN counts: masked next
    if parsed.null is not None:
        fractional &= ~parsed.null
    return parsed._replace(bad=_nonzero_or_none(_either(parsed.bad, fractional)))


def _parse_boolean(series: pd.Series, column: ColumnSchema) -> _Parsed:
    dtype = series.dtype
    if dtype.kind == "b":
        return _Parsed(_nonzero_or_none(series.isna().to_numpy()), None)
    if dtype.kind in "fiu":
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        null = np.isnan(values)
        return _Parsed(
            _nonzero_or_none(null), _nonzero_or_none((values != 0) & (values != 1) & ~null)
        )
    if _is_strings(dtype):
        strings = pa.array(series.array)
        tokens = pa.array(sorted(TRUE_STRINGS | FALSE_STRINGS), strings.type)
        null = strings.is_null().to_numpy(zero_copy_only=False)
        bad = ~_fill(pc.is_in(strings, value_set=tokens)) & ~null
        return _Parsed(_nonzero_or_none(null), _nonzero_or_none(bad))
    return _parse_objects(series, column)


def _parse_category(series: pd.Series, column: ColumnSchema) -> _Parsed:
    dtype = series.dtype
    known = list(column.categories or {})
    if _is_strings(dtype):
        strings = pa.array(series.array)
        null = strings.is_null().to_numpy(zero_copy_only=False)
        seen = _fill(pc.is_in(strings, value_set=pa.array(known, strings.type)))
        return _Parsed(_nonzero_or_none(null), None, unseen=_nonzero_or_none(~seen & ~null))
    if isinstance(dtype, pd.CategoricalDtype) and _all_strings(dtype.categories):
        codes = series.cat.codes.to_numpy()
        null = codes < 0
        seen = np.append(dtype.categories.isin(known), True)[codes]  # code -1 is null
        return _Parsed(_nonzero_or_none(null), None, unseen=_nonzero_or_none(~seen))
    return _parse_objects(series, column)


def _parse_datetime(series: pd.Series, column: ColumnSchema) -> _Parsed:
    dtype = series.dtype
    aware = column.timezone is not None
    if dtype.kind == "M":
        unit = series.dt.unit
        stamps = series.to_numpy(dtype=f"datetime64[{unit}]")  # UTC wall time when aware
        null = np.isnat(stamps)
        if (series.dt.tz is not None) != aware:
            return _Parsed(_nonzero_or_none(null), _nonzero_or_none(~null))
        values = stamps.view(np.int64)
        unit_ns = int(np.timedelta64(1, unit) // np.timedelta64(1, "ns"))
        return _Parsed(_nonzero_or_none(null), None, values, unit_ns)
    if _is_strings(dtype):
        return _parse_datetime_strings(pa.array(series.array), aware)
    return _parse_objects(series, column)


def _parse_datetime_strings(strings: pa.Array, aware: bool) -> _Parsed:
    null = strings.is_null().to_numpy(zero_copy_only=False)
    shaped = _fill(pc.match_substring_regex(strings, f"^(?:{DATETIME_PATTERN})$"))
    zoned = _fill(pc.match_substring_regex(strings, TZ_SUFFIX_PATTERN))
    usable = shaped & (zoned if aware else ~zoned)
    text = pd.Series(pc.if_else(pa.array(usable), strings, None).to_numpy(zero_copy_only=False))
    stamps = pd.to_datetime(text, format="ISO8601", utc=aware, errors="coerce")
    as_parsed = ColumnSchema(name="_", type="datetime", timezone="UTC" if aware else None)
    parsed = _parse_datetime(stamps, as_parsed)
    bad = stamps.isna().to_numpy() & ~null
    return parsed._replace(null=_nonzero_or_none(null), bad=_nonzero_or_none(bad))


def _parse_text(series: pd.Series, column: ColumnSchema) -> _Parsed:
    if series.dtype == object:
        return _parse_objects(series, column)
    return _Parsed(_nonzero_or_none(series.isna().to_numpy()), None)


def _parse_objects(series: pd.Series, column: ColumnSchema) -> _Parsed:
    """Value by value with the record validator's rules: exact, for the columns no
    vectorized path understands (mixed ``object`` columns, odd dtypes)."""
    coerce = coercer(column)
    objects = series.to_numpy(dtype=object)
    coerced = [None if is_null(v) else coerce(v) for v in objects]
    null = np.fromiter((c is None for c in coerced), bool, len(coerced))
    bad = np.fromiter((c is BAD for c in coerced), bool, len(coerced))
    if column.type in ("categorical", "text"):
        known = column.categories or {}
        unseen = None
        if column.type == "categorical":
            unseen = np.fromiter(
                (type(c) is str and c not in known for c in coerced), bool, len(coerced)
            )
        return _Parsed(
            _nonzero_or_none(null), _nonzero_or_none(bad), unseen=_nonzero_or_none(unseen)
        )
    if column.type == "datetime":
        # Python ints: exact ns, also beyond int64 (years past 2262)
        values = np.array([c if type(c) is int else 0 for c in coerced], dtype=object)
        return _Parsed(_nonzero_or_none(null), _nonzero_or_none(bad), values)
    values = np.array([c if type(c) is float else np.nan for c in coerced], dtype=np.float64)
    return _Parsed(_nonzero_or_none(null), _nonzero_or_none(bad), values)


_PARSERS: dict[str, Callable[[pd.Series, ColumnSchema], _Parsed]] = {
    "numeric": _parse_number,
    "integer": _parse_number,
    "boolean": _parse_boolean,
    "categorical": _parse_category,
    "datetime": _parse_datetime,
    "text": _parse_text,
}


def _nonzero_or_none(mask: np.ndarray | None) -> np.ndarray | None:
    return mask if mask is not None and mask.any() else None


def _fill(result: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(result, False).to_numpy(zero_copy_only=False), dtype=bool)


def _is_strings(dtype: Any) -> bool:
    if isinstance(dtype, pd.StringDtype):
        return True
    return isinstance(dtype, pd.ArrowDtype) and (
        pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
    )


def _all_strings(values: Sequence[Any]) -> bool:
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
