"""keel.yaml ``gates:``: conditions on holdout metrics that a trained model must meet.

Example:
    >>> check_gates({"roc_auc": 0.83, "accuracy": 0.91}, {"roc_auc": ">= 0.85"})
    ['roc_auc = 0.83, expected >= 0.85']
    >>> parse_gate("latency_p99_ms", "<= 5")
    ('<=', 5.0)
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping

from keel.errors import TrainError

__all__ = ["check_gates", "parse_gate"]

_CONDITION = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def parse_gate(metric: str, condition: str) -> tuple[str, float]:
    """The operator and threshold of one gate.

    Raises:
        TrainError: the condition is not ``<op> <number>``.
    """
    match = _CONDITION.match(str(condition))
    if match is None:
        raise TrainError(
            f'The gate for {metric!r} must be a comparison like ">= 0.85" (one of '
            f"{', '.join(_OPERATORS)} and a number). Got {condition!r} instead.",
            field=f"gates.{metric}",
        )
    return match.group(1), float(match.group(2))


def check_gates(metrics: Mapping[str, float], gates: Mapping[str, str]) -> list[str]:
    """One line per gate the metrics miss (empty when every gate holds).

    A gate on a metric that was not measured is a failure, never a silent pass.
    """
    failures = []
    for metric, condition in gates.items():
        op, threshold = parse_gate(metric, condition)
        value = metrics.get(metric)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            known = ", ".join(sorted(metrics))
            failures.append(f"{metric} was not measured (measured: {known})")
        elif not _OPERATORS[op](float(value), threshold):
            failures.append(f"{metric} = {value:.6g}, expected {op} {threshold:g}")
    return failures
