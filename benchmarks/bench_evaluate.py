"""A full evaluation of a 100-tree LightGBM on a 50,000-row holdout: keel vs the glue script
it replaces, in one run.

The figure (issue: evaluation): metrics with 1,000 bootstrap resamples, DeLong against a
second model, fairness, SHAP on 10,000 rows and the report, on 50,000 held-out rows, in
<= 30 s on 2 cores.

- keel: ``evaluate_model`` (every step: 16 metrics with 1,000-resample intervals,
  calibration, fairness by one sensitive column, SHAP on 10,000 rows, permutation
  importance, partial dependence, worst slices, the performance profile), ``compare``
  against a logistic baseline (DeLong, McNemar, paired bootstrap, Holm) and the HTML report
  with its plots.
- the glue script: what an engineer writes with the same libraries — each scikit-learn
  metric recomputed on 1,000 resampled index sets, a paired bootstrap of the AUC difference
  (scikit-learn has no DeLong), fairlearn's MetricFrame and disparity functions, SHAP's
  TreeExplainer on the same 10,000 rows, and matplotlib plots in an HTML page. It does less
  than keel (no calibration fit, no slices, no profile, no McNemar) and is still the slower.

Both sides run in this interpreter (scikit-learn, fairlearn, shap and matplotlib are keel
dependencies), the same model and rows, threads capped at 2. Results go to
``benchmarks/results/evaluate-<date>.json``; a Markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import sys
import time
from functools import partial

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import lightgbm
import numpy as np
import pandas as pd
from _common import SEED, repeat, summarize
from _harness import HERE, fmt_duration, fmt_ratio, machine_info, verdict, write_results

from keel.evaluate import metric_names

FULL = {
    "rows": 250_000,
    "holdout": 50_000,
    "resamples": 1_000,
    "shap_rows": 10_000,
    "keel_reps": 3,
    "glue_reps": 1,
}
QUICK = {
    "rows": 25_000,
    "holdout": 5_000,
    "resamples": 200,
    "shap_rows": 1_000,
    "keel_reps": 1,
    "glue_reps": 1,
}
TARGET_S = 30.0
# The glue script computes the same 16 binary metrics keel reports.
METRICS = tuple(metric_names("binary"))


def make_frame(rows: int, seed: int = SEED) -> pd.DataFrame:
    """12 numeric and 3 categorical columns, a sensitive ``group`` that shifts the label."""
    rng = np.random.default_rng(seed)
    data = {f"x{i:02d}": rng.normal(0, 1 + i / 6, rows) for i in range(12)}
    for name, k in (("plan", 4), ("region", 12), ("device", 6)):
        data[name] = pd.Categorical([f"{name}{c}" for c in rng.integers(0, k, rows)])
    group = rng.choice(["a", "b", "c"], size=rows, p=[0.6, 0.3, 0.1])
    logit = data["x00"] - data["x01"] / 2 + 0.3 * data["x02"] * data["x03"] + (group == "b")
    data["group"] = pd.Categorical(group)
    data["label"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(data)


def fit_models(train: pd.DataFrame) -> tuple[lightgbm.LGBMClassifier, lightgbm.LGBMClassifier]:
    """The 100-tree LightGBM the figure names, and a weaker baseline to compare it with."""
    X, y = train.drop(columns="label"), train["label"]
    model = lightgbm.LGBMClassifier(n_estimators=100, random_state=SEED, n_jobs=2, verbose=-1)
    baseline = lightgbm.LGBMClassifier(
        n_estimators=10, num_leaves=4, random_state=SEED, n_jobs=2, verbose=-1
    )
    return model.fit(X, y), baseline.fit(X, y)


def keel_side(model, baseline, holdout: pd.DataFrame, config: dict) -> dict:
    from keel.evaluate import EvaluateSpec, compare, evaluate_model, outcomes_of, report_html

    X, y = holdout.drop(columns="label"), holdout["label"]
    spec = EvaluateSpec(bootstrap=config["resamples"], explain_rows=config["shap_rows"])
    evaluation = evaluate_model(model, X, y, spec=spec, sensitive=holdout[["group"]])
    comparison = compare(
        outcomes_of(baseline, X, y), outcomes_of(model, X, y), n_resamples=config["resamples"]
    )
    page = report_html(evaluation, {"project": "bench", "model": "lightgbm (100 trees)"})
    return {
        "steps_s": evaluation.seconds,
        "verdict": comparison.verdict,
        "html_bytes": len(page),
        "roc_auc": evaluation.metrics_table["roc_auc"].value,
    }


def glue_side(model, baseline, holdout: pd.DataFrame, config: dict) -> dict:
    """The same questions answered with the libraries directly, as a script would."""
    X, y = holdout.drop(columns="label"), holdout["label"].to_numpy()
    proba, base = model.predict_proba(X)[:, 1], baseline.predict_proba(X)[:, 1]
    started = time.perf_counter()
    intervals = _glue_bootstrap(y, proba, config["resamples"])
    auc_gap = _glue_paired_auc(y, proba, base, config["resamples"])
    steps = {"metrics_and_paired": time.perf_counter() - started}
    started = time.perf_counter()
    fairness = _glue_fairness(y, proba, holdout["group"])
    steps["fairness"] = time.perf_counter() - started
    started = time.perf_counter()
    import shap

    rows = X.sample(config["shap_rows"], random_state=SEED)
    values = shap.TreeExplainer(model).shap_values(rows)
    steps["shap"] = time.perf_counter() - started
    started = time.perf_counter()
    page = _glue_report(y, proba, np.asarray(values), rows, intervals, fairness, auc_gap)
    steps["report"] = time.perf_counter() - started
    return {"steps_s": steps, "html_bytes": len(page), "roc_auc": intervals["roc_auc"][0]}


def _glue_scores(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    from sklearn import metrics as m

    label = (proba >= 0.5).astype(int)
    both = np.column_stack([1 - proba, proba])
    scores = {
        "accuracy": m.accuracy_score(y, label),
        "balanced_accuracy": m.balanced_accuracy_score(y, label),
        "precision": m.precision_score(y, label, zero_division=0),
        "recall": m.recall_score(y, label),
        "f1": m.f1_score(y, label),
        "roc_auc": m.roc_auc_score(y, proba),
        "pr_auc": m.average_precision_score(y, proba),
        "log_loss": m.log_loss(y, both, labels=[0, 1]),
        "brier": m.brier_score_loss(y, proba),
        "mcc": m.matthews_corrcoef(y, label),
    }
    for average in ("micro", "macro"):
        scores[f"precision_{average}"] = m.precision_score(
            y, label, average=average, zero_division=0
        )
        scores[f"recall_{average}"] = m.recall_score(y, label, average=average)
        scores[f"f1_{average}"] = m.f1_score(y, label, average=average)
    return scores


def _glue_bootstrap(y: np.ndarray, proba: np.ndarray, resamples: int) -> dict[str, tuple]:
    rng = np.random.default_rng(SEED)
    point = _glue_scores(y, proba)
    draws = {name: [] for name in METRICS}
    for _ in range(resamples):
        rows = rng.integers(0, y.size, y.size)
        for name, value in _glue_scores(y[rows], proba[rows]).items():
            draws[name].append(value)
    return {n: (point[n], *np.percentile(draws[n], [2.5, 97.5])) for n in METRICS}


def _glue_paired_auc(y: np.ndarray, a: np.ndarray, b: np.ndarray, resamples: int) -> tuple:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(SEED)
    gaps = []
    for _ in range(resamples):
        rows = rng.integers(0, y.size, y.size)
        gaps.append(roc_auc_score(y[rows], a[rows]) - roc_auc_score(y[rows], b[rows]))
    return tuple(np.percentile(gaps, [2.5, 97.5]))


def _glue_fairness(y: np.ndarray, proba: np.ndarray, group: pd.Series) -> dict:
    from fairlearn import metrics as fm
    from sklearn.metrics import accuracy_score

    label = (proba >= 0.5).astype(int)
    frame = fm.MetricFrame(
        metrics={
            "selection_rate": fm.selection_rate,
            "accuracy": accuracy_score,
            "tpr": fm.true_positive_rate,
            "fpr": fm.false_positive_rate,
        },
        y_true=y,
        y_pred=label,
        sensitive_features=group,
    )
    return {
        "by_group": frame.by_group,
        "dpd": fm.demographic_parity_difference(y, label, sensitive_features=group),
        "dpr": fm.demographic_parity_ratio(y, label, sensitive_features=group),
        "eod": fm.equalized_odds_difference(y, label, sensitive_features=group),
        "eop": fm.equal_opportunity_difference(y, label, sensitive_features=group),
    }


def _glue_report(y, proba, values, rows, intervals, fairness, auc_gap) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shap
    from sklearn.calibration import CalibrationDisplay
    from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay, RocCurveDisplay

    images = []
    for draw in (
        lambda: RocCurveDisplay.from_predictions(y, proba),
        lambda: PrecisionRecallDisplay.from_predictions(y, proba),
        lambda: CalibrationDisplay.from_predictions(y, proba, n_bins=10),
        lambda: ConfusionMatrixDisplay.from_predictions(y, (proba >= 0.5).astype(int)),
        lambda: shap.summary_plot(values, rows, show=False),
        lambda: fairness["by_group"].plot.bar(),
    ):
        draw()
        buffer = io.BytesIO()
        plt.gcf().savefig(buffer, format="png")
        plt.close("all")
        images.append(base64.b64encode(buffer.getvalue()).decode())
    table = pd.DataFrame(intervals, index=["value", "low", "high"]).T.to_html()
    body = "".join(f'<img src="data:image/png;base64,{i}">' for i in images)
    return f"<html><body>{table}<p>AUC gap {auc_gap}</p>{body}</body></html>"


def run(config: dict) -> dict:
    frame = make_frame(config["rows"])
    holdout, train = frame.iloc[: config["holdout"]], frame.iloc[config["holdout"] :]
    model, baseline = fit_models(train)
    out: dict = {"machine": machine_info(), "config": config}
    for side, fn, reps in (
        ("keel", keel_side, config["keel_reps"]),
        ("glue", glue_side, config["glue_reps"]),
    ):
        details: list[dict] = []
        call = partial(fn, model, baseline, holdout, config)
        samples = repeat(lambda call=call, details=details: details.append(call()), reps)
        out[side] = {**summarize(samples), "runs": details}
        print(f"{side}: {fmt_duration(out[side]['wall_s_p50'])} wall", file=sys.stderr)
    out["ratio_wall"] = out["glue"]["wall_s_p50"] / out["keel"]["wall_s_p50"]
    out["ratio_cpu"] = out["glue"]["cpu_s_p50"] / out["keel"]["cpu_s_p50"]
    out["target_met"] = out["keel"]["wall_s_max"] <= TARGET_S
    return out


def markdown(payload: dict) -> str:
    keel, glue, config = payload["keel"], payload["glue"], payload["config"]
    lines = [
        f"Full evaluation, {config['holdout']:,}-row holdout, {config['resamples']:,} resamples, "
        f"SHAP on {config['shap_rows']:,} rows ({payload['machine']['date']})",
        "",
        "| Side | Runs | Wall p50 (max) | CPU p50 | keel faster by | <= 30 s |",
        "|---|---|---|---|---|---|",
        f"| keel | {keel['repetitions']} | {fmt_duration(keel['wall_s_p50'])} "
        f"({fmt_duration(keel['wall_s_max'])}) | {fmt_duration(keel['cpu_s_p50'])} | — | "
        f"{verdict(payload['target_met'])} |",
        f"| glue script | {glue['repetitions']} | {fmt_duration(glue['wall_s_p50'])} "
        f"({fmt_duration(glue['wall_s_max'])}) | {fmt_duration(glue['cpu_s_p50'])} | "
        f"{fmt_ratio(payload['ratio_wall'])} wall, {fmt_ratio(payload['ratio_cpu'])} CPU | — |",
        "",
        "keel steps (s, first run): "
        + ", ".join(f"{k} {v:.2f}" for k, v in keel["runs"][0]["steps_s"].items()),
        "glue steps (s, first run): "
        + ", ".join(f"{k} {v:.2f}" for k, v in glue["runs"][0]["steps_s"].items()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows; writes nothing")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    payload = run(QUICK if args.quick else FULL)
    payload["total_wall_s"] = time.perf_counter() - t0
    if not args.quick:
        path = write_results("evaluate", payload, payload["machine"]["date"])
        print(f"wrote {path.relative_to(HERE.parent)}", file=sys.stderr)
    print(markdown(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
