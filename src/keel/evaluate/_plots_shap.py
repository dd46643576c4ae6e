"""SHAP summary: a beeswarm of each row's SHAP value per feature, colored by the feature's
value, beside the mean |SHAP| per feature. PNG, since it draws thousands of dots.

Example:
    >>> import numpy as np
    >>> values = np.random.default_rng(0).normal(size=(50, 3))
    >>> shap_summary_plot(values, feature_names=["age", "income", "tenure"]).format
    'png'
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from keel.evaluate._plots import Plot, render, require, sample_rows, shorten

__all__ = ["shap_summary_plot"]

# Rows a beeswarm draws per feature; more dots only pile up on the same pixels.
MAX_SWARM_ROWS = 2_000


def shap_summary_plot(
    values: Any,
    data: pd.DataFrame | np.ndarray | None = None,
    feature_names: Sequence[str] | None = None,
    *,
    max_features: int = 15,
    seed: int = 0,
) -> Plot:
    """SHAP beeswarm and mean |SHAP| bars for the ``max_features`` strongest features.

    Args:
        values: SHAP values, array of shape (n_samples, n_features), for one output.
        data: the feature values of the same rows (they color the dots); grey when None.
        feature_names: one per column; ``data``'s columns when None.
        seed: which rows are drawn when there are more than 2,000.

    The beeswarm is drawn here because ``shap.plots.beeswarm`` draws on pyplot's global
    figure; its layout (dots stacked within value bins) is a few lines.
    """
    shap = np.asarray(values, dtype=np.float64)
    require(
        shap.ndim == 2 and shap.size > 0 and bool(np.isfinite(shap).all()),
        "SHAP values must be a non-empty matrix (rows, features) of finite numbers; got "
        f"shape {shap.shape}.",
        "values",
    )
    names, frame = _names(shap, data, feature_names), _frame(data, shap.shape)
    strength = np.abs(shap).mean(axis=0)
    top = np.argsort(-strength, kind="stable")[:max_features][::-1]  # strongest on top
    rows = sample_rows(shap.shape[0], MAX_SWARM_ROWS, seed)
    colors = _color_values(None if frame is None else frame.iloc[rows], (rows.size, shap.shape[1]))
    swarm_values, swarm_colors = shap[rows][:, top], colors[:, top]

    def draw(figure: Figure) -> None:
        swarm, bars = figure.subplots(1, 2, width_ratios=(3, 1), sharey=True)
        dots = _beeswarm(swarm, swarm_values, swarm_colors, np.random.default_rng(seed))
        swarm.set_yticks(range(top.size), [shorten(names[f], 32) for f in top])
        if frame is not None:
            figure.colorbar(
                dots,
                ax=swarm,
                label="Feature value (low to high)",
                ticks=[],
                fraction=0.03,
                aspect=40,
            )
        bars.barh(range(top.size), strength[top], color="tab:blue")
        bars.set(xlabel="Mean |SHAP|")

    return render("SHAP summary", draw, size=(10.0, 1.2 + 0.35 * top.size), png=True)


def _names(shap: np.ndarray, data: Any, feature_names: Sequence[str] | None) -> list[str]:
    if feature_names is None and isinstance(data, pd.DataFrame):
        feature_names = list(data.columns)
    if feature_names is None:
        feature_names = [f"x{i}" for i in range(shap.shape[1])]
    names = [str(name) for name in feature_names]
    require(
        len(names) == shap.shape[1],
        f"Got {len(names)} feature names for {shap.shape[1]} SHAP columns; give one per column.",
        "feature_names",
    )
    return names


def _frame(data: Any, shape: tuple[int, ...]) -> pd.DataFrame | None:
    if data is None:
        return None
    frame = pd.DataFrame(data)
    require(
        frame.shape == shape,
        f"data has shape {frame.shape}; it must match the SHAP values' {shape} (the same "
        "rows and features).",
        "data",
    )
    return frame


def _color_values(frame: pd.DataFrame | None, shape: tuple[int, int]) -> np.ndarray:
    """Each feature's values scaled to [0, 1] by its 5th-95th percentiles; NaN (drawn grey)
    without data or where a value is not a number."""
    if frame is None:
        return np.full(shape, np.nan)
    numeric = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column stays grey
        low, high = np.nanpercentile(numeric, [5, 95], axis=0)
        return np.clip((numeric - low) / np.where(high > low, high - low, 1.0), 0.0, 1.0)


def _beeswarm(axes: Axes, values: np.ndarray, colors: np.ndarray, rng: np.random.Generator) -> Any:
    """One row of dots per column of ``values``."""
    heights = [p + _swarm_offsets(values[:, p], rng) for p in range(values.shape[1])]
    # One collection for every feature: drawing costs per collection as well as per dot.
    dots = axes.scatter(
        values.T.ravel(),
        np.concatenate(heights),
        c=colors.T.ravel(),
        cmap=matplotlib.colormaps["coolwarm"].with_extremes(bad="#9e9e9e"),
        vmin=0,
        vmax=1,
        s=5,
        linewidths=0,
        plotnonfinite=True,
    )
    axes.axvline(0.0, color="grey", linewidth=0.8)
    axes.set(xlabel="SHAP value (impact on output)")
    return dots


def _swarm_offsets(points: np.ndarray, rng: np.random.Generator, bins: int = 40) -> np.ndarray:
    """Vertical offsets in [-0.4, 0.4] that stack the dots sharing a value bin, as shap's
    beeswarm does (in random order within the bin)."""
    span = points.max() - points.min()
    bin_of = np.floor((points - points.min()) / (span or 1.0) * (bins - 1)).astype(np.int64)
    order = np.lexsort((rng.random(points.size), bin_of))
    starts = np.searchsorted(bin_of[order], bin_of[order], side="left")
    rank = np.empty(points.size, dtype=np.int64)
    rank[order] = np.arange(points.size) - starts
    offsets = np.ceil(rank / 2) * np.where(rank % 2 == 1, 1.0, -1.0)
    return offsets * 0.4 / max(1.0, np.abs(offsets).max())
