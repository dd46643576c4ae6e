"""Blends and stacks round-trip: ensemble.json, the stacker in skops, the same output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from keel.data import infer_schema
from keel.errors import ModelError
from keel.features import FeaturePipeline
from keel.models._package import load_package, write_package
from keel.models._trained import Trained
from keel.train._catalog import get_algorithm
from keel.train._ensemble import EnsembleChoice
from keel.train._ensemble_stacking import fit_stacker

_FAMILIES = {
    "binary": ("logistic", "lightgbm"),
    "multiclass": ("logistic", "xgboost"),
    "regression": ("linear", "lightgbm"),
}


def _members(task: str) -> tuple[pd.DataFrame, np.ndarray, Trained]:
    if task == "regression":
        X, y = make_regression(150, 4, noise=3.0, random_state=1)
        classes = None
    else:
        n = 2 if task == "binary" else 3
        X, y = make_classification(
            150, 4, n_informative=3, n_redundant=0, n_classes=n, random_state=1
        )
        classes = list(range(n))
    frame = pd.DataFrame(X, columns=list("abcd"))
    schema = infer_schema(frame)
    pipe = FeaturePipeline(schema=schema, task=task)
    matrix = pipe.fit_transform(frame, y)
    members = []
    for family in _FAMILIES[task]:
        algorithm = get_algorithm(family)
        params = {"n_estimators": 15} if family in ("lightgbm", "xgboost") else {}
        model = algorithm.build(params, task, len(classes or [1]), 0, 1, None)
        members.append((family, params, algorithm.fit(model, matrix, y)))
    return frame, y, Trained(task, classes, schema, pipe, members, None)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_a_blend_round_trips(task: str, tmp_path: Path) -> None:
    frame, _, trained = _members(task)
    # Members 1 and 3 of the search's finalists, as the finalize stage indexes them.
    trained.choice = EnsembleChoice("blend", [1, 3], np.array([0.3, 0.7]), None, 0.1, 0.2, "ok")
    folder = write_package(trained, tmp_path / "pkg", onnx=False)
    ensemble = json.loads((folder / "ensemble.json").read_text())
    assert ensemble["kind"] == "blend" and ensemble["members"] == [1, 3]
    loaded = load_package(folder).trained()
    assert loaded.description == f"blend of {', '.join(_FAMILIES[task])}"
    np.testing.assert_allclose(loaded.output(frame), trained.output(frame), rtol=0, atol=1e-12)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_a_stack_round_trips_with_its_stacker(task: str, tmp_path: Path) -> None:
    frame, y, trained = _members(task)
    outputs = [
        trained._member_output(f, m, trained.feature_matrix(frame)) for f, _, m in trained.members
    ]
    stacker = fit_stacker(outputs, y, task, seed=0)
    trained.choice = EnsembleChoice("stack", [0, 1], None, stacker, 0.1, 0.2, "ok")
    folder = write_package(trained, tmp_path / "pkg", onnx=False)
    package = load_package(folder)
    assert "members/stacker.skops" in package.files
    loaded = package.trained()
    assert not hasattr(loaded.choice.stacker, "oof_")  # training-only state is not shipped
    np.testing.assert_allclose(loaded.output(frame), trained.output(frame), rtol=0, atol=1e-12)


def test_an_ensemble_with_the_wrong_number_of_members_is_refused() -> None:
    _, _, trained = _members("binary")
    choice = EnsembleChoice("blend", [0, 1, 2], np.ones(3) / 3, None, 0.1, 0.2, "")
    with pytest.raises(ModelError, match="combines 3 models but 2 members"):
        Trained("binary", [0, 1], trained.schema, trained.features, trained.members, choice)
