"""Shared by the server and CLI tests (S3): a workspace with a registered model, a free
port, and a ``keel serve`` subprocess that is always stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

KEEL = [str(Path(sys.executable).parent / "keel")]
_URL = re.compile(r"http://127\.0\.0\.1:\d+")


def make_workspace(root: Path, name: str = "cancer") -> tuple[Path, dict]:
    """A workspace at ``root`` holding model ``name`` version 1 (LightGBM, breast_cancer)
    with the alias ``champion``; returns the root and one record to predict."""
    import lightgbm
    from sklearn.datasets import load_breast_cancer

    import keel
    from keel.data import infer_schema
    from keel.models import Trained, write_package

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1, n_jobs=1).fit(X, y)
    trained = Trained.from_estimator(model, infer_schema(X))
    package = write_package(trained, root / "package", holdout=(X.tail(50), y.tail(50)))
    with keel.Workspace.init(root / "ws", project=name) as ws:
        ws.registry.register(name, package, alias="champion")
    return root / "ws", {k: float(v) for k, v in X.iloc[0].items()}


@contextmanager
def keel_serve(workspace: Path, *args: str, timeout: float = 60) -> Iterator[KeelServer]:
    """``keel serve ARGS`` on a free port; yields once it answers /v2/health/ready."""
    env = {**os.environ, "KEEL_WORKSPACE": str(workspace), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*KEEL, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    server = KeelServer(proc)
    try:
        server.wait_ready(timeout)
        yield server
    finally:
        server.stop()


class KeelServer:
    """A running ``keel serve`` process: its URL, and its output once stopped."""

    def __init__(self, proc: subprocess.Popen[str]):
        self.proc = proc
        self.url = ""
        self.stdout = ""
        self.stderr = ""

    def wait_ready(self, timeout: float) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the announcement, printed once listening
        found = _URL.search(line)
        if found is None:
            self.stop()
            raise AssertionError(f"no URL in {line!r}; stderr:\n{self.stderr}")
        self.url = found.group(0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/v2/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.url} was not ready within {timeout} s")

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then wait for the exit; the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout: float = 30) -> int:
        out, err = self.proc.communicate(timeout=timeout)
        self.stdout += out or ""
        self.stderr += err or ""
        return self.proc.returncode

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.wait(10)
        else:
            self.wait(10)
