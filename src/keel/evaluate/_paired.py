"""Paired tests of two models on the same rows: McNemar's test and the paired bootstrap.

Both return a ``TestResult`` whose ``effect`` is the improvement of B over A (positive
when B is better; for losses, a - b).

Example:
    >>> import numpy as np
    >>> from keel.evaluate._outcomes import outcomes
    >>> y = [0, 1, 1, 0, 1, 0]
    >>> a = outcomes(y, np.array([0.6, 0.7, 0.4, 0.3, 0.8, 0.2]), task="binary")
    >>> b = outcomes(y, np.array([0.1, 0.7, 0.6, 0.3, 0.8, 0.2]), task="binary")
    >>> result = mcnemar(a, b)
    >>> round(result.effect, 4), result.p_value
    (0.3333, 0.5)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from keel.errors import EvaluationError
from keel.evaluate._bootstrap import (
    bootstrap_p_value,
    check_confidence,
    check_resamples,
    percentile_interval,
    resample_scores,
)
from keel.evaluate._metrics import check_metric_names
from keel.evaluate._metrics_weighted import GREATER_IS_BETTER, Scorer, scorer
from keel.evaluate._outcomes import Outcomes
from keel.evaluate._paired_result import TestResult, check_same_rows

__all__ = ["mcnemar", "paired_bootstrap"]

# Below this many discordant pairs the chi-square approximation is poor; statsmodels'
# and Fagerland et al. (2013)'s advice alike is the exact binomial test there.
EXACT_BELOW = 25


def mcnemar(a: Outcomes, b: Outcomes, *, confidence: float = 0.95) -> TestResult:
    """McNemar's test of equal accuracy, from the rows exactly one model gets right.

    The exact binomial test when fewer than 25 rows are discordant, else the chi-square
    test with continuity correction (as statsmodels' ``mcnemar(exact=..., correction=True)``).
    The interval of the accuracy difference is Newcombe's (1998, method 10) hybrid score
    interval for paired proportions, which stays inside [-1, 1] and is sound for small counts.

    Raises:
        EvaluationError: the outcomes are not on the same rows, or are regression outcomes.
    """
    check_same_rows(a, b)
    check_confidence(confidence)
    if not a.is_classification:
        raise EvaluationError(
            "McNemar's test compares which rows each classifier gets right; these are "
            "regression outcomes. Use paired_bootstrap(a, b, 'rmse') instead.",
            field="task",
        )
    right_a, right_b = a.predicted == a.y, b.predicted == b.y
    only_a = int(np.count_nonzero(right_a & ~right_b))
    only_b = int(np.count_nonzero(right_b & ~right_a))
    both = int(np.count_nonzero(right_a & right_b))
    statistic, p_value, how = _mcnemar_test(only_a, only_b)
    low, high = newcombe_interval(both, only_b, only_a, a.n - both - only_a - only_b, confidence)
    note = (
        f"{how} on {only_a + only_b} discordant rows ({only_a} only A right, {only_b} only "
        f"B right); {confidence:.0%} Newcombe hybrid score interval of accuracy B - A"
    )
    return TestResult(
        test="mcnemar",
        metric="accuracy",
        estimate_a=float(right_a.mean()),
        estimate_b=float(right_b.mean()),
        effect=(only_b - only_a) / a.n,
        ci_low=low,
        ci_high=high,
        statistic=statistic,
        p_value=p_value,
        p_adjusted=p_value,
        n=a.n,
        note=note,
    )


def _mcnemar_test(only_a: int, only_b: int) -> tuple[float, float, str]:
    discordant = only_a + only_b
    if discordant < EXACT_BELOW:
        smaller = min(only_a, only_b)
        p_value = min(1.0, 2.0 * float(stats.binom.cdf(smaller, discordant, 0.5)))
        return float(smaller), p_value, "exact binomial test"
    chi_square = (abs(only_a - only_b) - 1) ** 2 / discordant
    return chi_square, float(stats.chi2.sf(chi_square, 1)), "chi-square test (continuity-corrected)"


def newcombe_interval(
    both: int, only_first: int, only_second: int, neither: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Newcombe's (1998) method 10 interval for p1 - p2 of paired proportions.

    ``p1 = (both + only_first) / n`` and ``p2 = (both + only_second) / n``. Square-and-add
    of the two Wilson score intervals, with the continuity-corrected correlation of the
    pairs (as Newcombe, and R's biostatUZH and contingencytables, compute it).

    Example:
        >>> [round(x, 4) for x in newcombe_interval(59, 6, 16, 80)]
        [-0.1186, -0.0046]
    """
    n = both + only_first + only_second + neither
    first, second = both + only_first, both + only_second
    p1, p2 = first / n, second / n
    low1, high1 = _wilson(first, n, confidence)
    low2, high2 = _wilson(second, n, confidence)
    phi = _pair_correlation(both, only_first, only_second, neither)
    drop = math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2 - 2 * phi * (p1 - low1) * (high2 - p2))
    rise = math.sqrt((p2 - low2) ** 2 + (high1 - p1) ** 2 - 2 * phi * (p2 - low2) * (high1 - p1))
    return p1 - p2 - drop, p1 - p2 + rise


