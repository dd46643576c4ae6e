"""What a package says about itself: the manifest's keys, lineage, the reference profile,
the model card and the pinned requirements."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from keel.data import infer_schema
from keel.errors import ModelError
from keel.models._package import MANIFEST, load_package, read_manifest, write_package
from keel.models._trained import Trained


@pytest.fixture
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=100), "plan": rng.choice(["a", "b"], size=100)})
    frame.loc[:9, "x"] = np.nan
    return frame, (rng.normal(size=100) > 0).astype(int)


@pytest.fixture
def trained(data: tuple) -> Trained:
    frame, y = data
    model = LogisticRegression().fit(frame[["x"]].fillna(0.0), y)
    schema = infer_schema(frame[["x"]])
    return Trained.from_estimator(model, schema)


def test_the_manifest_holds_the_contracts_keys(trained: Trained, tmp_path: Path) -> None:
    lineage = {"run_id": "r1", "snapshot_id": "s1", "git_commit": "abc", "parents": ["m/1"]}
    folder = write_package(
        trained, tmp_path / "pkg", onnx=False, metrics={"roc_auc": 0.71}, lineage=lineage
    )
    manifest = read_manifest(folder)
    assert manifest["format"] == "keel-model" and manifest["format_version"] == 1
    assert manifest["task"] == "binary" and manifest["classes"] == [0, 1]
    assert manifest["input_schema"] == "schema.json" and manifest["feature_names"] == ["x"]
    assert manifest["output"] == {"kind": "probabilities", "columns": ["0", "1"]}
    assert manifest["metrics"] == {"roc_auc": 0.71}
    assert {k: manifest["lineage"][k] for k in lineage} == lineage
    assert manifest["lineage"]["created_at"] and manifest["lineage"]["packages"]["scikit-learn"]
    member = manifest["members"][0]
    assert {"family", "params", "file", "format"} <= set(member)
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == on_disk - {MANIFEST}


def test_unknown_lineage_keys_are_refused(trained: Trained, tmp_path: Path) -> None:
    imported = {"imported_from": "/models/mlflow-churn"}
    folder = write_package(trained, tmp_path / "ok", onnx=False, lineage=imported)
    assert read_manifest(folder)["lineage"]["imported_from"] == "/models/mlflow-churn"
    with pytest.raises(ModelError, match="lineage keys must be among") as caught:
        write_package(trained, tmp_path / "pkg", onnx=False, lineage={"run": "r1"})
    assert caught.value.field == "lineage.run"


def test_the_profile_describes_the_reference_data(data: tuple, tmp_path: Path) -> None:
    frame, y = data
    model = LogisticRegression().fit(pd.get_dummies(frame["plan"]), y)
    schema = infer_schema(frame)
    trained = Trained.from_estimator(model, schema)
    folder = write_package(trained, tmp_path / "pkg", reference=frame, onnx=False)
    profile = load_package(folder).profile()
    assert profile["row_count"] == 100
    x = profile["columns"]["x"]
    assert x["null_share"] == pytest.approx(0.1)
    assert len(x["edges"]) == 11 and sum(x["proportions"]) == pytest.approx(1.0)
    plan = profile["columns"]["plan"]
    assert set(plan["categories"]) == {"a", "b"}
    assert sum(plan["categories"].values()) == pytest.approx(1.0)


def test_the_card_states_facts_only(trained: Trained, tmp_path: Path) -> None:
    folder = write_package(
        trained,
        tmp_path / "pkg",
        onnx=False,
        metrics={"roc_auc": 0.71},
        lineage={"run_id": "run-42"},
    )
    card = (folder / "card.md").read_text()
    assert card.startswith("# Model card: binary classification (external)")
    assert "| roc_auc | 0.71 |" in card and "`run-42`" in card and "| `x` | numeric |" in card
    assert not any(word in card.lower() for word in ("todo", "tbd", "fill in", "<"))
    custom = write_package(trained, tmp_path / "own", onnx=False, card="# Mine\n")
    assert (custom / "card.md").read_text() == "# Mine\n"


def test_requirements_pin_the_installed_versions(trained: Trained, tmp_path: Path) -> None:
    folder = write_package(trained, tmp_path / "pkg", onnx=False)
    lines = (folder / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines)
    assert {"keel", "numpy", "pandas", "scikit-learn", "scipy", "skops"} <= set(pins)
    assert pins["scikit-learn"] == importlib.metadata.version("scikit-learn")
    assert "lightgbm" not in pins  # only what this model needs
    packages = json.loads((folder / MANIFEST).read_text())["lineage"]["packages"]
    assert packages == pins


def test_a_bad_holdout_is_refused(trained: Trained, data: tuple, tmp_path: Path) -> None:
    frame, y = data
    with pytest.raises(ModelError, match="80 rows but its y has 100"):
        write_package(trained, tmp_path / "pkg", holdout=(frame.head(80), y))
