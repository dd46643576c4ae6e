"""The registry's tables and transactions, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import pytest

from keel.errors import RegistryError
from keel.store import SQLStore
from keel.store._sql_registry import NewVersion, held_versions

DIGEST = "ab" * 32


def _register(store: SQLStore, name: str = "churn", digest: str = DIGEST, **kwargs: object):
    new = NewVersion(name=name, package_digest=digest, package_size=10, manifest={"task": "x"})
    return store.register_model_version(new, who="ana", **kwargs)  # type: ignore[arg-type]


def test_versions_number_up_per_model_and_round_trip(store: SQLStore) -> None:
    new = NewVersion(
        name="churn",
        package_digest=DIGEST,
        package_size=123,
        manifest={"task": "binary", "metrics": {"auc": 0.9}},
        run_id="r1",
        snapshot_id="s" * 64,
        git_commit="c0ffee",
        parents=["base/1"],
        description="first",
        tags={"team": "risk"},
    )
    first = store.register_model_version(new, who="ana")
    assert (first.version, first.status, first.created_by) == (1, "active", "ana")
    assert first.manifest == {"task": "binary", "metrics": {"auc": 0.9}}
    assert (first.run_id, first.git_commit, first.parents) == ("r1", "c0ffee", ["base/1"])
    assert (first.tags, first.description, first.package_size) == ({"team": "risk"}, "first", 123)
    assert _register(store).version == 2
    assert _register(store, "other").version == 1
    assert [v.version for v in store.model_versions("churn")] == [1, 2]
    assert store.latest_model_version("churn").version == 2  # type: ignore[union-attr]
    assert store.model_versions_of_run("r1")[0].name == "churn"
    models = store.registered_models()
    assert [(m.name, m.latest_version, m.created_by) for m in models] == [
        ("churn", 2, "ana"),
        ("other", 1, "ana"),
    ]


def test_a_deleted_version_keeps_its_number(store: SQLStore) -> None:
    _register(store)
    _register(store)
    store.set_model_version_status("churn", 2, "deleted")
    assert _register(store).version == 3
    assert store.latest_model_version("churn").version == 3  # type: ignore[union-attr]
    assert [v.version for v in store.model_versions("churn")] == [1, 3]
    with pytest.raises(RegistryError, match="was deleted"):
        store.set_model_version_status("churn", 2, "active")


def test_alias_moves_are_recorded_with_revisions(store: SQLStore) -> None:
    _register(store, alias="champion", why="first")
    _register(store)
    event = store.move_model_alias("churn", "champion", 2, who="bo", why="better auc")
    assert (event.action, event.from_version, event.to_version) == ("set", 1, 2)
    assert (event.who, event.why, event.revision) == ("bo", "better auc", 2)
    assert store.model_alias("churn", "champion") == 2
    assert store.model_version("churn", 2).aliases == ["champion"]  # type: ignore[union-attr]
    store.remove_model_alias("churn", "champion", who="cy", why="retired")
    assert store.model_alias("churn", "champion") is None
    again = store.move_model_alias("churn", "champion", 1, who="cy")
    history = store.model_alias_history("churn", "champion")
    assert [(e.action, e.from_version, e.to_version) for e in history] == [
        ("set", None, 1),
        ("set", 1, 2),
        ("remove", 2, None),
        ("set", None, 1),
    ]
    assert [e.revision for e in history] == [1, 2, 3, 4] and again.revision == 4
    assert history[0].who == "ana" and history[0].why == "first"


def test_rollback_walks_back_and_then_refuses(store: SQLStore) -> None:
    for _ in range(3):
        _register(store)
    for version in (1, 2, 3):
        store.move_model_alias("churn", "champion", version, who="ana")
    back = store.rollback_model_alias("churn", "champion", who="bo", why="latency")
    assert (back.action, back.from_version, back.to_version) == ("rollback", 3, 2)
    back = store.rollback_model_alias("churn", "champion", who="bo")
    assert (back.from_version, back.to_version) == (2, 1)
    with pytest.raises(RegistryError, match="no previous version"):
        store.rollback_model_alias("churn", "champion", who="bo")
    assert store.model_alias("churn", "champion") == 1
    with pytest.raises(RegistryError, match="no alias 'staging'"):
        store.rollback_model_alias("churn", "staging", who="bo")


def test_aliased_versions_cannot_be_archived_or_deleted(store: SQLStore) -> None:
    _register(store, alias="champion")
    store.move_model_alias("churn", "shadow", 1, who="ana")
    for status, verb in (("archived", "archived"), ("deleted", "deleted")):
        with pytest.raises(RegistryError, match=f"cannot be {verb}: churn@champion, churn@shadow"):
            store.set_model_version_status("churn", 1, status)
    _register(store)
    store.set_model_version_status("churn", 2, "archived")
    with pytest.raises(RegistryError, match="version 2: that version is archived"):
        store.move_model_alias("churn", "champion", 2, who="ana")
    store.set_model_version_status("churn", 2, "active")
    store.move_model_alias("churn", "champion", 2, who="ana")


def test_package_digests_are_referenced_until_deleted(store: SQLStore) -> None:
    _register(store, digest="cd" * 32)
    assert "cd" * 32 in store.referenced_digests()
    store.set_model_version_status("churn", 1, "archived")
    assert "cd" * 32 in store.referenced_digests()
    store.set_model_version_status("churn", 1, "deleted")
    assert "cd" * 32 not in store.referenced_digests()


def test_tags_merge_and_descriptions(store: SQLStore) -> None:
    _register(store)
    store.update_model_details("churn", tags={"a": "1", "b": "2"}, description="model")
    store.update_model_details("churn", tags={"a": None, "c": "3"})
    store.update_model_details("churn", 1, tags={"v": "x"}, description="ver")
    model = store.registered_models("churn")[0]
    assert (model.tags, model.description) == ({"b": "2", "c": "3"}, "model")
    version = store.model_version("churn", 1)
    assert version is not None and (version.tags, version.description) == ({"v": "x"}, "ver")
    with pytest.raises(RegistryError, match="no version 7 of model 'churn'"):
        store.update_model_details("churn", 7, tags={"a": "b"})


def test_held_versions_replays_sets_rollbacks_and_removals() -> None:
    from keel.store._sql_registry import AliasEventRow

    def ev(action: str, to: int | None) -> AliasEventRow:
        return AliasEventRow(0, "m", "a", action, None, to, 0, None, 0.0, None)

    assert held_versions([ev("set", 1), ev("set", 1), ev("set", 2)]) == [1, 2]
    steps = [ev("set", 1), ev("set", 2), ev("set", 3), ev("rollback", 2), ev("set", 4)]
    assert held_versions(steps) == [1, 2, 4]
    assert held_versions([ev("set", 1), ev("remove", None), ev("set", 3)]) == [3]
