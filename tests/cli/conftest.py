"""Fixtures for the CLI tests: an isolated environment, a runner, and a populated workspace."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from keel.cli import app


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    monkeypatch.delenv("KEEL_WORKSPACE", raising=False)
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that rich neither wraps nor truncates


Invoke = Callable[..., Result]


@pytest.fixture
def cli() -> Invoke:
    """``cli("runs", "list", input=None)``: the keel app, run in process."""
    runner = CliRunner()

    def invoke(*args: object, input: str | None = None) -> Result:
        return runner.invoke(app, [str(arg) for arg in args], input=input)

    return invoke


@dataclass
class Populated:
    """A workspace with three runs in two experiments.

    alpha (exp-a): lr 0.1, loss 1.0→0.2 over steps 0..4, auc 0.8, artifact model.txt
    beta  (exp-a): lr 0.01, auc 0.9, odd = NaN, big = inf, artifact model.txt (other bytes)
    gamma (exp-b): lr 0.1, auc 0.7, artifact model.txt with alpha's bytes (shared blob)
    """

    root: Path
    alpha: str
    beta: str
    gamma: str

    def blob(self, run_id: str, name: str = "model.txt") -> Path:
        import keel

        with keel.Workspace.open(self.root) as ws:
            digest = next(a.digest for a in ws.list_artifacts(run_id) if a.path == name)
        return self.root / ".keel" / "artifacts" / "sha256" / digest[:2] / digest[2:]


@pytest.fixture
def populated(tmp_path: Path) -> Populated:
    import keel

    root = tmp_path / "ws"
    with keel.Workspace.init(root, project="cli-test") as ws:
        with ws.start_run("alpha", experiment="exp-a", params={"lr": 0.1, "depth": 3}) as run:
            for step in range(5):
                run.log_metric("loss", 1.0 - 0.2 * step, step=step)
            run.log_metric("auc", 0.8)
            run.set_tag("team", "vision")
            run.log_text("alpha's model, shared with gamma\n", "model.txt")
            alpha = run.id
        with ws.start_run("beta", experiment="exp-a", params={"lr": 0.01, "depth": 3}) as run:
            run.log_metrics({"loss": 0.5, "auc": 0.9, "odd": math.nan, "big": math.inf})
            run.log_text("beta's own model\n", "model.txt")
            beta = run.id
        with ws.start_run("gamma", experiment="exp-b", params={"lr": 0.1}) as run:
            run.log_metrics({"loss": 0.7, "auc": 0.7})
            run.log_text("alpha's model, shared with gamma\n", "model.txt")
            gamma = run.id
    return Populated(root, alpha, beta, gamma)
