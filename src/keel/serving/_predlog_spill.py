"""Spill folders: one per running log, locked for its life, adopted when orphaned.

Several worker processes may log into one folder. Each keeps its spill files in
``.spill/<owner>/`` and holds an exclusive ``flock`` on ``.spill/<owner>.lock``. The
kernel drops the lock when the process dies however it dies, so a new log that can take
another owner's lock knows that owner is gone and moves its files into its own folder:
rows spilled before a crash are written at the next start.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from pathlib import Path
from typing import IO


class SpillFolder:
    """This log's spill folder; ``files()`` lists the spilled rows waiting, oldest first."""

    def __init__(self, folder: Path):
        root = folder / ".spill"
        root.mkdir(parents=True, exist_ok=True)
        owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.path = root / owner
        # Locked under a hidden name, then renamed (the lock goes with the file): a lock
        # file that others can see is always held, so none mistakes this owner for dead.
        hidden = root / f".{owner}.lock.tmp"
        self._lock: IO[bytes] | None = open(hidden, "wb")  # noqa: SIM115 (held for life)
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(hidden, root / f"{owner}.lock")
        self.path.mkdir()
        self._count = 0
        self.adopted = sum(self._adopt(lock) for lock in sorted(root.glob("*.lock")))

    def next_name(self) -> str:
        """A name that sorts after every earlier one (so files drain oldest first)."""
        self._count += 1
        return f"{self._count:012d}"

    def files(self) -> list[Path]:
        return sorted(p for p in self.path.glob("*.arrow"))

    def close(self) -> None:
        """Remove the folder when empty and let go of it."""
        if self._lock is None:
            return
        if not self.files():
            for temporary in self.path.iterdir():  # leftovers of an interrupted write
                temporary.unlink()
            self.path.rmdir()
            self.path.with_suffix(".lock").unlink()
        self._lock.close()  # closing releases the flock
        self._lock = None

    def _adopt(self, lock_path: Path) -> int:
        """Take over the files of a dead owner; how many were moved."""
        other = lock_path.with_suffix("")
        if other == self.path:
            return 0
        with open(lock_path, "ab") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # its owner is alive
            moved = 0
            for path in sorted(other.glob("*.arrow")) if other.is_dir() else []:
                os.replace(path, self.path / f"{self.next_name()}.arrow")
                moved += 1
            with contextlib.suppress(OSError):
                for leftover in other.iterdir():
                    leftover.unlink()
                other.rmdir()
            lock_path.unlink(missing_ok=True)
            return moved
