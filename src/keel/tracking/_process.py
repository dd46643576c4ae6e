"""Which process owns a run, and whether it is still alive (for `keel runs gc`)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path


def host_name() -> str:
    return socket.gethostname()


def process_started(pid: int) -> int | None:
    """The start time of ``pid`` in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22; the command name (field 2) may contain spaces, so split after its ')'.
    return int(stat.rsplit(")", 1)[1].split()[19])


def process_alive(pid: int, started: int | None) -> bool:
    """True if ``pid`` runs and, where the start time is known, is the same process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if started is None:
        return True
    now = process_started(pid)
    return now is None or now == started


#: Seconds a git state read stays fresh. Two git subprocesses cost 2-5 ms per run (more on a
#: large tree), which dominated creating runs in quick succession (HPO trials); a person
#: editing code between runs waits longer than this anyway.
GIT_STATE_TTL_S = 10.0
_git_cache: dict[str, tuple[float, tuple[str | None, bool | None]]] = {}


def git_state(folder: str | os.PathLike[str] | None = None) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the git work tree around ``folder`` (the current folder when None);
    (None, None) outside one."""
    cwd = os.fspath(folder) if folder is not None else os.getcwd()
    now = time.monotonic()
    cached = _git_cache.get(cwd)
    if cached is None or now - cached[0] > GIT_STATE_TTL_S:
        cached = _git_cache[cwd] = (now, _read_git_state(cwd))
    return cached[1]


def _read_git_state(cwd: str) -> tuple[str | None, bool | None]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None, None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return commit.stdout.strip(), dirty
