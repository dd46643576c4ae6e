"""Online-experiment statistics: design (power, sample size, duration), fixed-horizon
tests, always-valid sequential tests (mSPRT), sample-ratio-mismatch checks, bandit
policies, and the analysis of a deployment's counters. Only numpy, scipy and pandas at
run time (matplotlib for the HTML report); each name loads its module on first use.

Example:
    >>> from keel.experiments import sample_size_proportions, srm_check
    >>> sample_size_proportions(0.10, 0.12).n_control
    3835
    >>> srm_check({"a": 10_000, "b": 10_100}, {"a": 50, "b": 50}).verdict
    'valid'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "UCB1",
    "BanditPolicy",
    "Comparison",
    "CupedResult",
    "ExperimentAnalysis",
    "SRMResult",
    "SampleSize",
    "SequentialResult",
    "ThompsonSampling",
    "bandit_policy",
    "cuped",
    "design_experiment",
    "duration_days",
    "experiment_analysis",
    "holm",
    "mde_means",
    "mde_proportions",
    "msprt_means",
    "msprt_normal",
    "msprt_proportion",
    "msprt_proportions",
    "proportions_ztest",
    "ratio_delta",
    "sample_size_means",
    "sample_size_proportions",
    "srm_check",
    "welch_from_stats",
    "welch_ttest",
]

_MODULES = {
    "keel.experiments._bandits": ("UCB1", "BanditPolicy", "ThompsonSampling", "bandit_policy"),
    "keel.experiments._design": (
        "SampleSize", "duration_days", "mde_means", "mde_proportions", "sample_size_means",
        "sample_size_proportions",
    ),
    "keel.experiments._fixed": (
        "Comparison", "holm", "proportions_ztest", "welch_from_stats", "welch_ttest",
    ),
    "keel.experiments._ratio": ("CupedResult", "cuped", "ratio_delta"),
    "keel.experiments._sequential": (
        "SequentialResult", "msprt_means", "msprt_normal", "msprt_proportion",
        "msprt_proportions",
    ),
    "keel.experiments._srm": ("SRMResult", "srm_check"),
    "keel.experiments._analysis": ("ExperimentAnalysis", "experiment_analysis"),
    "keel.experiments._plan": ("design_experiment",),
}  # fmt: skip
# Public name -> private module, loaded on first use.
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

if TYPE_CHECKING:
    from keel.experiments._analysis import ExperimentAnalysis, experiment_analysis
    from keel.experiments._bandits import UCB1, BanditPolicy, ThompsonSampling, bandit_policy
    from keel.experiments._design import (
        SampleSize,
        duration_days,
        mde_means,
        mde_proportions,
        sample_size_means,
        sample_size_proportions,
    )
    from keel.experiments._fixed import (
        Comparison,
        holm,
        proportions_ztest,
        welch_from_stats,
        welch_ttest,
    )
    from keel.experiments._plan import design_experiment
    from keel.experiments._ratio import CupedResult, cuped, ratio_delta
    from keel.experiments._sequential import (
        SequentialResult,
        msprt_means,
        msprt_normal,
        msprt_proportion,
        msprt_proportions,
    )
    from keel.experiments._srm import SRMResult, srm_check


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'keel.experiments' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
