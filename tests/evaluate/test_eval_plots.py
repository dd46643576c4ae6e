"""keel.evaluate's plots: each returns valid SVG or PNG, escapes hostile names, scopes its
ids, rejects malformed input with EvaluationError, and stays fast on 50k rows."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable

import matplotlib
import numpy as np
import pandas as pd
import pytest

from keel.errors import EvaluationError
from keel.evaluate._outcomes import Outcomes, outcomes
from keel.evaluate._plots import Plot, render
from keel.evaluate._plots_curves import calibration_plot, pr_curve_plot, roc_curve_plot
from keel.evaluate._plots_errors import confusion_matrix_plot, residuals_plot
from keel.evaluate._plots_explain import importance_plot, pdp_plot
from keel.evaluate._plots_groups import fairness_plot, slices_plot
from keel.evaluate._plots_shap import shap_summary_plot

HOSTILE = "<script>alert(1)</script>"
SVG = "{http://www.w3.org/2000/svg}"


def binary(n: int = 300, seed: int = 0) -> Outcomes:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return outcomes(y, np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1), classes=[0, 1])


def multiclass(n: int = 300, k: int = 4, seed: int = 0) -> Outcomes:
    rng = np.random.default_rng(seed)
    labels = np.array([f"class {i}" for i in range(k)])
    return outcomes(labels[rng.integers(0, k, n)], rng.dirichlet(np.ones(k), n), classes=labels)


def regression(n: int = 300, seed: int = 0) -> Outcomes:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    return outcomes(y, y + 0.3 * rng.normal(size=n), task="regression")


def groups_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": ["female", "male", "other"],
            "selection_rate": [0.31, 0.42, 0.12],
            "tpr": [0.7, 0.8, 0.5],
            "fpr": [0.1, 0.12, 0.3],
            "flag": [False, False, True],
            "n": [140, 150, 10],
        }
    )


def slices() -> list[dict[str, object]]:
    return [
        {
            "description": f"age >= {20 + 10 * i}",
            "error": 0.2 + 0.03 * i,
            "overall_error": 0.18,
            "ci_low": 0.15 + 0.03 * i,
            "ci_high": None if i == 2 else 0.25 + 0.03 * i,
            "size": 100 - 10 * i,
        }
        for i in range(4)
    ]


def all_plots(n: int = 300) -> dict[str, Callable[[], Plot]]:
    rng = np.random.default_rng(1)
    shap = rng.normal(size=(n, 6))
    data = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"f{i}" for i in range(6)])
    data["f5"] = rng.choice(["a", "b"], n)  # a categorical column is drawn grey
    bins = np.linspace(0.05, 0.95, 10)
    return {
        "roc binary": lambda: roc_curve_plot(binary(n)),
        "roc multiclass": lambda: roc_curve_plot(multiclass(n)),
        "pr binary": lambda: pr_curve_plot(binary(n)),
        "pr multiclass": lambda: pr_curve_plot(multiclass(n)),
        "calibration": lambda: calibration_plot(bins, bins + 0.02, np.arange(10) * 10),
        "confusion": lambda: confusion_matrix_plot(multiclass(n)),
        "residuals": lambda: residuals_plot(regression(n)),
        "shap": lambda: shap_summary_plot(shap, data, max_features=4),
        "importance": lambda: importance_plot(list(data.columns), rng.random(6), rng.random(6)),
        "pdp": lambda: pdp_plot(np.linspace(0, 1, 8), rng.random(8), rng.random((n, 8))),
        "pdp categories": lambda: pdp_plot(np.array(["a", "b", "c"]), [0.2, 0.5, 0.3]),
        "fairness": lambda: fairness_plot(groups_table()),
        "slices": lambda: slices_plot(slices()),
    }


PNG_PLOTS = {"residuals", "shap"}


def svg_root(plot: Plot) -> ET.Element:
    assert plot.format == "svg" and not plot.png
    return ET.fromstring(plot.svg)


def ids(svg: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', svg))


@pytest.mark.parametrize("name", list(all_plots()))
def test_each_plot_is_valid_svg_or_png(name: str) -> None:
    plot = all_plots()[name]()
    assert plot.title
    if name in PNG_PLOTS:
        assert plot.format == "png" and not plot.svg
        assert base64.b64decode(plot.png).startswith(b"\x89PNG\r\n\x1a\n")
    else:
        root = svg_root(plot)
        assert root.tag == f"{SVG}svg"
        assert not plot.svg.startswith("<?xml") and "<!DOCTYPE" not in plot.svg
        assert all(i.startswith("k") for i in ids(plot.svg))


def test_plots_are_reproducible() -> None:
    assert roc_curve_plot(binary()).svg == roc_curve_plot(binary()).svg
    assert residuals_plot(regression(), seed=3).png == residuals_plot(regression(), seed=3).png


def test_different_plots_and_scoped_copies_share_no_id() -> None:
    roc, pr = roc_curve_plot(binary()), pr_curve_plot(binary())
    assert ids(roc.svg) and not ids(roc.svg) & ids(pr.svg)
    first, second = roc.scoped("a-"), roc.scoped("b-")
    assert not ids(first.svg) & ids(second.svg)
    # Every reference still points at an id of its own plot.
    for plot in (first, second):
        referenced = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', plot.svg))
        assert referenced and referenced <= ids(plot.svg)


def test_hostile_names_are_escaped_text_in_the_svg() -> None:
    plot = importance_plot([HOSTILE, 'id="x" $a$ & b'], [0.5, 0.2])
    root = svg_root(plot)
    assert root.find(f".//{SVG}script") is None and "<script>" not in plot.svg
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert HOSTILE in texts and 'id="x" $a$ & b' in texts  # "$" is not mathtext


def test_plots_leave_matplotlib_settings_alone() -> None:
    before = dict(matplotlib.rcParams)
    roc_curve_plot(binary())
    assert dict(matplotlib.rcParams) == before


@pytest.mark.slow
def test_plots_never_load_pyplot() -> None:
    code = (
        "import sys, numpy as np\n"
        "from keel.evaluate._plots_curves import calibration_plot\n"
        "calibration_plot([0.2, 0.8], [0.25, 0.7], [5, 5])\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_multiclass_curves_show_the_most_frequent_classes() -> None:
    plot = roc_curve_plot(multiclass(n=600, k=14))
    assert plot.title == "ROC curve (10 most frequent of 14 classes)"


def test_a_class_without_rows_draws_no_curve_and_no_warning() -> None:
    o = multiclass(n=200, k=3)
    o = o.subset(o.y != 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg_root(roc_curve_plot(o))
        svg_root(pr_curve_plot(o))


def test_render_builds_a_plot_from_a_drawing() -> None:
    plot = render("Line", lambda figure: figure.add_subplot().plot([0, 1], [1, 0]), png=True)
    assert plot.format == "png" and plot.title == "Line"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: roc_curve_plot(regression()), "task"),
        (lambda: pr_curve_plot(regression()), "task"),
        (lambda: confusion_matrix_plot(regression()), "task"),
        (lambda: residuals_plot(binary()), "task"),
        (lambda: calibration_plot([0.1, 0.5], [0.1], [3, 4]), "calibration"),
        (lambda: importance_plot(["a", "b"], [0.1]), "importance"),
        (lambda: importance_plot(["a"], [0.1], errors=[0.1, 0.2]), "importance"),
        (lambda: pdp_plot([0, 1, 2], [0.1, 0.2]), "pdp"),
        (lambda: pdp_plot([0, 1], [0.1, 0.2], np.ones((3, 4))), "pdp"),
        (lambda: shap_summary_plot(np.ones(5)), "values"),
        (lambda: shap_summary_plot(np.full((3, 2), np.nan)), "values"),
        (lambda: shap_summary_plot(np.ones((3, 2)), feature_names=["a"]), "feature_names"),
        (lambda: shap_summary_plot(np.ones((3, 2)), np.ones((4, 2))), "data"),
        (lambda: fairness_plot(pd.DataFrame({"group": ["a"], "tpr": [0.5]})), "groups"),
        (lambda: fairness_plot(groups_table(), metrics=["recall"]), "metrics"),
        (lambda: fairness_plot(groups_table()[["group", "flag"]]), "metrics"),
        (lambda: slices_plot([]), "slices"),
        (lambda: slices_plot([{"description": "x", "error": 0.1}]), "slices"),
        (lambda: Plot("empty"), "plot"),
        (lambda: Plot("both", svg="<svg/>", png="iVBORw0KGgo="), "plot"),
    ],
)
def test_bad_input_raises_evaluation_error(call: Callable[[], Plot], field: str) -> None:
    with pytest.raises(EvaluationError) as raised:
        call()
    assert raised.value.field == field


def test_a_flag_may_be_a_reason() -> None:
    reasons = groups_table().assign(flag=["", None, "only 10 rows"])
    assert fairness_plot(reasons).svg.count(">flagged<") == 3  # one label per metric panel


def test_the_fairness_error_names_the_columns() -> None:
    with pytest.raises(EvaluationError, match="columns: group, selection_rate, tpr"):
        fairness_plot(groups_table(), metrics=["recall"])


@pytest.mark.slow
def test_each_plot_renders_well_under_a_second_on_50k_rows() -> None:
    for make in all_plots(n=50).values():
        make()  # the first calls pay for imports and font loading
    slow = {}
    for name, make in all_plots(n=50_000).items():
        best = min(_seconds(make) for _ in range(2))
        if best > 1.0:
            slow[name] = round(best, 2)
    assert not slow, f"plots slower than 1 s on 50k rows: {slow}"


def _seconds(make: Callable[[], Plot]) -> float:
    started = time.perf_counter()
    make()
    return time.perf_counter() - started
