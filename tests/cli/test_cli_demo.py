"""keel demo: trains three runs, ranks them, and leaves a workspace to explore."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

KEEL = Path(sys.executable).parent / "keel"


@pytest.mark.slow
def test_demo_end_to_end_from_the_console_script(tmp_path, cli):
    root = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    env["COLUMNS"] = "120"
    done = subprocess.run(
        [KEEL, "demo", "--keep", root], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout

    listed = cli("-w", root, "runs", "list", "-e", "breast-cancer-sgd", "--json")
    runs = json.loads(listed.stdout)["runs"]
    assert len(runs) == 3
    assert "features    30 from keel.yaml's pipeline" in out
    best_first = sorted(runs, key=lambda r: r["metrics"]["val_roc_auc"], reverse=True)
    ranking = out[out.index("Runs ranked by val_roc_auc") :]
    rows = [line.split() for line in ranking.splitlines() if re.match(r"\s*[123]\s+sgd-", line)]
    assert [row[0] for row in rows[:3]] == ["1", "2", "3"]
    assert [row[1] for row in rows[:3]] == [r["name"] for r in best_first]
    best = best_first[0]
    assert rows[0][2] == f"{best['metrics']['val_roc_auc']:.6g}"

    for run in runs:
        assert run["status"] == "FINISHED"
        assert set(run["metrics"]) == {
            "train_log_loss",
            "val_log_loss",
            "val_accuracy",
            "val_roc_auc",
        }
        assert run["params"]["loss"] == "log_loss"
    shown = json.loads(cli("-w", root, "runs", "show", best["run_id"], "--json").stdout)
    assert shown["metric_points"]["val_roc_auc"] == 15
    assert {a["path"] for a in shown["artifacts"]} == {
        "coefficients.json",
        "confusion_matrix.json",
        "summary.txt",
    }
    assert f"keel -w {root} runs list" in out
    assert f"runs show {best['run_id'][:8]}" in out

    # keel's AutoML on the same data, then its evaluation report and model card.
    assert "keel train (10s):" in out and "95% interval" in out
    evaluations = json.loads(
        cli(
            "-w", root, "runs", "list", "--filter", "tags.keel.kind = 'evaluation'", "--json"
        ).stdout
    )["runs"]
    assert len(evaluations) == 1
    evaluation = evaluations[0]
    assert evaluation["metrics"]["roc_auc_low"] <= evaluation["metrics"]["roc_auc"]
    reports = list((root / "reports").glob("*/report.html"))
    assert len(reports) == 1 and f"report                 {reports[0]}" in out
    assert (reports[0].parent / "model_card.md").read_text().startswith("# Model card")


def test_demo_without_scikit_learn_says_how_to_install(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # may be imported already
    result = cli("demo", "--keep", tmp_path / "demo")
    assert result.exit_code == 1
    assert "pip install 'keel[demo]'" in result.stderr
    assert not (tmp_path / "demo" / "keel.yaml").exists()


def test_demo_refuses_an_existing_workspace(cli, tmp_path):
    cli("init", tmp_path)
    result = cli("demo", "--keep", tmp_path)
    assert result.exit_code == 1
    assert "already holds a keel workspace" in result.stderr


def test_demo_defaults_to_a_new_temporary_folder(cli, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = cli("demo")
    assert result.exit_code == 0, result.output
    (root,) = tmp_path.glob("keel-demo-*")
    assert f"Workspace: {root}" in result.stdout
    assert (root / "keel.yaml").is_file()


def test_demo_checks_and_snapshots_its_data_and_runs_record_it(tmp_path):
    import keel
    from keel.demo import run_demo

    result = run_demo(tmp_path / "demo", epochs=2)
    assert (result.data.rows, result.data.columns) == (569, 31)
    assert result.data.types == {"integer": 1, "numeric": 30}
    assert (result.data.validation_errors, result.data.validation_warnings) == (0, 0)
    with keel.Workspace.open(tmp_path / "demo") as ws:
        for run in result.ranked:
            assert ws.run_inputs(run.run_id) == {"train": [result.data.snapshot_id]}
        assert (tmp_path / "demo" / "schema.json").is_file()
        features = ws.get_run(result.data.features_run)
        assert features.name == "features" and result.data.feature_count == 30
        assert ws.load_features().feature_names_out_[0] == "mean radius"
        assert all(r.params["features_run"] == features.run_id for r in result.ranked)
