"""export_bundle: the edge bundle's predict.py runs in a fresh virtual environment holding
only numpy and onnxruntime, and predicts what keel predicts (to 1e-5)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import Ridge

from keel.data import RecordValidator, infer_schema
from keel.errors import ModelError
from keel.features import FeaturePipeline
from keel.models._bundle import BUNDLE_FILES, export_bundle
from keel.models._package import load_package, write_package
from keel.models._trained import Trained

CLASSES = ["benign", "malignant"]


def _cancer(categorical: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    data = load_breast_cancer(as_frame=True)
    frame = data.data.iloc[:, :5].copy()
    frame.loc[::13, frame.columns[0]] = np.nan
    rng = np.random.default_rng(0)
    frame["visits"] = rng.integers(0, 9, len(frame)).astype("int64")
    frame["smoker"] = rng.random(len(frame)) > 0.7
    if categorical:
        frame["plan"] = rng.choice(["basic", "pro", "team"], len(frame))
    return frame, np.where(data.target == 1, *CLASSES)


def _classifier_package(
    dest: Path, *, categorical: bool = False, onnx: bool = True, quantize: bool = False
) -> Path:
    """A keel feature pipeline and a LightGBM member, as AutoML would make them."""
    frame, y = _cancer(categorical)
    schema = infer_schema(frame)
    features = FeaturePipeline({"numeric": {"scale": "none"}}, schema=schema)
    features.fit(frame[:400], y[:400])
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1)
    model.fit(features.transform(frame[:400]), np.searchsorted(CLASSES, y[:400]))
    trained = Trained("binary", CLASSES, schema, features, [("lightgbm", {}, model)], None)
    holdout = (frame[400:], y[400:])
    return write_package(trained, dest, holdout=holdout, onnx=onnx, quantize=quantize)


def _regressor_package(dest: Path) -> Path:
    frame = _cancer()[0].drop(columns=["mean radius"])
    target = frame["mean area"] / 100 + frame["visits"]
    model = Ridge().fit(frame[:400], target[:400])
    trained = Trained.from_estimator(model, infer_schema(frame))
    return write_package(trained, dest, holdout=(frame[400:], target[400:]))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON would carry them: NaN becomes None."""
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bundles")
    classifier = _classifier_package(root / "classifier-pkg")
    regressor = _regressor_package(root / "regressor-pkg")
    return {
        "classifier": export_bundle(load_package(classifier), root / "classifier"),
        "classifier-pkg": classifier,
        "regressor": export_bundle(regressor, root / "regressor"),
        "regressor-pkg": regressor,
    }


