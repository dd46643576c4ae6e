"""One call that answers the questions asked before an experiment starts, for
``keel experiments design``: how many units, or how small an effect, and how many days.

Example:
    >>> d = design_experiment(baseline=0.10, mde=0.01, daily_units=4000, share=0.5)
    >>> d["n_control"], d["total"], d["days"]
    (14745, 29490, 15)
    >>> round(design_experiment(baseline=0.10, n_control=14745)["mde"], 4)
    0.01
"""

from __future__ import annotations

from typing import Any

from keel.experiments._checks import bad, positive, probability
from keel.experiments._design import (
    cohen_h,
    duration_days,
    mde_means,
    mde_proportions,
    sample_size_means,
    sample_size_proportions,
)

__all__ = ["design_experiment"]

_WHERE = "experiments.design"


def _mde(
    metric: str, baseline: float | None, sd: float | None, n: int, opts: dict[str, Any]
) -> tuple[float, float]:
    """(absolute mde, effect size) detectable with ``n`` control units."""
    if metric == "proportion":
        assert baseline is not None
        mde = mde_proportions(baseline, n, **opts)
        return mde, cohen_h(baseline, baseline + mde)
    assert sd is not None
    mde = mde_means(n, sd=sd, **opts)
    return mde, mde / sd


def design_experiment(
    *,
    metric: str = "proportion",
    baseline: float | None = None,
    sd: float | None = None,
    mde: float | None = None,
    relative: bool = False,
    n_control: int | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    daily_units: float | None = None,
    share: float = 1.0,
) -> dict[str, Any]:
    """Sample size per arm for ``mde`` (or, given ``n_control``, the smallest detectable
    effect) and, with ``daily_units``, the days needed. JSON-able dict.

    Args:
        metric: "proportion" (a rate such as conversion; needs ``baseline``) or "mean"
            (needs ``sd``, the unit-level standard deviation).
        mde: the difference to detect, absolute, or relative to ``baseline`` when
            ``relative`` (0.05 = a 5 % lift).
        share: the share of daily units that enter the experiment.
    """
    if metric not in ("proportion", "mean"):
        raise bad("metric", _WHERE, "'proportion' or 'mean'", metric)
    if (mde is None) == (n_control is None):
        raise bad("mde", _WHERE, "given, or else n_control given (exactly one of them)", mde)
    if metric == "proportion":
        baseline = probability(
            "baseline", baseline if baseline is not None else float("nan"), _WHERE
        )
    else:
        sd = positive("sd", sd if sd is not None else float("nan"), _WHERE)
    opts: dict[str, Any] = {
        "alpha": alpha,
        "power": power,
        "ratio": ratio,
        "alternative": alternative,
    }
    if mde is not None:
        if relative:
            if baseline is None or baseline == 0:
                raise bad("baseline", _WHERE, "a non-zero number for a relative mde", baseline)
            mde = mde * baseline
        if metric == "proportion":
            assert baseline is not None
            size = sample_size_proportions(
                baseline, probability("baseline + mde", baseline + mde, _WHERE), **opts
            )
        else:
            assert sd is not None
            size = sample_size_means(mde, sd=sd, **opts)
        n1, n2, effect = size.n_control, size.n_treatment, size.effect_size
    else:
        assert n_control is not None
        n1, n2 = n_control, round(n_control * ratio)
        mde, effect = _mde(metric, baseline, sd, n_control, opts)
    days = (
        None
        if daily_units is None
        else duration_days(n1 + n2, daily_units=daily_units, share=share)
    )
    return {
        "metric": metric, "baseline": baseline, "sd": sd, "mde": mde, "effect_size": effect,
        "alpha": alpha, "power": power, "ratio": ratio, "alternative": alternative,
        "n_control": n1, "n_treatment": n2, "total": n1 + n2, "daily_units": daily_units,
        "share": share, "days": days,
    }  # fmt: skip
