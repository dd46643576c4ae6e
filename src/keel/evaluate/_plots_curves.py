"""Threshold curves and calibration: ROC, precision-recall and the reliability diagram.

Multiclass curves are one-vs-rest, one line per class (the most frequent classes when
there are many). All three are SVG.

Example:
    >>> import numpy as np
    >>> from keel.evaluate._outcomes import outcomes
    >>> scored = outcomes([0, 1, 1, 0], np.array([0.1, 0.8, 0.6, 0.3]), classes=[0, 1])
    >>> roc_curve_plot(scored).title
    'ROC curve'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

from keel.evaluate._outcomes import Outcomes
from keel.evaluate._plots import Plot, render, require, shorten

__all__ = ["calibration_plot", "pr_curve_plot", "roc_curve_plot"]

# More one-vs-rest lines than this make a plot nobody can read.
MAX_CURVES = 10


def roc_curve_plot(o: Outcomes) -> Plot:
    """ROC curve (binary), or one-vs-rest ROC curves per class (multiclass), with AUCs."""

    def draw(axes: Axes, truth: np.ndarray, scores: np.ndarray, label: str) -> None:
        fpr, tpr, _ = roc_curve(truth, scores)
        axes.plot(fpr, tpr, label=f"{label}AUC {auc(fpr, tpr):.3f}")

    def frame(axes: Axes) -> None:
        axes.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8, label="chance")
        axes.set(xlabel="False positive rate", ylabel="True positive rate")

    return _curves(o, "ROC curve", draw, frame, legend="lower right")


def pr_curve_plot(o: Outcomes) -> Plot:
    """Precision-recall curve(s) with average precision and the no-skill baseline (the
    positive rate, dotted).

    Example:
        >>> import numpy as np
        >>> from keel.evaluate._outcomes import outcomes
        >>> scored = outcomes([0, 1, 1, 0], np.array([0.1, 0.8, 0.6, 0.3]), classes=[0, 1])
        >>> pr_curve_plot(scored).format
        'svg'
    """

    def draw(axes: Axes, truth: np.ndarray, scores: np.ndarray, label: str) -> None:
        precision, recall, _ = precision_recall_curve(truth, scores)
        score = average_precision_score(truth, scores)
        (line,) = axes.plot(
            recall, precision, drawstyle="steps-post", label=f"{label}AP {score:.3f}"
        )
        axes.axhline(truth.mean(), linestyle=":", color=line.get_color(), linewidth=0.8)

    def frame(axes: Axes) -> None:
        axes.set(xlabel="Recall", ylabel="Precision", ylim=(0, 1.02))

    return _curves(o, "Precision-recall curve", draw, frame, legend="lower left")


def calibration_plot(mean_predicted: Any, observed: Any, counts: Any) -> Plot:
    """Reliability diagram: observed frequency against mean predicted probability per bin,
    the diagonal of perfect calibration, and the rows per bin underneath.

    Args:
        mean_predicted, observed, counts: one value per bin (bins with no rows may be NaN).

    Example:
        >>> calibration_plot([0.1, 0.5, 0.9], [0.12, 0.45, 0.93], [40, 25, 35]).title
        'Calibration (reliability diagram)'
    """
    predicted, frequency, count = (
        np.asarray(v, dtype=np.float64) for v in (mean_predicted, observed, counts)
    )
    require(
        predicted.ndim == 1 and predicted.shape == frequency.shape == count.shape,
        "mean_predicted, observed and counts must be one value per bin, of equal length; got "
        f"shapes {predicted.shape}, {frequency.shape} and {count.shape}.",
        "calibration",
    )
    filled = np.isfinite(predicted) & np.isfinite(frequency) & (count > 0)
    width = 0.8 / max(1, predicted.size)

    def draw(figure: Figure) -> None:
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
        top.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8, label="perfect")
        top.plot(predicted[filled], frequency[filled], marker="o", label="model")
        top.set(ylabel="Observed frequency", xlim=(0, 1), ylim=(0, 1))
        top.legend(loc="upper left")
        bottom.bar(predicted[filled], count[filled], width=width, color="tab:blue", alpha=0.6)
        bottom.set(xlabel="Mean predicted probability", ylabel="Rows")

    return render("Calibration (reliability diagram)", draw, size=(5.5, 5.0))


def _curves(
    o: Outcomes,
    title: str,
    draw: Callable[[Axes, np.ndarray, np.ndarray, str], None],
    frame: Callable[[Axes], None],
    legend: Literal["lower right", "lower left"],
) -> Plot:
    require(
        o.is_classification,
        f"A {title} needs class probabilities; this task is {o.task}.",
        "task",
    )
    lines = _one_vs_rest(o)

    def plot(figure: Figure) -> None:
        axes = figure.add_subplot()
        for truth, scores, label in lines:
            if 0 < truth.sum() < truth.size:  # a curve needs both outcomes
                draw(axes, truth, scores, label)
        frame(axes)
        axes.set(xlim=(0, 1))
        axes.legend(loc=legend)

    if o.task == "multiclass" and len(lines) < len(o.classes):
        title += f" ({len(lines)} most frequent of {len(o.classes)} classes)"
    return render(title, plot, size=(5.5, 4.5))


def _one_vs_rest(o: Outcomes) -> list[tuple[np.ndarray, np.ndarray, str]]:
    if o.task == "binary":
        return [(o.y == 1, o.output[:, 1], "")]
    frequent = np.argsort(-np.bincount(o.y, minlength=len(o.classes)), kind="stable")
    return [
        (o.y == code, o.output[:, code], f"{shorten(o.classes[code], 24)}: ")
        for code in sorted(frequent[:MAX_CURVES])
    ]
