"""Shared by the test_deploy_* tests: a real workspace whose registry holds three versions
of a small model "churn" (logistic regressions, packaged without ONNX to stay fast)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import keel

FRAME = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
LABELS = ["no", "no", "no", "yes", "yes", "yes"]


def write_packages(folder: Path) -> list[Path]:
    from sklearn.linear_model import LogisticRegression

    from keel.data import infer_schema
    from keel.models import Trained, write_package

    paths = []
    for i, c in enumerate((1.0, 0.1, 10.0)):
        model = LogisticRegression(C=c).fit(FRAME, LABELS)
        trained = Trained.from_estimator(model, infer_schema(FRAME))
        paths.append(write_package(trained, folder / f"p{i}", onnx=False))
    return paths


def churn_workspace(root: Path, packages: list[Path], keel_yaml: str = "") -> keel.Workspace:
    """A workspace at ``root`` with churn/1..3 registered (and ``keel_yaml`` appended)."""
    ws = keel.Workspace.init(root, project="churn")
    for path in packages:
        ws.registry.register("churn", path)
    if keel_yaml:
        ws.close()
        config = root / "keel.yaml"
        config.write_text(config.read_text() + keel_yaml)
        ws = keel.Workspace.open(root)
    return ws


def feed(ws: keel.Workspace, name: str, counts: dict[int, tuple[float, float]]) -> None:
    """Add {version: (requests, errors)} to the deployment's current epoch."""
    state = ws.deployment(name)
    increments = {}
    for version, (requests, errors) in counts.items():
        increments[(version, "requests")] = requests
        increments[(version, "errors")] = errors
    ws.add_deployment_counts(name, state.epoch, increments)
