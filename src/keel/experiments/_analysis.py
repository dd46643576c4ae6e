"""The analysis of a running experiment from a deployment's counters (serving's Tally,
summed per minute in the store): allocation, sample-ratio check, and each metric of each
arm tested against the control arm, fixed-horizon and always-valid, Holm-adjusted.

Metrics, from the counters present: ``error_rate`` (errors / requests), ``reward``
(mean of posted rewards: reward_n, reward_sum, reward_sumsq) and ``accuracy``
(label_hits / label_n). Differences are arm minus control.

Example:
    >>> import pandas as pd
    >>> rows = [(0, 1, "requests", 5000), (0, 1, "errors", 50),
    ...         (0, 2, "requests", 5000), (0, 2, "errors", 100)]
    >>> counts = pd.DataFrame(rows, columns=["minute", "version", "counter", "value"])
    >>> a = experiment_analysis(counts, expected_split={1: 50, 2: 50})
    >>> a.verdict, a.srm.verdict, round(a.metrics[0].comparison.estimate, 3)
    ('significant', 'valid', 0.01)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from keel.experiments._checks import bad, probability
from keel.experiments._fixed import Comparison, holm, proportions_ztest, welch_from_stats
from keel.experiments._sequential import msprt_means, msprt_proportions
from keel.experiments._srm import SRMResult, srm_check

__all__ = ["METRICS", "ArmMetric", "ExperimentAnalysis", "experiment_analysis"]

_WHERE = "experiments.analysis"
_COLUMNS = ("minute", "version", "counter", "value")
#: metric -> (kind, counters it needs); proportions are (successes, trials).
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "error_rate": ("proportion", ("errors", "requests")),
    "reward": ("mean", ("reward_n", "reward_sum", "reward_sumsq")),
    "accuracy": ("proportion", ("label_hits", "label_n")),
}


@dataclass(frozen=True)
class ArmMetric:
    """One metric of one arm against the control arm."""

    metric: str
    arm: int
    comparison: Comparison
    always_valid_p: float
    p_holm: float = float("nan")
    always_valid_p_holm: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return {
            "metric": self.metric, "arm": self.arm, "method": c.method,
            "control_value": c.control, "value": c.treatment, "difference": c.estimate,
            "ci_low": c.ci_low, "ci_high": c.ci_high, "p_value": c.p_value,
            "p_holm": self.p_holm, "always_valid_p": self.always_valid_p,
            "always_valid_p_holm": self.always_valid_p_holm,
        }  # fmt: skip


@dataclass(frozen=True)
class ExperimentAnalysis:
    """What ``experiment_analysis`` found; ``summary()`` is its JSON-able form."""

    arms: tuple[int, ...]
    control: int | None
    totals: dict[int, dict[str, float]]
    srm: SRMResult | None
    metrics: tuple[ArmMetric, ...]
    alpha: float
    counts: pd.DataFrame = field(repr=False)

    @property
    def allocation(self) -> dict[int, float]:
        """Each arm's share of the requests so far."""
        requests = {arm: self.totals[arm].get("requests", 0.0) for arm in self.arms}
        total = sum(requests.values())
        return {arm: (n / total if total else 0.0) for arm, n in requests.items()}

    @property
    def verdict(self) -> str:
        """ "no data", "invalid" (sample-ratio mismatch: do not read the metrics),
        "significant" (some Holm-adjusted p <= alpha) or "not significant"."""
        if not self.arms:
            return "no data"
        if self.srm is not None and not self.srm.valid:
            return "invalid"
        hit = any(m.p_holm <= self.alpha for m in self.metrics)
        return "significant" if hit else "not significant"

    def summary(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "alpha": self.alpha,
            "control": self.control,
            "arms": list(self.arms),
            "requests": {str(a): self.totals[a].get("requests", 0.0) for a in self.arms},
            "allocation": {str(a): share for a, share in self.allocation.items()},
            "srm": None if self.srm is None else self.srm.to_dict(),
            "metrics": [m.to_dict() for m in self.metrics],
        }

    def to_html(self, path: str | Path, *, title: str = "Experiment report") -> Path:
        """Write a self-contained HTML report (inline SVG plots) to ``path``."""
        from keel.experiments._report import write_html

        return write_html(self, Path(path), title=title)