@pytest.fixture(scope="session")
def edge_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with numpy and onnxruntime only, made once a session."""
    venv = tmp_path_factory.mktemp("edge-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    result = subprocess.run(
        [*install, "numpy", "onnxruntime"], capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        message = f"pip could not install numpy and onnxruntime: {result.stderr[-500:]}"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return python


def _run_edge(python: Path, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave the bundle folder as it was written
    return subprocess.run(
        [str(python), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env
    )


@pytest.mark.slow
def test_bundle_predicts_like_keel_in_a_fresh_venv(
    bundles: dict[str, Path], edge_python: Path, tmp_path: Path
) -> None:
    frame = _cancer()[0][400:]
    records = tmp_path / "records.json"
    records.write_text(json.dumps(_records(frame)))

    result = _run_edge(edge_python, bundles["classifier"] / "predict.py", records, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    keel = load_package(bundles["classifier-pkg"]).predictor()
    assert [line["label"] for line in lines] == keel.predict(frame).tolist()
    got = np.array([[line["probabilities"][c] for c in CLASSES] for line in lines])
    np.testing.assert_allclose(got, keel.predict_proba(frame), atol=1e-5, rtol=0)


_API_CHECK = """
import importlib.util, json, sys
sys.path.insert(0, sys.argv[1])
from predict import BundleModel
model = BundleModel(sys.argv[1])
records = json.load(open(sys.argv[2]))
print(json.dumps({
    "one": model.predict(records[0]),
    "many": model.predict(records),
    "proba": model.predict_proba(records).tolist() if model.classes else None,
    "found": [m for m in ("keel", "pandas", "sklearn") if importlib.util.find_spec(m)],
}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_bundle_python_api_in_a_fresh_venv(
    kind: str, bundles: dict[str, Path], edge_python: Path, tmp_path: Path
) -> None:
    frame = _cancer()[0][400:]
    keel = load_package(bundles[f"{kind}-pkg"]).predictor()
    frame = frame[[c.name for c in keel.trained.schema.features()]]
    (tmp_path / "records.json").write_text(json.dumps(_records(frame)))
    (tmp_path / "check.py").write_text(_API_CHECK)

    result = _run_edge(edge_python, "check.py", bundles[kind], "records.json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["found"] == []  # nothing but numpy and onnxruntime
    if kind == "classifier":
        assert out["many"] == keel.predict(frame).tolist()
        assert out["one"] == out["many"][0]
        np.testing.assert_allclose(out["proba"], keel.predict_proba(frame), atol=1e-5, rtol=0)
    else:
        expected = keel.predict(frame)
        scale = np.abs(expected).max()
        np.testing.assert_allclose(out["many"], expected, atol=1e-5 * scale, rtol=0)
        assert out["one"] == pytest.approx(out["many"][0])


@pytest.mark.slow
def test_bad_records_are_refused_in_a_fresh_venv(
    bundles: dict[str, Path], edge_python: Path, tmp_path: Path
) -> None:
    good = _records(_cancer()[0][:1])[0]
    bad = [
        {**good, "mean texture": "soft"},
        {k: v for k, v in good.items() if k != "visits"},
        {**good, "mean area": None, "smoker": "maybe", "visits": 2.5},
    ]
    (tmp_path / "bad.json").write_text(json.dumps(bad))

    result = _run_edge(edge_python, bundles["classifier"] / "predict.py", "bad.json", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    for line in (
        "record 0: field 'mean texture': expected a number, got 'soft'",
        "record 1: field 'visits': missing (expected a whole number)",
        "record 2: field 'mean area': expected a number, not null",
        "record 2: field 'smoker': expected true or false, got 'maybe'",
        "record 2: field 'visits': expected a whole number, got 2.5",
    ):
        assert line in result.stderr


def _bundle_module(bundle: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    spec = importlib.util.spec_from_file_location(f"bundle_{bundle.name}", bundle / "predict.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundle_encodes_records_as_keel_validates_them(
    bundles: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = _bundle_module(bundles["classifier"], monkeypatch)
    model = module.BundleModel(bundles["classifier"])
    schema = load_package(bundles["classifier-pkg"]).schema
    good = _records(_cancer()[0][:3])
    # What keel also accepts: numbers as strings, whole floats, booleans as words and 0/1.
    good[1] = {**good[1], "mean texture": "17.5", "visits": 3.0, "smoker": "true"}
    good[2] = {**good[2], "mean area": np.float32(800.5), "smoker": 0}
    expected = np.array([RecordValidator(schema).validate(r)[0] for r in good])

    matrix = model.matrix(good)  # in the graph's input dtype
    np.testing.assert_array_equal(matrix, expected.astype(matrix.dtype))
    for bad in ({**good[0], "visits": True}, {**good[0], "smoker": 2}):
        assert RecordValidator(schema).validate(bad)[1]
        with pytest.raises(ValueError, match="record 0: field"):
            model.matrix([bad])


def test_bundle_files(bundles: dict[str, Path]) -> None:
    bundle = bundles["classifier"]
    assert sorted(p.name for p in bundle.iterdir()) == sorted(BUNDLE_FILES)
    schema = json.loads((bundle / "schema.json").read_text())
    assert [c["name"] for c in schema["columns"]][-2:] == ["visits", "smoker"]
    assert (schema["task"], schema["classes"], schema["output"]) == (
        "binary",
        CLASSES,
        "probabilities",
    )
    readme = (bundle / "README.md").read_text()
    assert "| `visits` | integer | no |" in readme and "pip install numpy onnxruntime" in readme


def test_no_pipeline_graph_means_no_bundle(tmp_path: Path) -> None:
    model_scope = _classifier_package(tmp_path / "categorical", categorical=True)
    with pytest.raises(ModelError, match=r"graph of the model only \(scope 'model'\).*'plan'"):
        export_bundle(model_scope, tmp_path / "b1")
    without = _classifier_package(tmp_path / "plain", onnx=False)
    with pytest.raises(ModelError, match=r"has no ONNX graph: .*Serve this model with keel"):
        export_bundle(without, tmp_path / "b2")
    # Tree graphs have no weights for int8 to shrink, so keel keeps none (H2's rule).
    float_only = _classifier_package(tmp_path / "float", quantize=True)
    with pytest.raises(ModelError, match=r"has no int8 graph: .*quantized=False"):
        export_bundle(float_only, tmp_path / "b3", quantized=True)
    (tmp_path / "taken").mkdir()
    with pytest.raises(ModelError, match="taken already exists"):
        export_bundle(float_only, tmp_path / "taken")
    assert not any((tmp_path / name).exists() for name in ("b1", "b2", "b3"))