def _wilson(successes: int, n: int, confidence: float) -> tuple[float, float]:
    interval = stats.binomtest(successes, n).proportion_ci(confidence, method="wilson")
    return float(interval.low), float(interval.high)


def _pair_correlation(both: int, only_first: int, only_second: int, neither: int) -> float:
    n = both + only_first + only_second + neither
    margins = (both + only_first, only_second + neither, both + only_second, only_first + neither)
    if 0 in margins:
        return 0.0
    agreement = both * neither - only_first * only_second
    # Newcombe's continuity correction: a positive association is shrunk by n/2.
    if 0 <= agreement <= n / 2:
        return 0.0
    corrected = agreement - n / 2 if agreement > 0 else agreement
    return corrected / math.sqrt(math.prod(margins))


def paired_bootstrap(
    a: Outcomes,
    b: Outcomes,
    metric: str,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> TestResult:
    """Bootstrap the difference in ``metric`` with the same resampled rows for both models.

    The interval is the percentile interval of the resampled improvements of B over A; the
    two-sided p-value is twice the smaller share of resamples on either side of zero, each
    with the +1 correction (``bootstrap_p_value``). Resamples where the metric is
    undefined for either model are left out and counted in the note.

    Raises:
        EvaluationError: different rows, an unknown metric, a metric undefined on all rows,
            n_resamples below 1.
    """
    check_same_rows(a, b)
    (name,) = check_metric_names(a.task, [metric])
    check_resamples(n_resamples)
    check_confidence(confidence)
    scorers = [scorer(a, [name]), scorer(b, [name])]
    value_a, value_b = (
        _point(score, a.n, name, model) for score, model in zip(scorers, "AB", strict=True)
    )
    resampled = resample_scores(scorers, a.n, n_resamples, seed)
    sign = 1.0 if GREATER_IS_BETTER[name] else -1.0
    # + 0.0 turns the -0.0 of an unchanged loss into 0.0 for the report.
    improvements = sign * (resampled[1][name] - resampled[0][name]) + 0.0
    low, high, undefined = percentile_interval(improvements, confidence)
    note = (
        f"{confidence:.0%} percentile interval and p-value from {n_resamples} paired "
        f"resamples (seed {seed}, {undefined} undefined); effect is "
        + ("B - A" if sign > 0 else "A - B, lower is better")
    )
    p_value = bootstrap_p_value(improvements)
    return TestResult(
        test="paired_bootstrap",
        metric=name,
        estimate_a=value_a,
        estimate_b=value_b,
        effect=sign * (value_b - value_a) + 0.0,
        ci_low=low,
        ci_high=high,
        statistic=math.nan,
        p_value=p_value,
        p_adjusted=p_value,
        n=a.n,
        note=note,
    )


def _point(score: Scorer, n: int, name: str, model: str) -> float:
    value = float(score(np.ones((1, n)))[name][0])
    if math.isnan(value):
        raise EvaluationError(
            f"{name} is undefined on model {model}'s rows (for ROC AUC and average precision: "
            "a class has no row). Compare on rows that hold every class.",
            field="metric",
        )
    return value
