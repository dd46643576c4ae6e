"""Compiled tree ensembles (treelite + tl2cgen): parity with the native model, the measured
decision in the manifest, hash and platform checks before a library is loaded, and the
clear error without the extra."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import lightgbm
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

sys.path.insert(0, str(Path(__file__).parent))
from test_onnx_export import trained_model

pytest.importorskip("tl2cgen")

from keel.data import infer_schema
from keel.errors import ModelError, PackageError
from keel.models import Trained, load_package, write_package, zip_package
from keel.models import _compile as compile_module
from keel.models._compile_path import CompiledPath
from keel.models._compile_trees import build_library, member_layout, treelite_model
from keel.models._onnx import export_onnx
from keel.models._onnx_input import schema_matrix

LIBRARY = "compiled/0.so"


def lightgbm_model() -> tuple[Trained, object]:
    """A LightGBM classifier over the schema's columns (no feature pipeline), with NaNs."""
    data = load_iris(as_frame=True)
    X, y = data.data.copy(), (data.target == 2).astype(int)
    X.iloc[::9, 2] = np.nan
    model = lightgbm.LGBMClassifier(n_estimators=40, min_child_samples=5, verbose=-1)
    model.fit(X.iloc[::2], y.iloc[::2])
    return Trained.from_estimator(model, infer_schema(X)), X.iloc[1::2]


def compiled_path(trained: Trained, holdout) -> CompiledPath:
    export = export_onnx(trained, holdout)
    libraries = [build_library(treelite_model(model)) for _, _, model in trained.members]
    layouts = [member_layout(model) for _, _, model in trained.members]
    graph = export.graph if trained.features is not None else None
    return CompiledPath(trained, libraries, layouts, graph)


@pytest.fixture(scope="module")
def kept(tmp_path_factory):
    """A LightGBM package whose library is kept (any timing counts as faster here)."""
    trained, holdout = lightgbm_model()
    patch = pytest.MonkeyPatch()
    patch.setattr(compile_module, "FASTER_BELOW", float("inf"))
    try:
        folder = tmp_path_factory.mktemp("kept") / "pkg"
        write_package(trained, folder, holdout=(holdout, None), compile=True)
    finally:
        patch.undo()
    return trained, holdout, folder


@pytest.mark.parametrize(
    "model",
    [
        lambda: lightgbm_model(),
        lambda: trained_model(["random_forest"]),  # features in the pipeline graph
        lambda: trained_model(["lightgbm", "random_forest"], {"numeric": {"scale": "none"}}),
    ],
    ids=["lightgbm", "random_forest", "blend"],
)
def test_compiled_outputs_equal_the_native_model(model) -> None:
    trained, holdout = model()
    path = compiled_path(trained, holdout)
    reference = trained.output(holdout)
    rows = schema_matrix(holdout, trained.schema)
    np.testing.assert_allclose(path.output(rows), reference, atol=1e-5, rtol=0)
    singles = np.array([path.output_one(row) for row in rows])
    np.testing.assert_allclose(singles, reference, atol=1e-5, rtol=0)
    assert np.array_equal(singles.argmax(axis=1), reference.argmax(axis=1))


def test_multiclass_forest_compiles_with_its_class_columns() -> None:
    data = load_iris(as_frame=True)
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(data.data, data.target)
    trained = Trained.from_estimator(model, infer_schema(data.data))
    path = compiled_path(trained, data.data)
    rows = schema_matrix(data.data, trained.schema)
    np.testing.assert_allclose(path.output(rows), model.predict_proba(data.data), atol=1e-5)
    np.testing.assert_allclose(path.output_one(rows[70]), model.predict_proba(data.data)[70])


def test_the_manifest_records_both_timings_and_the_decision(kept) -> None:
    folder = kept[2]
    entry = json.loads((folder / "keel-model.json").read_text())["compiled"]
    assert entry["kept"] and entry["reason"] is None
    assert entry["parity"]["passed"] and entry["parity"]["max_abs_diff"] <= 1e-5
    one, batch = entry["timings"]["one_row"], entry["timings"]["batch"]
    assert one["compiled_p50_us"] > 0 and one["baseline_p50_us"] > 0
    assert batch["compiled_rows_per_s"] > 0 and batch["baseline_rows_per_s"] > 0
    assert entry["timings"]["baseline"] == "onnx"
    assert entry["members"] == [{"file": LIBRARY, "input": "float64"}]
    assert {"system", "machine", "libc", "python", "compiler"} <= set(entry["platform"])
    assert set(entry["tools"]) == {"treelite", "tl2cgen"}
    assert LIBRARY in json.loads((folder / "keel-model.json").read_text())["files"]
    assert "tl2cgen==" in (folder / "requirements.txt").read_text()


