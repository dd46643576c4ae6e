"""Pre-fork workers: N processes answering on one listening socket, supervised by the parent.

The parent binds the socket and loads the models, then forks; each child inherits both, so
the models' memory is shared copy-on-write (a worker's PSS, not its RSS, is what it costs).
The kernel spreads connections over the workers that ``accept`` on the shared socket.

The parent only waits: it restarts a worker that dies on its own (after a short pause when
workers keep dying at once, so a broken model does not fork in a tight loop), forwards
SIGTERM/SIGINT to the workers, waits for them to drain their in-flight requests, and exits.
It must stay single-threaded and never run a prediction itself: threads do not survive a
fork, and OpenMP's pool hangs a child forked after it started.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable
from types import FrameType

__all__ = ["Supervisor"]

logger = logging.getLogger("keel.serving")

#: A worker that dies sooner than this after its start counts as a crash loop.
_QUICK_DEATH_S = 2.0
#: Quick deaths in a row after which the supervisor stops instead of forking again.
_MAX_QUICK_DEATHS = 5


class Supervisor:
    """Forks ``workers`` children that each call ``run_worker(index)`` and exit with its
    return code; restarts one that dies while serving; drains all on SIGTERM or SIGINT.

    ``run()`` returns the exit code for the parent: 0 after a requested shutdown, 1 when
    the workers kept dying at start.
    """

    def __init__(self, workers: int, run_worker: Callable[[int], int]):
        self.workers = workers
        self.run_worker = run_worker
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (index, started at)
        self.stopping = False
        self.quick_deaths = 0

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for index in range(self.workers):
                self._spawn(index)
            return self._wait_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def pids(self) -> list[int]:
        return sorted(self.children)

    def _spawn(self, index: int) -> None:
        pid = os.fork()
        if pid == 0:  # the child: never return into the parent's stack
            code = 1
            try:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)
                code = self.run_worker(index)
            except BaseException:
                logger.exception("worker %d (pid %d) failed", index, os.getpid())
            finally:
                logging.shutdown()
                os._exit(code)
        self.children[pid] = (index, time.monotonic())
        logger.info("worker %d started: pid %d", index, pid)

    def _wait_all(self) -> int:
        code = 0
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            index, started = self.children.pop(pid, (None, 0.0))
            if index is None or self.stopping:
                continue
            code = self._replace(index, pid, status, time.monotonic() - started)
            if code:
                self._stop(signal.SIGTERM, None)
        return code

    def _replace(self, index: int, pid: int, status: int, lived_s: float) -> int:
        """Fork a new worker ``index`` for the one that died; 1 when they keep dying."""
        logger.warning(
            "worker %d (pid %d) died (%s) after %.1f s: starting another",
            index, pid, _exit_text(status), lived_s,
        )  # fmt: skip
        self.quick_deaths = self.quick_deaths + 1 if lived_s < _QUICK_DEATH_S else 0
        if self.quick_deaths >= _MAX_QUICK_DEATHS:
            logger.error("workers died %d times in a row at start: stopping", self.quick_deaths)
            return 1
        if self.quick_deaths:
            time.sleep(min(0.1 * 2**self.quick_deaths, 2.0))
        self._spawn(index)
        return 0

    def _stop(self, sig: int, frame: FrameType | None) -> None:
        """Forward the signal as SIGTERM: each worker stops accepting, finishes its
        in-flight requests (uvicorn's graceful shutdown) and exits."""
        first = not self.stopping
        self.stopping = True
        if first:
            logger.info("%s: draining %d workers", signal.Signals(sig).name, len(self.children))
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def _exit_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
