"""Shared fixtures of the serving tests: real model packages (LightGBM on breast_cancer,
written with keel.models.write_package) and real uvicorn servers on free ports."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def cancer_data() -> tuple[Any, Any]:
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True, as_frame=True)


def _write(folder: Path, data: tuple[Any, Any], trees: int) -> Path:
    import lightgbm

    from keel.data import infer_schema
    from keel.models import Trained, write_package

    X, y = data
    model = lightgbm.LGBMClassifier(n_estimators=trees, num_leaves=15, verbose=-1, n_jobs=1)
    model.fit(X.head(450), y.head(450))
    trained = Trained.from_estimator(model, infer_schema(X))
    return write_package(trained, folder / f"cancer-{trees}", holdout=(X.tail(100), y.tail(100)))


@pytest.fixture(scope="session")
def cancer_packages(tmp_path_factory: pytest.TempPathFactory, cancer_data: Any) -> dict[int, Path]:
    """Two versions of the "cancer" model: 1 (20 trees) and 2 (60 trees)."""
    folder = tmp_path_factory.mktemp("packages")
    return {1: _write(folder, cancer_data, 20), 2: _write(folder, cancer_data, 60)}


@pytest.fixture(scope="session")
def cancer_records(cancer_data: Any) -> list[dict[str, float]]:
    X, _ = cancer_data
    return [{k: float(v) for k, v in row.items()} for row in X.tail(50).to_dict("records")]


class Versions:
    """A load callback over package versions: ``current`` is the version "cancer" resolves
    to, as a registry alias would (tests move it to hot swap)."""

    def __init__(
        self, packages: dict[int, Path], current: int = 1, wrap: Callable[[Any], Any] | None = None
    ):
        self.packages, self.current, self.wrap = packages, current, wrap

    def load(self, ref: str) -> tuple[Any, int]:
        from keel.models import load_package

        version = self.current
        package = load_package(self.packages[version])
        return (package if self.wrap is None else self.wrap(package)), version

    def resolve(self, ref: str) -> int:
        return self.current


@pytest.fixture
def versions(cancer_packages: dict[int, Path]) -> Versions:
    return Versions(cancer_packages)


class LiveServer:
    """A real uvicorn server (uvloop, httptools) on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, app: Any):
        import uvicorn

        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            loop="uvloop",
            http="httptools",
            log_level="warning",
            lifespan="on",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.address = f"127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def serve() -> Iterator[Callable[[Any], LiveServer]]:
    """serve(app) starts a LiveServer, stopped at the end of the test."""
    started: list[LiveServer] = []

    def start(app: Any) -> LiveServer:
        server = LiveServer(app).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__()


def make_app(versions: Versions, spec: dict | None = None, **kwargs: Any) -> Any:
    """create_app over a ModelHost serving "cancer" through ``versions``."""
    from keel.serving._app import create_app
    from keel.serving._host import ModelHost
    from keel.serving._spec import ServeSpec

    host = ModelHost(["cancer"], versions.load)
    return create_app(host, ServeSpec.model_validate(spec or {}), **kwargs)