def test_the_predictor_uses_the_kept_library_from_a_folder_and_a_zip(kept, tmp_path) -> None:
    trained, holdout, folder = kept
    for source in (folder, zip_package(folder, tmp_path / "pkg.zip")):
        predictor = load_package(source).predictor()
        assert "compiled='one+batch'" in repr(predictor) and predictor.compiled_reason is None
        reference = trained.predict_proba(holdout)
        np.testing.assert_allclose(predictor.predict_proba(holdout), reference, atol=1e-5)
        records = holdout.to_dict("records")
        singles = np.array([predictor.predict_proba_one(r) for r in records])
        np.testing.assert_allclose(singles, reference, atol=1e-5)
        assert [predictor.predict_one(r) for r in records] == trained.predict(holdout).tolist()


def test_a_slower_library_is_not_kept_and_says_why(tmp_path, monkeypatch) -> None:
    trained, holdout = lightgbm_model()
    monkeypatch.setattr(compile_module, "FASTER_BELOW", 0.0)
    folder = write_package(trained, tmp_path / "pkg", holdout=(holdout, None), compile=True)
    manifest = json.loads((folder / "keel-model.json").read_text())
    entry = manifest["compiled"]
    assert not entry["kept"] and "slower" in entry["reason"]
    assert entry["use"] == {"one": False, "batch": False}
    assert entry["timings"]["one_row"]["compiled_p50_us"] > 0
    assert not (folder / "compiled").exists() and LIBRARY not in manifest["files"]
    assert "compiled" not in repr(load_package(folder).predictor())


def test_a_tampered_library_is_refused_by_its_hash(kept, tmp_path) -> None:
    _, _, folder = kept
    copy = tmp_path / "pkg"
    copy.mkdir()
    for path in folder.rglob("*"):
        if path.is_file():
            (copy / path.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
            (copy / path.relative_to(folder)).write_bytes(path.read_bytes())
    library = copy / LIBRARY
    data = bytearray(library.read_bytes())
    data[len(data) // 2] ^= 0xFF
    library.write_bytes(bytes(data))
    with pytest.raises(PackageError, match="SHA-256") as caught:
        load_package(copy)
    assert caught.value.file == LIBRARY


def test_another_platform_falls_back_with_the_reason(kept, tmp_path) -> None:
    trained, holdout, folder = kept
    zipped = zip_package(folder, tmp_path / "pkg.zip")
    package = load_package(zipped)
    package.manifest["compiled"]["platform"]["machine"] = "sparc64"  # built elsewhere
    predictor = package.predictor()
    assert "compiled" not in repr(predictor) and predictor.backend == "onnx"
    assert "machine 'sparc64'" in predictor.compiled_reason
    np.testing.assert_allclose(
        predictor.predict_proba(holdout), trained.predict_proba(holdout), atol=1e-5
    )


def test_without_tl2cgen_compile_says_how_to_install_and_serving_falls_back(
    kept, tmp_path, monkeypatch
) -> None:
    trained, holdout, folder = kept
    monkeypatch.setitem(sys.modules, "tl2cgen", None)  # import tl2cgen raises ImportError
    with pytest.raises(ModelError, match=r"pip install 'keel\[compile\]'") as caught:
        write_package(trained, tmp_path / "pkg", holdout=(holdout, None), compile=True)
    assert caught.value.field == "compile"
    predictor = load_package(folder).predictor()
    assert "keel[compile]" in predictor.compiled_reason and predictor.backend == "onnx"


def test_models_that_cannot_be_compiled_keep_the_reason(tmp_path) -> None:
    trained, holdout = trained_model(["logistic"])
    folder = write_package(trained, tmp_path / "a", holdout=(holdout, None), compile=True)
    entry = json.loads((folder / "keel-model.json").read_text())["compiled"]
    assert entry == {"kept": False, "reason": entry["reason"]}
    assert "LogisticRegression is not a tree ensemble" in entry["reason"]
    folder = write_package(trained, tmp_path / "b", holdout=(holdout, None))
    entry = json.loads((folder / "keel-model.json").read_text())["compiled"]
    assert entry["reason"] == "not requested (compile=False)"
