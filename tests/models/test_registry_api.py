"""The Registry over a real SQLite store, artifact store and real model packages."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from keel.data import infer_schema
from keel.errors import PackageError, RegistryError
from keel.models import Registry, Trained, load_package, write_package, zip_package
from keel.store import SQLStore
from keel.store._artifacts import ArtifactStore, open_artifact_store
from keel.tracking import Tracker
from keel.tracking._lifecycle import gc

FRAME = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "y": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]})
LABELS = ["no", "no", "no", "yes", "yes", "yes"]


def _package(dest: Path, c: float, lineage: dict | None = None) -> Path:
    model = LogisticRegression(C=c).fit(FRAME, LABELS)
    trained = Trained.from_estimator(model, infer_schema(FRAME))
    return write_package(trained, dest, onnx=False, lineage=lineage)


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three different packages; the first records a run, a commit and a snapshot."""
    root = tmp_path_factory.mktemp("packages")
    lineage = {"run_id": "run1", "git_commit": "c0ffee", "snapshot_id": "s" * 64}
    return [
        _package(root / f"p{i}", c, lineage if i == 0 else None)
        for i, c in enumerate((1.0, 0.1, 10.0))
    ]


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SQLStore, ArtifactStore]]:
    store = SQLStore(f"sqlite:///{tmp_path / 'keel.db'}")
    store.open()
    yield store, open_artifact_store(tmp_path / "artifacts")
    store.close()


@pytest.fixture
def registry(stores: tuple[SQLStore, ArtifactStore]) -> Registry:
    return Registry(*stores, user="ana")


def test_versions_increment_and_refs_resolve(registry: Registry, packages: list[Path]) -> None:
    first = registry.register("churn", packages[0], description="baseline", tags={"team": "risk"})
    assert (first.ref, first.status, first.created_by) == ("churn/1", "active", "ana")
    assert (first.run_id, first.git_commit, first.snapshot_id) == ("run1", "c0ffee", "s" * 64)
    assert first.manifest["format"] == "keel-model" and first.tags == {"team": "risk"}
    second = registry.register("churn", packages[1], alias="champion", why="better")
    assert second.version == 2 and second.aliases == ["champion"]
    assert second.package_digest != first.package_digest
    assert registry.resolve("churn").version == 2
    assert registry.resolve("churn/1").description == "baseline"
    assert registry.resolve("churn@champion").version == 2
    registry.archive("churn", 1)
    assert registry.resolve("churn/1").status == "archived"
    assert [v.version for v in registry.versions("churn")] == [1, 2]
    model = registry.list_models()[0]
    assert (model.name, model.latest_version, model.aliases) == ("churn", 2, {"champion": 2})


def test_unknown_names_versions_and_aliases_get_clear_errors(
    registry: Registry, packages: list[Path]
) -> None:
    with pytest.raises(RegistryError, match="No model named 'nope'"):
        registry.resolve("nope")
    registry.register("churn", packages[0], alias="champion")
    with pytest.raises(RegistryError, match=r"has no version 9 \(its versions: 1\)"):
        registry.resolve("churn/9")
    with pytest.raises(RegistryError, match=r"no alias 'staging' \(its aliases: champion\)"):
        registry.resolve("churn@staging")
    with pytest.raises(RegistryError, match="malformed"):
        registry.resolve("churn/")
    with pytest.raises(RegistryError, match="model name 'bad name'"):
        registry.register("bad name", packages[0])
    with pytest.raises(PackageError, match="no model package at"):
        registry.register("churn", packages[0].parent / "missing")


