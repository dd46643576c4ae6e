"""Two real processes use one registry at once, on a SQLite file and on PostgreSQL: alias
moves are serialized (one final winner, every move recorded with what it replaced) and
concurrent registrations get distinct version numbers."""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from keel.data import infer_schema
from keel.models import Registry, Trained, write_package
from keel.store import SQLStore
from keel.store._artifacts import open_artifact_store

MOVES = 20
REGISTRATIONS = 6

_WORKER = """
import sys, time
from pathlib import Path
from keel.models import Registry
from keel.store import SQLStore
from keel.store._artifacts import open_artifact_store

url, artifacts, who, go, job, count, *args = sys.argv[1:]
store = SQLStore(url)
store.open()
registry = Registry(store, open_artifact_store(artifacts), user=who)
Path(go + "." + who).touch()  # ready
while not Path(go).exists():
    time.sleep(0.001)
if job == "move":
    versions = [int(v) for v in args]
    for i in range(int(count)):
        registry.set_alias("churn", "champion", versions[i % len(versions)], why=f"{who} {i}")
        time.sleep(0.002)  # SQLite's busy handler is not fair: let the other writer in
else:
    for _ in range(int(count)):
        registry.register("race", Path(args[0]))
store.close()
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'keel.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    model = LogisticRegression().fit(frame, ["no", "no", "yes", "yes"])
    trained = Trained.from_estimator(model, infer_schema(frame))
    return write_package(trained, tmp_path_factory.mktemp("pkg") / "p", onnx=False)


def _race(url: str, tmp_path: Path, job: str, workers: dict[str, list[str]]) -> None:
    count = str(MOVES if job == "move" else REGISTRATIONS)
    go, artifacts = tmp_path / "go", str(tmp_path / "artifacts")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, url, artifacts, who, str(go), job, count, *args],
            stderr=subprocess.PIPE,
            text=True,
        )
        for who, args in workers.items()
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"go.{who}").exists() for who in workers):
        assert time.monotonic() < deadline, "the workers did not start"
        assert all(proc.poll() is None for proc in procs), procs[0].communicate()[1]
        time.sleep(0.01)
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err


def test_two_processes_moving_one_alias(store_url: str, tmp_path: Path, package: Path) -> None:
    store = SQLStore(store_url)
    store.open()
    registry = Registry(store, open_artifact_store(tmp_path / "artifacts"), user="setup")
    for _ in range(4):
        registry.register("churn", package)
    _race(store_url, tmp_path, "move", {"proc-a": ["1", "2"], "proc-b": ["3", "4"]})
    events = registry.history("churn", "champion")
    assert len(events) == 2 * MOVES  # both processes' moves, none lost
    assert sorted(e.who for e in events) == ["proc-a"] * MOVES + ["proc-b"] * MOVES
    assert [e.revision for e in events] == list(range(1, 2 * MOVES + 1))
    for before, after in itertools.pairwise(events):
        assert after.from_version == before.to_version, (before, after)
    assert registry.resolve("churn@champion").version == events[-1].to_version  # the winner
    assert sum(a.who != b.who for a, b in itertools.pairwise(events)) >= 2
    store.close()


def test_two_processes_registering_at_once(store_url: str, tmp_path: Path, package: Path) -> None:
    _race(store_url, tmp_path, "register", {"proc-a": [str(package)], "proc-b": [str(package)]})
    store = SQLStore(store_url)
    store.open()
    versions = Registry(store, open_artifact_store(tmp_path / "artifacts")).versions("race")
    assert [v.version for v in versions] == list(range(1, 2 * REGISTRATIONS + 1))
    assert (
        sorted(v.created_by for v in versions)
        == ["proc-a"] * REGISTRATIONS + ["proc-b"] * REGISTRATIONS
    )
    assert len({v.package_digest for v in versions}) == 1  # one blob, content-addressed
    store.close()
