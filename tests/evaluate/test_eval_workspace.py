"""keel report, keel compare and fairness gates end to end: a trained workspace, the
evaluation recorded as a run, and what bad input gets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from typer.testing import CliRunner, Result

import keel
from keel.cli import app
from keel.errors import EvaluationError, GateFailedError

CONFIG = """
data:
  source: cancer.csv
  target: diagnosis
  sensitive: [group]
train:
  algorithms: [logistic, lightgbm]
  search: {trials: 4}
evaluate:
  bootstrap: 200
  explain_rows: 200
"""


def _keel(root: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["-w", str(root), *args])


def _cancer(seed: int = 0) -> pd.DataFrame:
    frame = load_breast_cancer(as_frame=True).frame
    rng = np.random.default_rng(seed)
    # A sensitive attribute that tracks the label, so groups differ in selection rate.
    frame["group"] = np.where(rng.random(len(frame)) < 0.3 + 0.4 * frame["target"], "a", "b")
    frame["diagnosis"] = frame.pop("target").map({0: "malignant", 1: "benign"})
    return frame


def _project(root: Path, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    _cancer().to_csv(root / "cancer.csv", index=False)
    keel.Workspace.init(root, project="cancer").close()
    with open(root / "keel.yaml", "a") as handle:
        handle.write(CONFIG + extra)
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A workspace with two models trained on the same split (same seed): ids of both."""
    root = _project(tmp_path_factory.mktemp("evaluate") / "ws")
    with keel.Workspace.open(root) as ws:
        first = ws.train().model_run_id
        second = ws.train().model_run_id
    return root, first, second


