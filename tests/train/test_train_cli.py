"""keel train and Workspace.train end to end: tracking, gates, resume after a real SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from typer.testing import CliRunner, Result

import keel
from keel.cli import app
from keel.errors import ConfigError, GateFailedError

KEEL = str(Path(sys.executable).with_name("keel"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    frame = load_breast_cancer(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "malignant", 1: "benign"})
    frame.to_csv("cancer.csv", index=False)
    keel.Workspace.init(tmp_path, project="cancer").close()
    _configure(tmp_path, "train:\n  algorithms: [logistic, lightgbm]\n  search: {trials: 6}\n")
    return tmp_path


def _configure(root: Path, extra: str) -> None:
    with open(root / "keel.yaml", "a") as handle:
        handle.write("\ndata:\n  source: cancer.csv\n  target: target\n" + extra)


def _keel(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_train_tracks_the_study_trials_and_the_model(project: Path) -> None:
    result = _keel("train", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["trials"] == 6 and out["gate_failures"] == []
    assert out["holdout"]["roc_auc"] > 0.95
    with keel.Workspace.open(project) as ws:
        trials = ws.search_runs("tags.keel.kind = 'trial'", max_results=100)
        assert len(trials) == 6 and all(t.parent_run_id == out["study_run_id"] for t in trials)
        assert {t.params["family"] for t in trials} == {"logistic", "lightgbm"}
        model_run = ws.get_run(out["model_run_id"])
        assert model_run.tags["keel.gates"] == "passed"
        assert "holdout_roc_auc" in model_run.metrics and "cv_roc_auc" in model_run.metrics
        paths = {a.path for a in ws.list_artifacts(model_run.run_id)}
        assert {"model/model.keelmodel", "model/features.keelfp", "model/leaderboard.json"} <= paths
        assert ws.run_inputs(model_run.run_id)["train"]
        model = ws.load_model(model_run.run_id)
        frame = pd.read_csv(project / "cancer.csv")
        assert set(model.predict(frame.head(20))) <= {"malignant", "benign"}


def test_a_missed_gate_exits_1_and_keeps_the_model_marked_failing(project: Path) -> None:
    with open(project / "keel.yaml", "a") as handle:
        handle.write('gates:\n  roc_auc: ">= 0.9999"\n  accuracy: ">= 0.5"\n')
    result = _keel("train")
    assert result.exit_code == 1
    assert "gate failed" in result.stdout and "roc_auc" in result.stdout
    with keel.Workspace.open(project) as ws:
        failing = ws.search_runs("tags.keel.gates = 'failed'")
        assert len(failing) == 1 and "roc_auc" in failing[0].tags["keel.gate_failures"]
        with pytest.raises(GateFailedError, match="roc_auc"):
            ws.train()


def test_bad_train_settings_name_the_key(project: Path) -> None:
    text = (project / "keel.yaml").read_text().replace("[logistic, lightgbm]", "[logistic, gbm]")
    (project / "keel.yaml").write_text(text)
    result = _keel("train")
    assert result.exit_code == 1 and "gbm" in result.output and "Traceback" not in result.output
    text = text.replace("target: target", "target: label")
    (project / "keel.yaml").write_text(text)
    result = _keel("train")
    assert result.exit_code == 1 and "'label'" in result.output
    (project / "keel.yaml").write_text(text.replace("target: label", "target: target"))
    result = _keel("train", "--budget", "ten")
    assert result.exit_code == 1 and "train.search.budget" in result.output
    assert "Traceback" not in result.output
    bad_sampler = text.replace("search: {trials: 6}", "search: {sampler: bayes}")
    (project / "keel.yaml").write_text(bad_sampler)
    result = _keel("train")
    assert result.exit_code == 1 and "train.search.sampler" in result.output


def test_no_target_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    load_breast_cancer(as_frame=True).frame.to_csv(tmp_path / "c.csv", index=False)
    keel.Workspace.init(tmp_path, project="x").close()
    with open(tmp_path / "keel.yaml", "a") as handle:
        handle.write("\ndata:\n  source: c.csv\n")
    with keel.Workspace.open(tmp_path) as ws, pytest.raises(ConfigError, match=r"data\.target"):
        ws.train()


def _finished_trials(db: Path) -> int:
    url = f"sqlite:///{db}"
    try:
        names = [s.study_name for s in optuna.get_all_study_summaries(storage=url)]
    except Exception:  # the tables do not exist yet
        return 0
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return sum(
        len(optuna.load_study(study_name=n, storage=url).get_trials(states=states)) for n in names
    )


def test_resume_after_sigkill_finishes_without_redoing_trials(project: Path) -> None:
    text = (
        (project / "keel.yaml")
        .read_text()
        .replace("search: {trials: 6}", "search: {trials: 40, budget: 10m}")
    )
    (project / "keel.yaml").write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEEL_")}
    child = subprocess.Popen(
        [KEEL, "-w", str(project), "train"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = project / ".keel" / "keel.db"
    deadline = time.monotonic() + 120
    while _finished_trials(db) < 5 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    done_before = _finished_trials(db)
    assert 5 <= done_before < 40, "the child finished before it could be killed"
    url = f"sqlite:///{db}"
    before = {
        (s.study_name, t.number): t.params
        for s in optuna.get_all_study_summaries(url)
        for t in optuna.load_study(study_name=s.study_name, storage=url).trials
        if t.state.is_finished()
    }
    result = _keel("train", "--resume", "--json")
    assert result.exit_code == 0, result.output
    assert _finished_trials(db) == 40
    after = {
        (s.study_name, t.number): t.params
        for s in optuna.get_all_study_summaries(url)
        for t in optuna.load_study(study_name=s.study_name, storage=url).trials
    }
    assert all(after[key] == params for key, params in before.items())
    assert json.loads(result.stdout)["trials"] == 40 - done_before
    with keel.Workspace.open(project) as ws:
        study = ws.get_run(json.loads(result.stdout)["study_run_id"])
        assert study.tags["keel.resumed_from"]
    assert _keel("train", "--resume").exit_code == 1  # nothing left to resume
