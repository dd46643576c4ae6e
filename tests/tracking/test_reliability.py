"""Many processes on one SQLite store, and a logging process killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import keel

pytestmark = pytest.mark.slow

WRITER = textwrap.dedent(
    """
    import sys, keel
    ws = keel.Workspace.open(sys.argv[1])
    worker, runs, points = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    for r in range(runs):
        with ws.start_run(name=f"w{worker}-r{r}", experiment="load",
                          params={"worker": worker, "run": r}) as run:
            for step in range(points):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
                run.log_metric("acc", step / points, step=step)
                if step % 500 == 0:
                    run.set_tag("progress", step)
    ws.close()
    """
)


def test_four_processes_log_to_one_sqlite_store_without_loss(workspace: keel.Workspace) -> None:
    runs, points = 5, 2_000
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(workspace.root), str(w), str(runs), str(points)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(4)
    ]
    errors = [p.communicate(timeout=240)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert not any("locked" in e for e in errors), errors
    found = workspace.search_runs(experiments=["load"], max_results=1000)
    assert len(found) == 4 * runs
    assert {r.status for r in found} == {"FINISHED"}
    for run in found:
        assert workspace.store.metric_counts(run.run_id) == {"acc": points, "loss": points}
    assert workspace.store.integrity_check() == "ok"


KILLED = textwrap.dedent(
    """
    import sys, keel
    ws = keel.Workspace.open(sys.argv[1])
    run = ws.start_run(name="doomed")
    print(run.id, flush=True)
    step = 0
    while True:
        run.log_metric("loss", 1.0, step=step)
        step += 1
        if step % 1000 == 0:
            run.flush()
            print(step, flush=True)
    """
)


def test_sigkill_keeps_every_flushed_metric(workspace: keel.Workspace) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(workspace.root)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    run_id = proc.stdout.readline().strip()
    flushed = 0
    while flushed < 20_000:
        flushed = int(proc.stdout.readline())
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    reopened = keel.Workspace.open(workspace.root)
    try:
        assert reopened.store.integrity_check() == "ok"
        assert reopened.store.metric_counts(run_id)["loss"] >= flushed
        assert reopened.get_run(run_id).status == "RUNNING"
        killed, unknown = reopened.mark_dead_runs_killed()
        assert [r.run_id for r in killed] == [run_id] and unknown == []
        record = reopened.get_run(run_id)
        assert record.status == "KILLED" and str(proc.pid) in (record.error or "")
    finally:
        reopened.close()


def test_clean_exit_flushes_without_an_explicit_flush(workspace: keel.Workspace) -> None:
    script = textwrap.dedent(
        """
        import sys, keel
        ws = keel.Workspace.open(sys.argv[1])
        run = ws.start_run(name="no-flush")
        print(run.id)
        for step in range(5000):
            run.log_metric("loss", 0.5, step=step)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(workspace.root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert workspace.store.metric_counts(out.stdout.strip()) == {"loss": 5000}


def test_gc_leaves_live_runs_alone(workspace: keel.Workspace) -> None:
    run = workspace.start_run(name="alive")
    killed, _ = workspace.mark_dead_runs_killed()
    assert killed == [] and workspace.get_run(run.id).status == "RUNNING"
    run.end()


def test_pid_reuse_is_not_mistaken_for_the_run(workspace: keel.Workspace) -> None:
    run = workspace.start_run(name="reused-pid")
    # Same pid as a live process (ours) but a different start time: the owner is gone.
    workspace.store.update_run(run.id, pid_started=1)
    killed, _ = workspace.mark_dead_runs_killed()
    assert [r.run_id for r in killed] == [run.id]


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_background_flush_commits_without_being_asked(tmp_path: Path) -> None:
    ws = keel.Workspace.init(tmp_path / "w")
    run = ws.start_run()
    run.log_metric("m", 1.0)
    assert _wait_for(lambda: ws.store.metric_counts(run.id).get("m") == 1, timeout=5)
    run.end()
    ws.close()
    assert os.path.exists(tmp_path / "w" / ".keel" / "keel.db")
