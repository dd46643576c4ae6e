"""keel runs delete / restore / gc, keel experiments, keel gc."""

from __future__ import annotations

import json

import keel


def names(cli, populated, *extra):
    result = cli("-w", populated.root, "runs", "list", "--json", *extra)
    return sorted(run["name"] for run in json.loads(result.stdout)["runs"])


# -- runs delete / restore ---------------------------------------------------------------


def test_delete_tombstones_and_restore_brings_back(cli, populated):
    result = cli("-w", populated.root, "runs", "delete", populated.alpha[:8], populated.beta)
    assert result.exit_code == 0, result.output
    assert "Deleted 2 runs" in result.stdout
    assert names(cli, populated) == ["gamma"]
    assert populated.blob(populated.alpha).exists()
    result = cli("-w", populated.root, "runs", "restore", populated.alpha[:8], populated.beta)
    assert result.exit_code == 0
    assert "Restored 2 runs" in result.stdout
    assert names(cli, populated) == ["alpha", "beta", "gamma"]


def test_purge_reports_reclaimed_bytes_and_removes_the_blob(cli, populated):
    beta_blob = populated.blob(populated.beta)
    assert beta_blob.is_file()
    result = cli("-w", populated.root, "runs", "delete", populated.beta, "--purge", "--yes")
    assert result.exit_code == 0, result.output
    size = len("beta's own model\n")
    assert f"Purged 1 run: 1 artifact blob deleted, {size} B reclaimed." in result.stdout
    assert not beta_blob.exists()
    assert names(cli, populated, "--deleted") == ["alpha", "gamma"]


def test_purge_keeps_blobs_other_runs_use(cli, populated):
    shared = populated.blob(populated.alpha)
    result = cli("-w", populated.root, "runs", "delete", populated.alpha, "--purge", "-y")
    assert "Purged 1 run: 0 artifact blobs deleted, 0 B reclaimed." in result.stdout
    assert shared.is_file()
    cli("-w", populated.root, "runs", "delete", populated.gamma, "--purge", "-y")
    assert not shared.exists()


def test_purge_asks_first(cli, populated):
    result = cli("-w", populated.root, "runs", "delete", populated.beta, "--purge", input="n\n")
    assert result.exit_code == 1
    assert "Purge 1 run for good?" in result.stderr
    assert names(cli, populated) == ["alpha", "beta", "gamma"]
    result = cli("-w", populated.root, "runs", "delete", populated.beta, "--purge", input="y\n")
    assert result.exit_code == 0
    assert "Purged 1 run" in result.stdout


def test_delete_and_restore_unknown_runs(cli, populated):
    for command in ("delete", "restore"):
        result = cli("-w", populated.root, "runs", command, populated.alpha, "0" * 32)
        assert result.exit_code == 1
        assert "No run with id" in result.stderr
    assert names(cli, populated) == ["alpha", "beta", "gamma"]  # nothing half-done


def test_delete_needs_a_run(cli, populated):
    assert cli("-w", populated.root, "runs", "delete").exit_code == 2


# -- runs gc -----------------------------------------------------------------------------


def test_runs_gc_marks_dead_runs_killed(cli, populated):
    with keel.Workspace.open(populated.root) as ws:
        dead = ws.start_run("dead")
        # Same pid, other start time: the process that started the run is gone.
        ws.store.update_run(dead.id, pid_started=1)
        elsewhere = ws.start_run("elsewhere")
        ws.store.update_run(elsewhere.id, host="another-host.example")
        alive = ws.start_run("alive")
    result = cli("-w", populated.root, "runs", "gc")
    assert result.exit_code == 0, result.output
    assert "Marked 1 run KILLED" in result.stdout
    assert dead.id[:8] in result.stdout
    assert "1 RUNNING run started on other hosts" in result.stdout
    shown = json.loads(cli("-w", populated.root, "runs", "show", dead.id, "--json").stdout)
    assert shown["status"] == "KILLED"
    assert "ended without ending the run" in shown["error"]
    again = json.loads(cli("-w", populated.root, "runs", "gc", "--json").stdout)
    assert again["killed"] == []
    assert [r["run_id"] for r in again["unchecked"]] == [elsewhere.id]
    still = json.loads(cli("-w", populated.root, "runs", "show", alive.id, "--json").stdout)
    assert still["status"] == "RUNNING"


# -- experiments -------------------------------------------------------------------------


def test_experiments_list(cli, populated):
    result = cli("-w", populated.root, "experiments", "list")
    assert result.exit_code == 0
    assert "exp-a" in result.stdout and "exp-b" in result.stdout
    data = json.loads(cli("-w", populated.root, "experiments", "list", "--json").stdout)
    runs = {e["name"]: e["runs"] for e in data["experiments"]}
    assert runs == {"exp-a": 2, "exp-b": 1}
    assert all(e["lifecycle"] == "active" for e in data["experiments"])


def test_experiments_delete_then_gc(cli, populated):
    result = cli("-w", populated.root, "experiments", "delete", "exp-a")
    assert result.exit_code == 0, result.output
    assert "Deleted experiment 'exp-a'" in result.stdout
    assert names(cli, populated) == ["gamma"]
    listed = cli("-w", populated.root, "experiments", "list")
    assert "exp-a" not in listed.stdout
    deleted = cli("-w", populated.root, "experiments", "list", "--deleted")
    assert "exp-a (deleted)" in deleted.stdout
    beta_blob = populated.blob(populated.beta)
    result = cli("-w", populated.root, "gc")
    assert result.exit_code == 0
    size = len("beta's own model\n")
    assert f"Purged 2 runs and 1 experiment; deleted 1 artifact blob, {size} B reclaimed." in (
        result.stdout
    )
    assert not beta_blob.exists()
    assert populated.blob(populated.gamma).exists()  # shared with purged alpha, still used
    again = cli("-w", populated.root, "gc")
    assert "Purged 0 runs and 0 experiments; deleted 0 artifact blobs, 0 B reclaimed." in (
        again.stdout
    )


def test_experiments_purge(cli, populated):
    result = cli("-w", populated.root, "experiments", "delete", "exp-b", "--purge", "--yes")
    assert result.exit_code == 0, result.output
    assert "Purged experiment 'exp-b' and 1 run: 0 artifact blobs deleted" in result.stdout
    data = json.loads(
        cli("-w", populated.root, "experiments", "list", "--deleted", "--json").stdout
    )
    assert [e["name"] for e in data["experiments"]] == ["exp-a"]


def test_experiments_purge_asks_first(cli, populated):
    result = cli("-w", populated.root, "experiments", "delete", "exp-b", "--purge", input="n\n")
    assert result.exit_code == 1
    assert names(cli, populated) == ["alpha", "beta", "gamma"]


def test_experiments_unknown(cli, populated):
    result = cli("-w", populated.root, "experiments", "delete", "nope")
    assert result.exit_code == 1
    assert "No experiment named 'nope'" in result.stderr


def test_experiments_list_empty(cli, tmp_path):
    cli("init", tmp_path)
    assert "No experiments yet" in cli("-w", tmp_path, "experiments", "list").stdout
    data = json.loads(cli("-w", tmp_path, "experiments", "list", "--json").stdout)
    assert data == {"experiments": []}
