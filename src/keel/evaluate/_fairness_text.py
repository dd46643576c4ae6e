"""A fairness report as plain text for a terminal: one block per scope.

Example:
    >>> from keel.evaluate._outcomes import outcomes
    >>> from keel.evaluate._fairness import fairness
    >>> scored = outcomes([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.6], task="binary")
    >>> print(report_text(fairness(scored, {"g": ["a", "a", "b", "b"]})).splitlines()[0])
    Fairness of a binary model (decisions at 0.5; groups under 30 rows flagged)
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from keel.evaluate._fairness import FairnessReport

__all__ = ["report_text"]


def report_text(report: FairnessReport) -> str:
    """Header, then per scope: the group table, the summaries and what was left out."""
    decided = "" if np.isnan(report.threshold) else f"decisions at {report.threshold:g}; "
    lines = [
        f"Fairness of a {report.task} model ({decided}groups under {report.min_group_size} "
        "rows flagged)"
    ]
    for scope, summary in report.scopes.items():
        rows = report.table[report.table["scope"] == scope].set_index("group")
        table = rows.drop(columns=["scope", "flag"]).to_string(float_format=_number, na_rep="-")
        lines += ["", f"[{scope}]", textwrap.indent(table, "  "), ""]
        for name, value in summary.values.items():
            shown = summary.notes[name] if np.isnan(value) else _number(value)
            lines.append(f"  {name:<32} {shown}")
        lines += [f"  flagged {group}: {flag}" for group, flag in rows["flag"].items() if flag]
        lines += _left_out(summary.excluded)
    return "\n".join(lines)


def _left_out(excluded: dict[str, dict[str, str]]) -> list[str]:
    """One line per distinct set of left-out groups, naming the summaries it applies to."""
    by_groups: dict[tuple[str, ...], list[str]] = {}
    for name, groups in excluded.items():
        if groups:
            by_groups.setdefault(tuple(groups), []).append(name)
    return [
        f"  left out of {', '.join(names)}: {', '.join(groups)}"
        for groups, names in by_groups.items()
    ]


def _number(value: float) -> str:
    return f"{value:.3f}"
