"""Group fairness of a model's outcomes across sensitive columns (``data.sensitive``).

Each sensitive column is judged on its own and, when there are several, so is their
intersection ("sex=F & race=B"). Binary tasks are judged on decisions at ``threshold`` on
the positive class; multiclass on the arg-max class (accuracy and how often each class is
predicted); regression on errors and mean predictions. Groups smaller than
``min_group_size``, or lacking the positives or negatives a rate needs, stay in the table
with a flag and are left out of the summaries that need them; rows with no sensitive value
form their own flagged group, ``"<missing>"``.

Example:
    >>> import numpy as np
    >>> from keel.evaluate._outcomes import outcomes
    >>> scored = outcomes([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.6], task="binary")
    >>> report = fairness(scored, {"g": ["a", "a", "b", "b"]}, min_group_size=1)
    >>> report.metrics()["equal_opportunity_difference[g]"]
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from keel.errors import EvaluationError
from keel.evaluate._fairness_groups import flag_reasons, group_table
from keel.evaluate._fairness_input import scopes, select_columns, sensitive_frame
from keel.evaluate._fairness_summary import ScopeSummary, summarize
from keel.evaluate._fairness_text import report_text
from keel.evaluate._outcomes import Outcomes

__all__ = ["FairnessReport", "fairness", "fairness_of"]


@dataclass(frozen=True)
class FairnessReport:
    """Per-group metrics and summary disparities for each sensitive scope.

    Attributes:
        task: "binary", "multiclass" or "regression".
        columns: the sensitive columns, in order.
        threshold: the positive-class decision threshold (binary tasks; NaN otherwise).
        min_group_size: groups with fewer rows are flagged and left out of summaries.
        scopes: scope name ("sex", or "sex & race" for the intersection) -> its summary:
            ``values`` (metric -> number, NaN when it cannot be judged), ``excluded``
            (metric -> {group: reason}) and ``notes`` (metric -> why it is NaN).
        table: one row per (scope, group), with a ``flag`` column.

    Example:
        >>> from keel.evaluate._outcomes import outcomes
        >>> scored = outcomes([0, 1, 1, 0, 1], [0.2, 0.9, 0.4, 0.6, 0.7], task="binary")
        >>> report = fairness(scored, {"g": ["a", "a", "b", "b", "b"]}, min_group_size=3)
        >>> report.groups()[["group", "count", "flag"]].to_dict("records")[0]
        {'group': 'g=a', 'count': 2, 'flag': '2 rows < min_group_size 3'}
    """

    task: str
    columns: tuple[str, ...]
    threshold: float
    min_group_size: int
    scopes: dict[str, ScopeSummary]
    table: pd.DataFrame = field(repr=False, compare=False)

    def metrics(self) -> dict[str, float]:
        """Flat metric names for gates: the worst scope under the bare name, then per scope.

        ``demographic_parity_difference`` is the largest over every column and the
        intersection (a ratio, the smallest); ``demographic_parity_difference[sex]`` and
        ``demographic_parity_difference[sex & race]`` are the scopes themselves. NaN where
        no two groups could be judged; ``metric()`` explains those.
        """
        flat: dict[str, float] = {}
        for name in next(iter(self.scopes.values())).values:
            values = [summary.values[name] for summary in self.scopes.values()]
            defined = [v for v in values if not np.isnan(v)]
            worst = min if name.endswith("_ratio") else max
            flat[name] = worst(defined) if defined else float("nan")
        for scope, summary in self.scopes.items():
            flat.update({f"{name}[{scope}]": v for name, v in summary.values.items()})
        return flat

    def metric(self, name: str) -> float:
        """One metric by its flat name; an error when unknown or when it cannot be judged."""
        flat = self.metrics()
        if name not in flat:
            raise EvaluationError(
                f"{name!r} is not a fairness metric of this {self.task} report. Known: "
                f"{', '.join(flat)}.",
                field="metric",
            )
        if np.isnan(flat[name]):
            raise EvaluationError(
                f"{name} cannot be judged on these rows: {self._why(name)}. Gather more rows "
                "of each group or lower min_group_size.",
                field="metric",
            )
        return flat[name]

    def groups(self) -> pd.DataFrame:
        """Per-group rows (scope, group, count, share, metrics..., flag), flagged ones included."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields; NaN becomes None."""
        return {
            "task": self.task,
            "columns": list(self.columns),
            "threshold": _plain(self.threshold),
            "min_group_size": self.min_group_size,
            "metrics": {name: _plain(v) for name, v in self.metrics().items()},
            "excluded": {
                scope: {name: dict(groups) for name, groups in s.excluded.items()}
                for scope, s in self.scopes.items()
            },
            "notes": {scope: dict(s.notes) for scope, s in self.scopes.items()},
            "groups": [
                {key: _plain(v) for key, v in row.items()} for row in self.table.to_dict("records")
            ],
        }

    def to_text(self) -> str:
        """A plain-text report for a terminal."""
        return report_text(self)

    def _why(self, name: str) -> str:
        base, _, scope = name.partition("[")
        chosen = {scope[:-1]: self.scopes[scope[:-1]]} if scope else self.scopes
        return "; ".join(f"[{s}] {summary.notes[base]}" for s, summary in chosen.items())


