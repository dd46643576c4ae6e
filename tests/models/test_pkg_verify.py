"""Loading refuses what it cannot trust, naming the file: altered, truncated, missing or
extra files, a truncated zip, a newer format, a type outside the skops allowlist."""

from __future__ import annotations

import gc
import hashlib
import json
import operator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from keel.data import infer_schema
from keel.errors import ModelError, PackageError
from keel.features import FeaturePipeline
from keel.models._package import (
    FORMAT_VERSION,
    MANIFEST,
    load_package,
    read_manifest,
    write_package,
    zip_package,
)
from keel.models._trained import Trained
from keel.train._catalog import get_algorithm


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=80), "z": rng.normal(size=80)})


@pytest.fixture
def package(frame: pd.DataFrame, tmp_path: Path) -> Path:
    y = (frame["x"] + frame["z"] > 0).astype(int).to_numpy()
    schema = infer_schema(frame)
    pipe = FeaturePipeline(schema=schema, task="binary")
    matrix = pipe.fit_transform(frame, y)
    logistic = get_algorithm("logistic")
    model = logistic.fit(logistic.build({}, "binary", 2, 0, 1, None), matrix, y)
    trained = Trained("binary", [0, 1], schema, pipe, [("logistic", {}, model)], None)
    return write_package(trained, tmp_path / "pkg", holdout=(frame, y), onnx=False)


def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())


def _rewrite_manifest(folder: Path, **changes: object) -> None:
    manifest = {**_manifest(folder), **changes}
    (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("name", ["members/0.skops", "features.keelfp", "schema.json"])
def test_an_altered_file_is_refused_by_name(package: Path, name: str) -> None:
    data = bytearray((package / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (package / name).write_bytes(bytes(data))
    with pytest.raises(PackageError, match=name.replace(".", r"\.")) as caught:
        load_package(package)
    assert caught.value.file == name


def test_a_truncated_file_is_refused_by_name(package: Path) -> None:
    path = package / "members" / "0.skops"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(PackageError, match="truncated") as caught:
        load_package(package)
    assert caught.value.file == "members/0.skops"


def test_a_truncated_zip_is_refused(package: Path, tmp_path: Path) -> None:
    archive = zip_package(package, tmp_path / "pkg.zip")
    archive.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(PackageError, match="not a complete zip") as caught:
        load_package(archive)
    assert caught.value.file == "pkg.zip"


def test_a_newer_format_is_refused_naming_the_keel_it_needs(package: Path) -> None:
    _rewrite_manifest(package, format_version=FORMAT_VERSION + 1, keel_version="9.1.0")
    for read in (read_manifest, load_package):
        with pytest.raises(PackageError, match=r"format 2 by keel 9\.1\.0.*keel>=9\.1\.0"):
            read(package)


def test_a_file_the_manifest_does_not_list_is_refused(package: Path) -> None:
    (package / "members" / "1.skops").write_bytes(b"extra")
    with pytest.raises(PackageError, match="does not list") as caught:
        load_package(package)
    assert caught.value.file == "members/1.skops"


def test_a_missing_file_is_refused(package: Path) -> None:
    (package / "profile.json").unlink()
    with pytest.raises(PackageError, match=r"lacks profile\.json") as caught:
        load_package(package)
    assert caught.value.file == "profile.json"


def test_a_listed_file_outside_the_format_is_refused(package: Path) -> None:
    files = {**_manifest(package)["files"], "../escape.py": "0" * 64}
    _rewrite_manifest(package, files=files)
    with pytest.raises(PackageError, match="not a file of the keel package format") as caught:
        load_package(package)
    assert caught.value.file == "../escape.py"


def test_a_type_outside_the_allowlist_is_never_built(package: Path) -> None:
    import skops.io as sio

    # A consistent package (hash updated) whose member holds a function from outside the
    # allowlist: the hash passes, the skops allowlist must still refuse it.
    data = sio.dumps(FunctionTransformer(operator.methodcaller("__class__")))
    (package / "members" / "0.skops").write_bytes(data)
    manifest = _manifest(package)
    manifest["files"]["members/0.skops"] = hashlib.sha256(data).hexdigest()
    _rewrite_manifest(package, files=manifest["files"])
    loaded = load_package(package)
    with pytest.raises(PackageError, match="operator") as caught:
        loaded.trained()
    assert caught.value.file == "members/0.skops"


def test_writing_refuses_an_estimator_skops_could_not_load_back(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    y = (frame["x"] > 0).astype(int)
    model = make_pipeline(FunctionTransformer(operator.neg), LogisticRegression()).fit(frame, y)
    trained = Trained.from_estimator(model, infer_schema(frame))
    with pytest.raises(ModelError, match="operator"):
        write_package(trained, tmp_path / "bad", onnx=False)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_zip_round_trip_is_deterministic_and_cleans_up(package: Path, tmp_path: Path) -> None:
    first = zip_package(package, tmp_path / "a.zip")
    second = zip_package(package, tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()
    assert read_manifest(first)["task"] == "binary"
    loaded = load_package(first)
    assert loaded.source == first and (loaded.root / MANIFEST).is_file()
    assert loaded.files == load_package(package).files
    root = loaded.root
    del loaded
    gc.collect()
    assert not root.exists()


def test_an_existing_package_is_replaced_and_other_folders_are_not(
    package: Path, tmp_path: Path
) -> None:
    trained = load_package(package).trained()
    write_package(trained, package, onnx=False, metrics={"auc": 0.5})
    assert load_package(package).manifest["metrics"] == {"auc": 0.5}
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(ModelError, match="not a keel package folder"):
        write_package(trained, other, onnx=False)
    assert (other / "notes.txt").read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_folder_without_a_manifest_is_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="not a keel model package"):
        load_package(tmp_path)
