"""The report renders in a real browser: headless Chromium counts the plots that drew
(decoded PNGs, laid-out SVGs) and the count must equal the plots the page holds. A page
with a broken image must count fewer, so the check can fail."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from keel.evaluate._html import Section, render_report, write_report
from keel.evaluate._outcomes import outcomes
from keel.evaluate._plots import Plot
from keel.evaluate._plots_curves import calibration_plot, pr_curve_plot, roc_curve_plot
from keel.evaluate._plots_errors import confusion_matrix_plot, residuals_plot
from keel.evaluate._plots_explain import importance_plot, pdp_plot
from keel.evaluate._plots_groups import fairness_plot, slices_plot
from keel.evaluate._plots_shap import shap_summary_plot

pytestmark = pytest.mark.slow

CHROMIUM_TIMEOUT_S = 90


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI must provide it", pytrace=False)
        pytest.skip(message)
    return found


def every_kind_of_plot(n: int = 400) -> list[Plot]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, n)
    three = outcomes(y, rng.dirichlet(np.ones(3), n), classes=[0, 1, 2])
    two = outcomes(y % 2, np.clip(0.4 * (y % 2) + 0.6 * rng.random(n), 0, 1), classes=[0, 1])
    values = rng.normal(size=n)
    fitted = outcomes(values, values + rng.normal(size=n), task="regression")
    shap, bins = rng.normal(size=(n, 5)), np.linspace(0.05, 0.95, 10)
    groups = pd.DataFrame({"group": ["a", "b"], "tpr": [0.7, 0.4], "flag": [False, True]})
    piece = {"overall_error": 0.2, "ci_low": 0.1, "ci_high": 0.3, "size": 50}
    return [
        roc_curve_plot(two),
        roc_curve_plot(three),
        pr_curve_plot(three),
        calibration_plot(bins, bins, np.full(10, 40)),
        confusion_matrix_plot(three),
        residuals_plot(fitted),  # PNG
        shap_summary_plot(shap, rng.normal(size=(n, 5))),  # PNG
        importance_plot(["a", "b", "c"], [0.3, 0.2, 0.1]),
        pdp_plot(bins, bins**2, rng.random((n, 10))),
        fairness_plot(groups),
        slices_plot([{"description": "x > 1", "error": 0.25, **piece}]),
    ]


def rendered(chromium: str, page: str, tmp_path: Path) -> tuple[int, int]:
    """(plots rendered, plots expected) as the page's script reports them in Chromium."""
    path = write_report(tmp_path / "report.html", page)
    dom = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=CHROMIUM_TIMEOUT_S,
        check=True,
    ).stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body, f"Chromium returned no <body>: {dom[:300]!r}"
    counts = dict(re.findall(r'data-plots-(rendered|expected)="(\d+)"', body.group(1)))
    assert "rendered" in counts, f"the page's script did not run: {body.group(0)}"
    return int(counts["rendered"]), int(counts["expected"])


def test_every_plot_renders(chromium: str, tmp_path: Path) -> None:
    plots = every_kind_of_plot()
    twice = [*plots, plots[0], plots[5]]  # copies of an SVG and a PNG plot
    assert {p.format for p in twice} == {"svg", "png"}
    sections = [Section("All plots", plots=twice[:8]), Section("More", plots=twice[8:])]
    page = render_report("Every plot", sections, meta={"model": "test"})
    assert rendered(chromium, page, tmp_path) == (len(twice), len(twice))


def test_a_broken_image_is_counted_missing(chromium: str, tmp_path: Path) -> None:
    good = importance_plot(["a", "b"], [0.3, 0.1])
    broken_png = Plot("Broken PNG", png=base64.b64encode(b"not a png at all").decode())
    empty_svg = Plot("Empty SVG", svg='<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    page = render_report("Broken", [Section("Plots", plots=[good, broken_png, empty_svg])])
    assert rendered(chromium, page, tmp_path) == (1, 3)
