"""Service-backed tests fail under CI when the service is absent, and skip on a laptop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

TEST = """
def test_needs_postgres(postgres_server_url):
    pass
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_probe.py").write_text(TEST)
    conftest = Path(__file__).parent / "conftest.py"
    (tmp_path / "conftest.py").write_text(conftest.read_text())
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["KEEL_TEST_POSTGRES_URL"] = f"postgresql+psycopg://x@127.0.0.1:{_closed_port()}/test"
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


@pytest.mark.slow
def test_absent_service_fails_under_ci(tmp_path: Path) -> None:
    result = _run(tmp_path, ci=True)
    assert result.returncode == 1, result.stdout
    assert "PostgreSQL does not answer" in result.stdout and "CI must provide it" in result.stdout


@pytest.mark.slow
def test_absent_service_skips_on_a_laptop(tmp_path: Path) -> None:
    result = _run(tmp_path, ci=False)
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
