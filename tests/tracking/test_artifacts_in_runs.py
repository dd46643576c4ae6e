"""Artifacts logged with runs: files, folders, verified downloads, refused names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import keel
from keel.errors import ArtifactCorruptedError, ArtifactError


def test_folder_round_trip_and_dedup(workspace: keel.Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("same")
    (folder / "sub" / "b.txt").write_text("same")
    with workspace.start_run() as run:
        names = run.log_artifact(folder)
        run.log_text("hello", "notes/readme.txt")
    assert names == ["model/a.txt", "model/sub/b.txt"]
    listed = workspace.list_artifacts(run.id)
    assert [a.path for a in listed] == ["model/a.txt", "model/sub/b.txt", "notes/readme.txt"]
    assert listed[0].digest == listed[1].digest  # same content stored once
    assert len(list(workspace.artifacts.iter_blobs())) == 2
    out = workspace.download_artifact(run.id, "model", tmp_path / "out")
    assert (out / "sub" / "b.txt").read_text() == "same"


def test_corrupted_artifact_is_refused_by_name(workspace: keel.Workspace, tmp_path: Path) -> None:
    with workspace.start_run() as run:
        run.log_text("original", "a.txt")
    digest = workspace.list_artifacts(run.id)[0].digest
    blob = workspace.root / ".keel" / "artifacts" / "sha256" / digest[:2] / digest[2:]
    os.chmod(blob, 0o644)
    blob.write_text("tampered")
    with pytest.raises(ArtifactCorruptedError, match=digest[2:]):
        workspace.download_artifact(run.id, "a.txt", tmp_path / "a.txt")
    assert not (tmp_path / "a.txt").exists()


@pytest.mark.parametrize("name", ["/etc/passwd", "../escape", "a/../../b", "", "a\\b"])
def test_bad_artifact_names_are_refused(workspace: keel.Workspace, name: str) -> None:
    with workspace.start_run() as run, pytest.raises(ArtifactError, match="Artifact name"):
        run.log_text("x", name)
    assert workspace.list_artifacts(run.id) == []


def test_missing_source_and_unknown_artifact(workspace: keel.Workspace, tmp_path: Path) -> None:
    with workspace.start_run() as run, pytest.raises(ArtifactError, match="no such file"):
        run.log_artifact(tmp_path / "nope.bin")
    with pytest.raises(ArtifactError, match="no artifact named 'nope'"):
        workspace.download_artifact(run.id, "nope", tmp_path / "x")


def test_gc_reclaims_unreferenced_blobs_only(workspace: keel.Workspace) -> None:
    with workspace.start_run() as keep:
        keep.log_text("shared", "s.txt")
    with workspace.start_run() as drop:
        drop.log_text("shared", "s.txt")
        drop.log_text("only-mine" * 10, "own.txt")
    workspace.delete_runs([drop.id])
    report = workspace.gc()
    assert (report.runs_purged, report.blobs_deleted, report.bytes_freed) == (1, 1, 90)
    assert (
        workspace.download_artifact(keep.id, "s.txt", workspace.root / "s.txt").read_text()
        == "shared"
    )


def test_artifacts_on_an_fsspec_url_from_keel_yaml(tmp_path: Path) -> None:
    root = tmp_path / "remote"
    root.mkdir()
    (root / "keel.yaml").write_text(
        "project: remote\nstore:\n  artifacts: memory://keel-test-artifacts\n"
    )
    with keel.Workspace.open(root) as ws:
        with ws.start_run() as run:
            run.log_text("far away", "notes.txt")
        assert type(ws.artifacts).__name__ == "FsspecArtifactStore"
        out = ws.download_artifact(run.id, "notes.txt", tmp_path / "notes.txt")
        assert out.read_text() == "far away"
    assert not (root / ".keel" / "artifacts").exists()
