"""Compare two models on the same rows: one paired test per metric, Holm across them.

This is the promotion test: is the candidate (B) better than the current model (A)? Each
metric gets the test built for it (McNemar for accuracy, DeLong for binary ROC AUC, the
paired bootstrap otherwise); Holm's correction keeps the chance of any false "better"
at ``alpha`` however many metrics are tested.

Example:
    >>> import numpy as np
    >>> from keel.evaluate._outcomes import outcomes
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400)
    >>> a = outcomes(y, np.clip(y * 0.2 + rng.random(400) * 0.8, 0, 1), task="binary")
    >>> b = outcomes(y, np.clip(y * 0.6 + rng.random(400) * 0.4, 0, 1), task="binary")
    >>> compare(a, b, n_resamples=200).verdict
    'B is better'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from keel.errors import EvaluationError
from keel.evaluate._delong import delong
from keel.evaluate._metrics import check_metric_names
from keel.evaluate._metrics_weighted import GREATER_IS_BETTER
from keel.evaluate._outcomes import Outcomes
from keel.evaluate._paired import mcnemar, paired_bootstrap
from keel.evaluate._paired_result import TestResult, check_same_rows, holm

__all__ = ["Comparison", "compare"]

DEFAULT_METRICS = {
    "binary": ("roc_auc", "accuracy", "log_loss"),
    "multiclass": ("accuracy", "log_loss", "f1_macro"),
    "regression": ("rmse", "mae", "r2"),
}


@dataclass(frozen=True)
class Comparison:
    """The paired tests of model B against model A, Holm-adjusted, and the verdict.

    Attributes:
        tests: one result per metric; ``effect`` > 0 means B is better.
        alpha: the family-wise significance level.
        verdict: "B is better", "A is better", "no significant difference" or "mixed"
            (significant improvements and significant regressions both present).
        n: the rows compared.
    """

    tests: tuple[TestResult, ...]
    alpha: float
    verdict: str
    n: int

    def __getitem__(self, metric: str) -> TestResult:
        for result in self.tests:
            if result.metric == metric:
                return result
        raise KeyError(f"No test of {metric!r}; tested: {', '.join(self.metrics)}.")

    @property
    def metrics(self) -> list[str]:
        return [result.metric for result in self.tests]

    def summary(self) -> list[str]:
        """The verdict, then one line per test: estimates, effect with CI, p, adjusted p."""
        head = (
            f"B vs A on {self.n:,} rows: {self.verdict} (Holm-adjusted, alpha {self.alpha:g}; "
            "effect > 0 means B is better)"
        )
        width = max(len(m) for m in self.metrics)
        return [head, *(_line(result, width, self.alpha) for result in self.tests)]

    def to_text(self) -> str:
        """``summary()`` as one block of text for a terminal or a report."""
        return "\n".join(self.summary())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values; NaN becomes None."""
        tests = [result.to_dict() for result in self.tests]
        return {"verdict": self.verdict, "alpha": self.alpha, "n": self.n, "tests": tests}


def compare(
    a: Outcomes,
    b: Outcomes,
    metrics: Sequence[str] | None = None,
    *,
    alpha: float = 0.05,
    n_resamples: int = 1000,
    seed: int = 0,
) -> Comparison:
    """Test model B against model A on each metric, with Holm's correction across them.

    Args:
        a, b: both models' outcomes on the same rows (A: current, B: candidate).
        metrics: metrics to test; per task by default (binary: roc_auc, accuracy,
            log_loss; multiclass: accuracy, log_loss, f1_macro; regression: rmse, mae, r2).
        alpha: family-wise significance level; intervals are at 1 - alpha.
        n_resamples, seed: for the paired bootstrap tests.

    Raises:
        EvaluationError: different rows, an unknown metric, alpha not in (0, 1).
    """
    check_same_rows(a, b)
    names = check_metric_names(a.task, metrics or DEFAULT_METRICS[a.task])
    if not 0.0 < alpha < 1.0:
        raise EvaluationError(
            f"alpha must lie strictly between 0 and 1 (e.g. 0.05). Got {alpha!r} instead.",
            field="alpha",
        )
    results = [_test(a, b, name, 1.0 - alpha, n_resamples, seed) for name in names]
    adjusted = holm([result.p_value for result in results])
    results = [replace(r, p_adjusted=p) for r, p in zip(results, adjusted, strict=True)]
    return Comparison(tuple(results), alpha, _verdict(results, alpha), a.n)


def _test(
    a: Outcomes, b: Outcomes, name: str, confidence: float, n_resamples: int, seed: int
) -> TestResult:
    if name == "accuracy":
        return mcnemar(a, b, confidence=confidence)
    if name == "roc_auc" and a.task == "binary":
        return delong(a, b, confidence=confidence)
    return paired_bootstrap(a, b, name, n_resamples=n_resamples, confidence=confidence, seed=seed)


def _verdict(results: list[TestResult], alpha: float) -> str:
    directions = {r.effect > 0 for r in results if r.p_adjusted < alpha}
    if not directions:
        return "no significant difference"
    if len(directions) == 2:
        return "mixed"
    return "B is better" if directions == {True} else "A is better"


def _line(result: TestResult, width: int, alpha: float) -> str:
    lower = "" if GREATER_IS_BETTER.get(result.metric, True) else " (lower is better)"
    star = "  *" if result.p_adjusted < alpha else ""
    return (
        f"  {result.metric:<{width}}  {result.test:<16}  A {result.estimate_a:.4f}  "
        f"B {result.estimate_b:.4f}{lower}  effect {result.effect:+.4f} "
        f"[{result.ci_low:+.4f}, {result.ci_high:+.4f}]  p {_p(result.p_value)}  "
        f"adjusted p {_p(result.p_adjusted)}{star}"
    )


def _p(p: float) -> str:
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"
