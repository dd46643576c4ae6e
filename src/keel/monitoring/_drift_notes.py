"""A column's verdict and the sentences that explain it: shifts that are significant but
below the threshold, unseen categories, constant columns, a changed share of nulls."""

from __future__ import annotations

import math

from keel.monitoring._current import CurrentColumn
from keel.monitoring._methods import DriftMethod, MethodResult
from keel.monitoring._profile import ColumnProfile

#: p-value under which an unflagged distance method's shift is called significant.
SIGNIFICANCE = 0.05
#: Change in the share of nulls worth a sentence.
NULL_SHARE_CHANGE = 0.05


def verdict(
    method: DriftMethod,
    result: MethodResult,
    threshold: float,
    reference: ColumnProfile,
    window: CurrentColumn,
) -> tuple[bool, str]:
    """Whether the column drifted, and the notes that explain the verdict."""
    if math.isnan(result.distance):
        return False, ""
    drifted = method.is_drift(result, threshold)
    notes = [_below_threshold(method, result, threshold, drifted)]
    notes += [_unseen(window), _constant(reference, window), _nulls(reference, window)]
    return drifted, " ".join(note for note in notes if note)


def _below_threshold(
    method: DriftMethod, result: MethodResult, threshold: float, drifted: bool
) -> str:
    significant = result.p_value is not None and result.p_value < SIGNIFICANCE
    if drifted or method.flags == "below" or not significant:
        return ""
    return (
        f"Shifted (p = {result.p_value:.2g}) but the {method.name} distance "
        f"{result.distance:.3g} is below the threshold {threshold:g}: not flagged."
    )


def _unseen(window: CurrentColumn) -> str:
    if window.reference.kind != "categorical":
        return ""
    unseen = window.unseen
    if not unseen:
        return ""
    shown = ", ".join(repr(name) for name in unseen[:5])
    more = f" and {len(unseen) - 5} more" if len(unseen) > 5 else ""
    share = sum(window.categories[name] for name in unseen) / max(window.count, 1)
    return f"Categories not in the reference ({share:.1%} of the window): {shown}{more}."


def _constant(reference: ColumnProfile, window: CurrentColumn) -> str:
    if reference.kind == "categorical":
        if len(reference.categories) == 1 and set(window.categories) == set(reference.categories):
            return "The column has one category on both sides."
        return ""
    values = window.values
    if values.size and values[0] == values[-1] and reference.std == 0:
        same = reference.values is None or reference.values[0] == values[0]
        return "The column is constant on both sides" + (" (same value)." if same else ".")
    return ""


def _nulls(reference: ColumnProfile, window: CurrentColumn) -> str:
    if abs(window.null_share - reference.null_share) < NULL_SHARE_CHANGE:
        return ""
    return f"The share of nulls moved from {reference.null_share:.1%} to {window.null_share:.1%}."
