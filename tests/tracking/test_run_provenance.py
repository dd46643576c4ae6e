"""Runs record the code they ran: git commit and whether the tree had uncommitted changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import keel
from keel.tracking import _process


@pytest.fixture(autouse=True)
def fresh_git_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_process, "GIT_STATE_TTL_S", 0.0)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _repo_with_one_commit(repo: Path) -> str:
    """A git repository holding train.py in one commit; returns the commit hash."""
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "train.py").write_text("print('v1')\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "v1")
    return _git(repo, "rev-parse", "HEAD")


def test_git_commit_and_dirty_flag(
    workspace: keel.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "code"
    head = _repo_with_one_commit(repo)
    monkeypatch.chdir(repo)

    with workspace.start_run(name="clean") as clean:
        pass
    (repo / "train.py").write_text("print('v2')\n")
    with workspace.start_run(name="dirty") as dirty:
        pass

    assert (workspace.get_run(clean.id).git_commit, workspace.get_run(clean.id).git_dirty) == (
        head,
        False,
    )
    assert (workspace.get_run(dirty.id).git_commit, workspace.get_run(dirty.id).git_dirty) == (
        head,
        True,
    )


def test_outside_git_there_is_no_commit(
    workspace: keel.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with workspace.start_run() as run:
        pass
    record = workspace.get_run(run.id)
    assert (record.git_commit, record.git_dirty) == (None, None)


def test_git_state_is_reused_within_its_ttl(
    workspace: keel.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "code"
    _repo_with_one_commit(repo)
    monkeypatch.chdir(repo)
    monkeypatch.setattr(_process, "GIT_STATE_TTL_S", 3600.0)
    first = _process.git_state()
    (repo / "train.py").write_text("print('v2')\n")
    assert _process.git_state() == first
    monkeypatch.setattr(_process, "GIT_STATE_TTL_S", 0.0)
    assert _process.git_state() == (first[0], True)