def test_alias_history_records_who_when_from_to_why(
    stores: tuple[SQLStore, ArtifactStore], packages: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEL_USER", "from-env")
    registry = Registry(*stores)
    for package in packages:
        registry.register("churn", package)
    registry.set_alias("churn", "champion", 1, why="first")
    Registry(*stores, user="bo").set_alias("churn", "champion", 3, why="auc +2%")
    registry.remove_alias("churn", "champion", why="incident")
    events = registry.history("churn", "champion")
    assert [(e.action, e.from_version, e.to_version) for e in events] == [
        ("set", None, 1),
        ("set", 1, 3),
        ("remove", 3, None),
    ]
    assert [e.who for e in events] == ["from-env", "bo", "from-env"]
    assert [e.why for e in events] == ["first", "auc +2%", "incident"]
    assert events[0].at <= events[1].at <= events[2].at
    with pytest.raises(RegistryError, match="no alias 'champion'"):
        registry.resolve("churn@champion")


def test_rollback_walks_back_and_refuses_without_a_previous_version(
    registry: Registry, packages: list[Path]
) -> None:
    for package in packages:
        registry.register("churn", package, alias="champion")
    assert registry.resolve("churn@champion").version == 3
    back = registry.rollback("churn", why="latency regression")
    assert (back.action, back.from_version, back.to_version) == ("rollback", 3, 2)
    assert (back.who, back.why) == ("ana", "latency regression")
    assert registry.rollback("churn").to_version == 1
    with pytest.raises(RegistryError, match="churn@champion has no previous version"):
        registry.rollback("churn")
    assert registry.resolve("churn@champion").version == 1
    registry.set_alias("churn", "champion", 3)
    assert registry.rollback("churn").to_version == 1  # 2 was rolled back past
    with pytest.raises(RegistryError, match="no alias 'shadow'"):
        registry.rollback("churn", "shadow")


def test_aliased_versions_cannot_be_deleted_or_archived(
    registry: Registry, packages: list[Path]
) -> None:
    registry.register("churn", packages[0], alias="champion")
    registry.register("churn", packages[1])
    with pytest.raises(RegistryError, match="cannot be deleted: churn@champion points at it"):
        registry.delete("churn", 1)
    with pytest.raises(RegistryError, match="cannot be archived: churn@champion points at it"):
        registry.archive("churn", 1)
    registry.set_alias("churn", "champion", 2)
    registry.delete("churn", 1)
    with pytest.raises(RegistryError, match="Version 1 of model 'churn' was deleted"):
        registry.resolve("churn/1")
    with pytest.raises(RegistryError, match="was deleted"):
        registry.set_alias("churn", "shadow", 1)
    with pytest.raises(
        RegistryError, match="to version 1, the one it held before: version 1 is deleted"
    ):
        registry.rollback("churn")  # 1 -> 2, and 1 is gone: the error says so
    assert registry.register("churn", packages[2]).version == 3  # numbers are never reused


def test_fetch_gives_a_verified_package(
    registry: Registry, packages: list[Path], tmp_path: Path
) -> None:
    registry.register("churn", packages[0], alias="champion")
    folder = registry.fetch("churn@champion", tmp_path / "cache")
    assert folder.parent == tmp_path / "cache"
    assert folder.name == registry.resolve("churn/1").package_digest
    package = load_package(folder)
    assert package.trained().predict(FRAME).tolist() == LABELS
    assert registry.fetch("churn/1", tmp_path / "cache") == folder  # cached


def test_a_zip_registers_as_the_same_content(
    registry: Registry, packages: list[Path], tmp_path: Path
) -> None:
    archive = zip_package(packages[0], tmp_path / "p.zip")
    assert (
        registry.register("churn", archive).package_digest
        == registry.register("churn", packages[0]).package_digest
    )


def test_a_tampered_package_is_refused(
    registry: Registry, packages: list[Path], tmp_path: Path
) -> None:
    archive = zip_package(packages[0], tmp_path / "p.zip")
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data + b" " if info.filename == "schema.json" else data)
    with pytest.raises(PackageError, match=r"schema\.json"):
        registry.register("churn", tampered)
    assert registry.list_models() == []


def test_lineage_follows_parents_recursively(registry: Registry, packages: list[Path]) -> None:
    registry.register("base", packages[0], alias="champion")
    registry.register("churn", packages[1], parents=["base@champion"])
    registry.register("churn", packages[2], parents=["churn/1"])
    lineage = registry.lineage("churn")
    assert lineage.ref == "churn/2" and lineage.version.parents == ["churn/1"]
    [parent] = lineage.parents
    assert parent.ref == "churn/1" and parent.version.parents == ["base/1"]  # pinned
    [grandparent] = parent.parents
    assert (grandparent.run_id, grandparent.git_commit) == ("run1", "c0ffee")
    assert grandparent.snapshot_id == "s" * 64 and "scikit-learn" in grandparent.packages
    with pytest.raises(RegistryError, match="No model named 'ghost'"):
        registry.register("churn", packages[0], parents=["ghost/1"])


def test_manifest_parents_are_pinned_or_kept(registry: Registry, tmp_path: Path) -> None:
    registry.register("base", _package(tmp_path / "a", 1.0), alias="champion")
    lineage = {"parents": ["base@champion", "elsewhere/4"]}
    child = registry.register("child", _package(tmp_path / "b", 2.0, lineage))
    assert child.parents == ["base/1", "elsewhere/4"]
    assert registry.lineage("child/1").unresolved_parents == ["elsewhere/4"]


def test_tags_and_descriptions(registry: Registry, packages: list[Path]) -> None:
    registry.register("churn", packages[0], tags={"a": "1"})
    registry.set_tags("churn", {"owner": "risk"})
    registry.set_tags("churn", {"a": None, "b": "2"}, version=1)
    registry.set_description("churn", "churn model")
    registry.set_description("churn", "v1", version=1)
    model, version = registry.model("churn"), registry.resolve("churn/1")
    assert (model.tags, model.description) == ({"owner": "risk"}, "churn model")
    assert (version.tags, version.description) == ({"b": "2"}, "v1")


def test_gc_keeps_registered_packages_and_frees_deleted_ones(
    stores: tuple[SQLStore, ArtifactStore], packages: list[Path]
) -> None:
    registry = Registry(*stores, user="ana")
    kept = registry.register("churn", packages[0], alias="champion")
    dropped = registry.register("churn", packages[1])
    tracker = Tracker(*stores)
    gc(tracker)
    assert stores[1].exists(kept.package_digest) and stores[1].exists(dropped.package_digest)
    registry.delete("churn", 2)
    gc(tracker)
    assert stores[1].exists(kept.package_digest)
    assert not stores[1].exists(dropped.package_digest)