def test_report_writes_html_and_card_and_records_an_evaluation_run(trained) -> None:
    root, model_run, _ = trained
    result = _keel(root, "report", model_run[:8], "--out", str(root / "out"), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    html = Path(out["html"]).read_text()
    assert 'data-plots-expected="' in html and "Fairness" in html and "Calibration" in html
    card = Path(out["model_card"]).read_text()
    assert "## Quantitative analyses" in card and "roc_auc" in card and "group" in card
    with keel.Workspace.open(root) as ws:
        run = ws.get_run(out["run_id"])
        assert run.parent_run_id == model_run and run.tags["keel.kind"] == "evaluation"
        assert run.metrics["roc_auc_low"] <= run.metrics["roc_auc"] <= run.metrics["roc_auc_high"]
        assert "demographic_parity_difference" in run.metrics
        paths = {a.path for a in ws.list_artifacts(run.run_id)}
        assert {"evaluation/report.html", "evaluation/model_card.md"} <= paths
        holdout = ws.get_run(model_run).metrics["holdout_roc_auc"]
    # The report scores the model's own held-out rows: the same number training recorded.
    assert out["metrics"]["metrics"]["roc_auc"]["value"] == pytest.approx(holdout)


def test_report_prints_metrics_with_intervals_on_the_terminal(trained) -> None:
    root, model_run, _ = trained
    result = _keel(root, "report", model_run, "--out", str(root / "terminal"))
    assert result.exit_code == 0, result.output
    assert "bootstrap percentile intervals from 200 resamples" in result.stdout
    assert "demographic_parity_difference" in result.stdout
    assert "report.html" in result.stdout


def test_report_on_other_data_scores_every_labelled_row(trained) -> None:
    root, model_run, _ = trained
    _cancer().head(150).to_csv(root / "other.csv", index=False)
    with keel.Workspace.open(root) as ws:
        evaluation = ws.evaluate(model_run, data=str(root / "other.csv"))
    assert evaluation.outcomes.n == 150


def test_compare_two_models_on_their_shared_holdout(trained) -> None:
    root, first, second = trained
    result = _keel(root, "compare", first[:8], second[:8], "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["verdict"] in {"B is better", "A is better", "no significant difference", "mixed"}
    tests = {t["metric"]: t for t in out["tests"]}
    assert {"roc_auc", "accuracy", "log_loss"} <= set(tests)
    assert tests["roc_auc"]["test"].lower().startswith("delong")
    assert all(0.0 <= t["p_adjusted"] <= 1.0 for t in tests.values())
    text = _keel(root, "compare", first, second)
    assert text.exit_code == 0 and "roc_auc" in text.stdout


def test_a_fairness_gate_fails_training_with_the_disparity(tmp_path: Path) -> None:
    root = _project(tmp_path / "ws", 'gates:\n  demographic_parity_difference: "<= 0.0001"\n')
    with keel.Workspace.open(root) as ws, pytest.raises(GateFailedError) as caught:
        ws.train()
    assert "demographic_parity_difference" in str(caught.value)
    with keel.Workspace.open(root) as ws:
        run = ws.search_runs("tags.keel.gates = 'failed'")[0]
        assert run.metrics["holdout_demographic_parity_difference"] > 0.0001


def test_bad_references_and_data_get_clear_errors(trained, tmp_path: Path) -> None:
    root, model_run, _ = trained
    with keel.Workspace.open(root) as ws:
        study = ws.get_run(model_run).parent_run_id
        assert study is not None
        with ws.start_run("plain") as plain:
            pass
        # A study run stands for its model; a plain run holds none.
        assert ws.model_to_evaluate(study).run_id is not None
        with pytest.raises(EvaluationError, match="holds no trained model"):
            ws.evaluate(plain.id)
        ws.load_model(model_run)
        keelmodel = tmp_path / "model.keelmodel"
        keelmodel.write_bytes((root / ".keel" / "models" / "model.keelmodel").read_bytes())
        with pytest.raises(EvaluationError, match="--data"):
            ws.evaluate(str(keelmodel))
        _cancer().drop(columns=["group"]).to_csv(tmp_path / "nogroup.csv", index=False)
        with pytest.raises(EvaluationError, match=r"'group' \(data\.sensitive\)"):
            ws.evaluate(model_run, data=str(tmp_path / "nogroup.csv"))
        _cancer().drop(columns=["diagnosis"]).to_csv(tmp_path / "nolabel.csv", index=False)
        with pytest.raises(EvaluationError, match=r"data\.target"):
            ws.evaluate(model_run, data=str(tmp_path / "nolabel.csv"))
    result = _keel(root, "report", "no-such-run")
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_compare_refuses_models_held_out_on_different_rows(tmp_path: Path) -> None:
    root = _project(tmp_path / "ws")
    with keel.Workspace.open(root) as ws:
        first = ws.train().model_run_id
    config = root / "keel.yaml"
    config.write_text(
        config.read_text().replace("search: {trials: 4}", "search: {trials: 4}\n  seed: 7")
    )
    with keel.Workspace.open(root) as ws:
        second = ws.train().model_run_id
        with pytest.raises(EvaluationError, match="different rows"):
            ws.compare(first, second)
        comparison = ws.compare(first, second, data=str(root / "cancer.csv"))
    assert comparison.n == len(_cancer())


def test_training_refuses_a_missing_sensitive_column_before_searching(tmp_path: Path) -> None:
    root = _project(tmp_path / "ws")
    config = root / "keel.yaml"
    config.write_text(config.read_text().replace("sensitive: [group]", "sensitive: [gender]"))
    result = _keel(root, "train")
    assert result.exit_code == 1
    assert "'gender' (data.sensitive)" in result.output and "Traceback" not in result.output
    with keel.Workspace.open(root) as ws:
        assert ws.search_runs("tags.keel.kind = 'trial'") == []


def test_a_fairness_gate_without_sensitive_columns_says_what_to_declare(tmp_path: Path) -> None:
    root = _project(tmp_path / "ws", 'gates:\n  equalized_odds_difference: "<= 0.2"\n')
    config = root / "keel.yaml"
    config.write_text(config.read_text().replace("  sensitive: [group]\n", ""))
    with keel.Workspace.open(root) as ws, pytest.raises(GateFailedError) as caught:
        ws.train()
    assert "declare the sensitive columns (data.sensitive)" in str(caught.value)
