"""One column's violations: parse it once, then each check is a numpy comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd

from keel.data._column_parsers import _PARSERS
from keel.data._expectations import describe_range, describe_type, range_of
from keel.data._parsed import _either, _Parsed
from keel.data._schema_model import ColumnSchema
from keel.data._violations import MAX_EXAMPLES, Severity, Violation


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
