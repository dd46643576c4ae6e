"""Where a model is wrong: the confusion matrix (SVG) and regression residuals (PNG, since
a scatter of thousands of points is lighter as pixels than as SVG elements).

Example:
    >>> import numpy as np
    >>> from keel.evaluate._outcomes import outcomes
    >>> scored = outcomes([1.0, 2.0, 3.0], np.array([1.1, 1.8, 3.3]), task="regression")
    >>> residuals_plot(scored).format
    'png'
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix

from keel.evaluate._outcomes import Outcomes
from keel.evaluate._plots import Plot, render, require, sample_rows, shorten

__all__ = ["confusion_matrix_plot", "residuals_plot"]

# Past this many classes the cell counts no longer fit their cells.
MAX_ANNOTATED_CLASSES = 12


def confusion_matrix_plot(o: Outcomes) -> Plot:
    """Confusion matrix as counts and row-normalized (each true class's rows sum to 1).

    Example:
        >>> import numpy as np
        >>> from keel.evaluate._outcomes import outcomes
        >>> scored = outcomes(["a", "b", "b"], np.eye(2)[[0, 1, 0]], classes=["a", "b"])
        >>> confusion_matrix_plot(scored).title
        'Confusion matrix'
    """
    require(
        o.is_classification,
        f"A confusion matrix is for classification; this task is {o.task}.",
        "task",
    )
    k = len(o.classes)
    counts = confusion_matrix(o.y, o.predicted, labels=np.arange(k))
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    labels = [shorten(label, 16) for label in o.classes]

    def draw(figure: Figure) -> None:
        left, right = figure.subplots(1, 2)
        _matrix(left, counts, labels, "Counts", "d")
        _matrix(right, shares, labels, "Share of each true class", ".2f")

    side = min(12.0, 4.0 + 0.3 * k)
    return render("Confusion matrix", draw, size=(2 * side, side * 0.85))


def residuals_plot(o: Outcomes, *, seed: int = 0) -> Plot:
    """Residual (actual - predicted) against predicted, and predicted against actual.

    At most 5,000 rows are drawn, chosen at random with ``seed``.
    """
    require(
        o.task == "regression", f"A residual plot is for regression; this task is {o.task}.", "task"
    )
    rows = sample_rows(o.n, seed=seed)
    actual, predicted = o.y[rows], o.output[rows]
    alpha = float(np.clip(300 / rows.size, 0.15, 0.8))

    def draw(figure: Figure) -> None:
        left, right = figure.subplots(1, 2)
        left.scatter(predicted, actual - predicted, s=6, alpha=alpha, linewidths=0)
        left.axhline(0.0, color="grey", linestyle="--", linewidth=0.8)
        left.set(xlabel="Predicted", ylabel="Residual (actual - predicted)")
        right.scatter(actual, predicted, s=6, alpha=alpha, linewidths=0)
        low, high = min(actual.min(), predicted.min()), max(actual.max(), predicted.max())
        right.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=0.8)
        right.set(xlabel="Actual", ylabel="Predicted")

    title = "Residuals" if rows.size == o.n else f"Residuals ({rows.size} of {o.n} rows)"
    return render(title, draw, size=(10.0, 4.2), png=True)


def _matrix(axes: Axes, values: np.ndarray, labels: list[str], title: str, fmt: str) -> None:
    # No colorbar: the cells carry their numbers, and a colorbar doubles the layout time.
    axes.imshow(values, cmap="Blues", vmin=0)
    k = len(labels)
    axes.set(title=title, xlabel="Predicted", ylabel="True", xticks=range(k), yticks=range(k))
    axes.set_xticklabels(labels, rotation=45 if k > 3 else 0, ha="right" if k > 3 else "center")
    axes.set_yticklabels(labels)
    axes.grid(False)
    if k > MAX_ANNOTATED_CLASSES:
        return
    middle = values.max() / 2
    for (i, j), value in np.ndenumerate(values):
        color = "white" if value > middle else "black"
        axes.text(j, i, format(value, fmt), ha="center", va="center", color=color, fontsize=8)