def fairness(
    o: Outcomes, sensitive: Any, *, min_group_size: int = 30, threshold: float = 0.5
) -> FairnessReport:
    """Judge group fairness of ``o`` across ``sensitive`` columns.

    Args:
        o: outcomes for the same rows, in the same order, as ``sensitive``.
        sensitive: a DataFrame, a Series or a dict of arrays, one column per attribute.
        min_group_size: groups with fewer rows are flagged and kept out of summaries.
        threshold: binary tasks predict positive where the positive class's probability
            is >= this.

    Raises:
        EvaluationError: no sensitive column, lengths that differ, a bad ``min_group_size``
            or ``threshold``.
    """
    _check(min_group_size, threshold)
    frame = sensitive_frame(sensitive, o.n)
    decide_at = threshold if o.task == "binary" else float("nan")
    tables, summaries = [], {}
    for scope, columns in scopes(frame).items():
        table = group_table(o, frame[columns].squeeze(axis=1), threshold)
        summaries[scope] = summarize(o, frame[columns], table, min_group_size, threshold)
        table["flag"] = flag_reasons(table, o.task, min_group_size)
        tables.append(table.reset_index().assign(scope=scope))
    table = pd.concat(tables, ignore_index=True)
    table = table[["scope", *[c for c in table.columns if c != "scope"]]]
    return FairnessReport(o.task, tuple(frame.columns), decide_at, min_group_size, summaries, table)


def fairness_of(
    o: Outcomes,
    frame: pd.DataFrame,
    *,
    columns: Sequence[str],
    min_group_size: int = 30,
    threshold: float = 0.5,
) -> FairnessReport:
    """``fairness`` on the named columns of ``frame`` (the data ``o`` was scored on).

    Raises:
        EvaluationError: a named column is not in ``frame`` (the message lists those that
            are), or anything ``fairness`` refuses.
    """
    return fairness(
        o, select_columns(frame, columns), min_group_size=min_group_size, threshold=threshold
    )


def _check(min_group_size: int, threshold: float) -> None:
    integer = isinstance(min_group_size, int | np.integer) and not isinstance(min_group_size, bool)
    if not integer or min_group_size < 1:
        raise EvaluationError(
            f"min_group_size must be an integer >= 1. Got {min_group_size!r} instead.",
            field="min_group_size",
        )
    number = isinstance(threshold, int | float) and not isinstance(threshold, bool)
    if not number or not 0 <= threshold <= 1:
        raise EvaluationError(
            f"threshold must be a number in [0, 1]. Got {threshold!r} instead.", field="threshold"
        )


def _plain(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value
