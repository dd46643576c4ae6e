"""Feature importance and partial dependence plots (SVG).

Example:
    >>> importance_plot(["age", "income"], [0.3, 0.1]).format
    'svg'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from keel.evaluate._plots import Plot, render, require, sample_rows, shorten

__all__ = ["importance_plot", "pdp_plot"]

MAX_ICE_LINES = 50


def importance_plot(
    names: Sequence[str], values: Any, errors: Any = None, *, max_features: int = 20
) -> Plot:
    """Horizontal bars of feature importance, largest on top, with optional error bars
    (e.g. the standard deviation of permutation importance), for the top ``max_features``."""
    importance = np.asarray(values, dtype=np.float64)
    spread = None if errors is None else np.asarray(errors, dtype=np.float64)
    require(
        importance.ndim == 1
        and len(names) == importance.size
        and (spread is None or spread.shape == importance.shape),
        f"names, values and errors must be one per feature; got {len(names)} names, values "
        f"of shape {importance.shape} and errors of shape {getattr(spread, 'shape', None)}.",
        "importance",
    )
    top = np.argsort(-importance, kind="stable")[:max_features][::-1]
    whiskers = None if spread is None else spread[top]

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        axes.barh(range(top.size), importance[top], xerr=whiskers, color="tab:blue", capsize=2)
        axes.set_yticks(range(top.size), [shorten(names[i], 40) for i in top])
        axes.set(xlabel="Importance")

    return render("Feature importance", draw, size=(6.5, 1.2 + 0.3 * top.size))


def pdp_plot(
    grid: Any, average: Any, individual: Any = None, *, feature: str = "", seed: int = 0
) -> Plot:
    """Partial dependence: the average prediction as one feature moves over ``grid``.

    Args:
        grid: the feature's values, one per grid point (numbers, or categories).
        average: the average prediction at each grid point.
        individual: ICE curves, array of shape (n_samples, n_grid); 50 drawn behind.
        feature: the feature's name, for the title and axis.

    Example:
        >>> pdp_plot([0.0, 0.5, 1.0], [0.2, 0.3, 0.6], feature="age").title
        'Partial dependence: age'
    """
    points, mean = np.asarray(grid), np.asarray(average, dtype=np.float64)
    ice = None if individual is None else np.asarray(individual, dtype=np.float64)
    require(
        points.ndim == 1
        and mean.shape == points.shape
        and (ice is None or (ice.ndim == 2 and ice.shape[1] == points.size)),
        "grid and average must be one value per grid point, individual (rows, grid points); "
        f"got {points.shape}, {mean.shape} and {getattr(ice, 'shape', None)}.",
        "pdp",
    )
    numeric = np.issubdtype(points.dtype, np.number)
    x = points.astype(np.float64) if numeric else np.arange(points.size)
    lines = None if ice is None else ice[sample_rows(ice.shape[0], MAX_ICE_LINES, seed)]

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        if lines is not None:
            axes.plot(x, lines.T, color="grey", alpha=0.25, linewidth=0.6)
        axes.plot(x, mean, color="tab:blue", linewidth=2, marker=None if numeric else "o")
        axes.set(xlabel=shorten(feature or "Feature value"), ylabel="Prediction")
        if not numeric:
            axes.set_xticks(x, [shorten(p, 16) for p in points], rotation=45, ha="right")

    title = f"Partial dependence: {feature}" if feature else "Partial dependence"
    return render(title, draw, size=(5.5, 4.0))
