"""The algorithm catalog: every family keel can search, by name, cheapest first.

Example:
    >>> [algorithm.name for algorithm in algorithms_for("regression", ["xgboost", "linear"])]
    ['linear', 'xgboost']
    >>> get_algorithm("lightgbm").iterative
    True
"""

from __future__ import annotations

from keel.errors import TrainError
from keel.train._catalog_base import Algorithm
from keel.train._catalog_boosting import LightGBM, XGBoost
from keel.train._catalog_catboost import CatBoost
from keel.train._catalog_common import MAX_ROUNDS, REPORT_EVERY, OnRound, sample_weight
from keel.train._catalog_linear import KNN, Linear, Logistic
from keel.train._catalog_trees import Forest, HistGradientBoosting

__all__ = [
    "ALGORITHMS",
    "MAX_ROUNDS",
    "REPORT_EVERY",
    "Algorithm",
    "OnRound",
    "algorithms_for",
    "get_algorithm",
    "sample_weight",
]

_CLASSIFICATION = frozenset({"binary", "multiclass"})
_ALL = frozenset({"binary", "multiclass", "regression"})

# cost ranks the families by the time of one default fit (1 thread, 8,000 rows x 20
# features, binary / multiclass / regression), measured with catboost 1.2.10 installed:
# logistic and ridge 0.02 s, knn 0.05 s, LightGBM, HistGradientBoosting and XGBoost
# 0.25 / 0.9 / 0.3 s per 100 rounds (LightGBM's rounds a little cheaper, and XGBoost's
# lr 0.3 stops earlier), extra trees 0.6 / 0.7 / 2.4 s, random forest 1.7 / 1.8 / 6.0 s,
# CatBoost early-stopped 2.7 / 10.6 / 2.2 s. Read it as a rank more than a ratio.
_CATALOG: list[Algorithm] = [
    Logistic("logistic", _CLASSIFICATION, cost=1),
    Linear("linear", frozenset({"regression"}), cost=1),
    KNN("knn", _ALL, cost=2),
    LightGBM("lightgbm", _ALL, cost=3, iterative=True),
    HistGradientBoosting("hist_gradient_boosting", _ALL, cost=4, iterative=True),
    XGBoost("xgboost", _ALL, cost=5, iterative=True),
    Forest("extra_trees", _ALL, cost=6),
    Forest("random_forest", _ALL, cost=8),
    CatBoost("catboost", _ALL, cost=10, iterative=True, requires="catboost"),
]

#: Every family keel knows, installed or not, cheapest first.
ALGORITHMS: dict[str, Algorithm] = {
    algorithm.name: algorithm for algorithm in sorted(_CATALOG, key=lambda a: a.cost)
}


def get_algorithm(name: str) -> Algorithm:
    """The family called ``name``.

    Raises:
        TrainError: no such family, or its package is not installed (the message says what
            to install); ``.field`` is ``train.algorithms``.
    """
    algorithm = ALGORITHMS.get(name)
    if algorithm is None:
        raise TrainError(
            f"The 'algorithms' setting of train must list names among "
            f"{', '.join(ALGORITHMS)}. Got {name!r} instead.",
            field="train.algorithms",
        )
    if not algorithm.available:
        raise TrainError(
            f"The algorithm {name!r} needs the {algorithm.requires} package, which is not "
            f"installed: pip install {algorithm.requires}",
            field="train.algorithms",
        )
    return algorithm


def algorithms_for(task: str, names: list[str] | None = None) -> list[Algorithm]:
    """The families to search for ``task``, cheapest first: those named, or else every
    installed family that supports the task.

    Raises:
        TrainError: a named family is unknown, not installed, or does not support the task.
    """
    if names is None:
        return [a for a in ALGORITHMS.values() if task in a.tasks and a.available]
    chosen = {name: get_algorithm(name) for name in names}
    for name, algorithm in chosen.items():
        if task not in algorithm.tasks:
            fits = ", ".join(a.name for a in ALGORITHMS.values() if task in a.tasks)
            raise TrainError(
                f"The algorithm {name!r} in the 'algorithms' setting of train does not support "
                f"{task} tasks; the ones that do are {fits}.",
                field="train.algorithms",
            )
    return sorted(chosen.values(), key=lambda a: a.cost)
