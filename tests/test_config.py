"""keel.yaml: defaults, and errors that name the file, line, key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

import keel
from keel.config import load_config
from keel.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "keel.yaml"
    path.write_text(text)
    return path


def test_generated_keel_yaml_loads_with_defaults(tmp_path: Path) -> None:
    ws = keel.Workspace.init(tmp_path, project="churn")
    ws.close()
    cfg = load_config(tmp_path / "keel.yaml")
    assert cfg.project == "churn"
    assert cfg.store.url == "sqlite:///.keel/keel.db"
    assert cfg.tracking.flush_interval_s == 1.0


def test_unknown_key_names_line_and_allowed_keys(tmp_path: Path) -> None:
    path = _write(tmp_path, "project: p\nstore:\n  url: sqlite:///x.db\n  artfacts: x\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}:4" in str(info.value)
    assert "store.artfacts" in str(info.value) and "url, artifacts" in str(info.value)
    assert info.value.field == "store.artfacts"


def test_bad_value_names_key_and_value(tmp_path: Path) -> None:
    path = _write(tmp_path, "project: p\ntracking:\n  flush_interval_s: -1\n")
    with pytest.raises(
        ConfigError,
        match=r":3: the 'tracking.flush_interval_s' setting must be greater than 0. Got -1",
    ):
        load_config(path)


def test_wrong_type(tmp_path: Path) -> None:
    path = _write(tmp_path, "project: p\nstore: 5\n")
    with pytest.raises(ConfigError, match=r":2: the 'store' setting must be a mapping"):
        load_config(path)


def test_broken_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "project: [p\nstore: {}\n")
    with pytest.raises(ConfigError, match=rf"{path}:2:6: not valid YAML"):
        load_config(path)


def test_missing_project_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'project' is required"):
        load_config(_write(tmp_path, "store: {}\n"))
    with pytest.raises(ConfigError, match="must be a mapping of settings"):
        load_config(_write(tmp_path, "- a\n- b\n"))


def test_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="keel init"):
        keel.Workspace.open(tmp_path)


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    keel.Workspace.init(tmp_path).close()
    with pytest.raises(ConfigError, match="already exists"):
        keel.Workspace.init(tmp_path)


def test_open_finds_keel_yaml_in_a_parent_folder(tmp_path: Path) -> None:
    keel.Workspace.init(tmp_path, project="up").close()
    (tmp_path / "src" / "deep").mkdir(parents=True)
    with keel.Workspace.open(tmp_path / "src" / "deep") as ws:
        assert ws.root == tmp_path.resolve() and ws.config.project == "up"


@pytest.mark.postgres
def test_store_url_env_selects_postgres(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEL_STORE_URL", postgres_url)
    with keel.Workspace.init(tmp_path) as ws:
        assert ws.store.dialect == "postgresql"
        with ws.start_run(params={"where": "pg"}) as run:
            run.log_metric("m", 1.0)
        assert ws.search_runs("params.where = 'pg'")[0].run_id == run.id
    assert not (tmp_path / ".keel" / "keel.db").exists()
