"""Two real processes race on one alias, and on registering versions, on a SQLite file and
on PostgreSQL: no lost update, every move recorded with what it really replaced."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from keel.store import SQLStore
from keel.store._sql_registry import NewVersion

MOVES = 30

# Each worker says it is ready, then waits for the go file, so both loops overlap.
_WORKER = """
import sys, time
from pathlib import Path
from keel.store import SQLStore
from keel.store._sql_registry import NewVersion

url, who, go, job, count = sys.argv[1:6]
versions = [int(v) for v in sys.argv[6:]]
store = SQLStore(url)
store.open()
Path(go + "." + who).touch()  # ready
while not Path(go).exists():
    time.sleep(0.001)
if job == "move":
    for i in range(int(count)):
        store.move_model_alias("churn", "champion", versions[i % len(versions)], who=who)
        time.sleep(0.002)  # SQLite's busy handler is not fair: let the other writer in
else:
    for _ in range(int(count)):
        new = NewVersion(name="race", package_digest="ab" * 32, package_size=1, manifest={})
        store.register_model_version(new, who=who)
        time.sleep(0.002)
store.close()
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'keel.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def _race(url: str, tmp_path: Path, job: str, workers: dict[str, list[int]]) -> None:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, url, who, str(go), job, str(MOVES), *map(str, nums)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for who, nums in workers.items()
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"go.{who}").exists() for who in workers):
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.01)
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err


def test_concurrent_alias_moves_lose_nothing(store_url: str, tmp_path: Path) -> None:
    store = SQLStore(store_url)
    store.open()
    for _ in range(4):
        store.register_model_version(
            NewVersion(name="churn", package_digest="ab" * 32, package_size=1, manifest={}),
            who="setup",
        )
    _race(store_url, tmp_path, "move", {"proc-a": [1, 2], "proc-b": [3, 4]})
    events = store.model_alias_history("churn", "champion")
    assert len(events) == 2 * MOVES
    assert sorted(e.who for e in events) == ["proc-a"] * MOVES + ["proc-b"] * MOVES
    assert [e.revision for e in events] == list(range(1, 2 * MOVES + 1))
    assert events[0].from_version is None
    for before, after in itertools.pairwise(events):
        assert after.from_version == before.to_version  # what it really replaced
    assert store.model_alias("churn", "champion") == events[-1].to_version
    switches = sum(a.who != b.who for a, b in itertools.pairwise(events))
    assert switches >= 2, "the two processes did not overlap"
    store.close()


def test_concurrent_registrations_get_distinct_numbers(store_url: str, tmp_path: Path) -> None:
    store = SQLStore(store_url)
    store.open()
    _race(store_url, tmp_path, "register", {"proc-a": [], "proc-b": []})
    versions = store.model_versions("race")
    assert [v.version for v in versions] == list(range(1, 2 * MOVES + 1))
    assert sorted(v.created_by for v in versions) == ["proc-a"] * MOVES + ["proc-b"] * MOVES
    store.close()