def _validated(counts: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _COLUMNS if c not in counts.columns]
    if missing:
        raise bad(
            "counts", _WHERE, f"a DataFrame with columns {list(_COLUMNS)}", list(counts.columns)
        )
    frame = counts.loc[:, list(_COLUMNS)].copy()
    frame["version"] = frame["version"].astype(int)
    frame["minute"] = frame["minute"].astype(int)
    frame["value"] = frame["value"].astype(float)
    return frame


def _compare(
    kind: str, need: tuple[str, ...], a: Mapping[str, float], b: Mapping[str, float], alpha: float
) -> tuple[Comparison, float] | None:
    va, vb = [a.get(c, 0.0) for c in need], [b.get(c, 0.0) for c in need]
    if kind == "proportion":
        if va[1] <= 0 or vb[1] <= 0:
            return None
        fixed = proportions_ztest(va[0], va[1], vb[0], vb[1], alpha=alpha)
        seq = msprt_proportions(va[0], va[1], vb[0], vb[1], alternative="two-sided")
    else:
        if va[0] < 2 or vb[0] < 2:
            return None
        fixed = welch_from_stats(*va, *vb, alpha=alpha)
        seq = msprt_means(*va, *vb, alternative="two-sided")
    return fixed, float(seq.p_value)


def _metrics(
    arms: tuple[int, ...], control: int, totals: dict[int, dict[str, float]], alpha: float
) -> tuple[ArmMetric, ...]:
    found = []
    for name, (kind, need) in METRICS.items():
        for arm in arms:
            result = (
                None
                if arm == control
                else _compare(kind, need, totals[control], totals[arm], alpha)
            )
            if result is not None:
                found.append(ArmMetric(name, arm, *result))
    fixed_holm = holm([m.comparison.p_value for m in found])
    valid_holm = holm([m.always_valid_p for m in found])
    return tuple(
        ArmMetric(m.metric, m.arm, m.comparison, m.always_valid_p, p1, p2)
        for m, p1, p2 in zip(found, fixed_holm, valid_holm, strict=True)
    )


def experiment_analysis(
    counts: pd.DataFrame,
    *,
    expected_split: Mapping[int, float] | None = None,
    alpha: float = 0.05,
    control: int | None = None,
) -> ExperimentAnalysis:
    """Analyse a deployment's counters.

    Args:
        counts: long DataFrame with columns minute, version, counter, value (the store's
            per-minute counter increments, summed over replicas).
        expected_split: the planned weights per version (shares or percentages); when
            given, the sample-ratio check runs on the arms' requests.
        alpha: level of the tests, of the verdict and of the intervals.
        control: the arm the others are compared with; default the first of
            ``expected_split``, else the lowest version.
    """
    probability("alpha", alpha, _WHERE)
    frame = _validated(counts)
    sums = frame.groupby(["version", "counter"])["value"].sum()
    totals: dict[int, dict[str, float]] = {}
    for (version, counter), value in sums.items():
        totals.setdefault(int(version), {})[str(counter)] = float(value)
    planned = [int(v) for v in (expected_split or {})]
    arms = tuple(dict.fromkeys(planned + sorted(totals)))
    for arm in arms:
        totals.setdefault(arm, {})
    if control is not None and control not in arms:
        raise bad("control", _WHERE, f"one of the arms {list(arms)}", control)
    first = control if control is not None else (arms[0] if arms else None)
    requests = {arm: totals[arm].get("requests", 0.0) for arm in arms}
    srm = None
    if expected_split and len(arms) >= 2 and sum(requests.values()) > 0:
        # A version that is not in the plan but got traffic is itself a mismatch.
        weights = {int(k): float(v) for k, v in expected_split.items()}
        srm = srm_check(requests, {arm: weights.get(arm, 0.0) for arm in arms})
    metrics = _metrics(arms, first, totals, alpha) if first is not None else ()
    return ExperimentAnalysis(arms, first, totals, srm, metrics, alpha, frame)
