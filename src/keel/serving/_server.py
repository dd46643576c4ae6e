"""The serving process: the app on uvicorn (uvloop + httptools), one process or N pre-forked
workers on one socket, a registry poll for hot swaps, graceful shutdown on SIGTERM.

Example (a worker per core, models loaded once and shared copy-on-write)::

    from keel.serving import serve
    serve(host, spec, metrics_factory=Metrics, workers=2, ready=print)
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keel.serving._server_fork import Supervisor
from keel.serving._server_gc import hold_collection, release_collection, resume_collection
from keel.serving._server_log import (
    AccessLog,
    configure_logging,
    memory,
    memory_text,
    process_started_at,
)
from keel.serving._server_threads import configure_threads
from keel.serving._spec import ServeSpec

if TYPE_CHECKING:
    from keel.serving._host import ModelHost

__all__ = ["ServerOptions", "bind", "serve"]

logger = logging.getLogger("keel.serving")

#: Connections the kernel queues before a worker accepts them (uvicorn's default).
_BACKLOG = 2048


@dataclass(frozen=True)
class ServerOptions:
    """How the process runs, beside the ``serve:`` spec: logging, extra app arguments
    (``feedback``, ``rollback``, … as ``create_app`` takes them) and fork hooks."""

    log_level: str = "info"
    access_log: bool = True
    #: Keyword arguments passed on to ``create_app`` as they are.
    app_options: dict[str, Any] = field(default_factory=dict)
    #: Called in each worker right after the fork (drop pooled database connections).
    after_fork: Callable[[], None] | None = None
    #: When this process started, for the cold-start line (epoch seconds; None: from /proc).
    started_at: float | None = None
    #: Called in each worker before it serves (background threads: deployment polls,
    #: counter flushes); returns the function called when the worker stops.
    on_worker: Callable[[], Callable[[], None]] | None = None


def serve(
    host: ModelHost,
    spec: ServeSpec,
    *,
    auth: Any = None,
    metrics_factory: Callable[[], Any] | None = None,
    log_factory: Callable[[], Any] | None = None,
    port: int | None = None,
    workers: int | None = None,
    ready: Callable[[str], None] | None = None,
    resolve: Callable[[str], int | None] | None = None,
    options: ServerOptions | None = None,
) -> int:
    """Answer for ``host``'s models on ``spec.host``:``port`` until SIGTERM or SIGINT, then
    finish the requests in flight and return the exit code (0).

    Args:
        host: the loaded models (keel.serving.ModelHost); with several workers they are
            loaded here, before the fork, and shared copy-on-write.
        spec: keel.yaml's ``serve:`` section.
        auth: a keel.serving Auth, or None (no tokens).
        metrics_factory, log_factory: build each worker's Metrics and PredictionLog (after
            the fork: their registries and writer threads are per process).
        port, workers: override ``spec.port`` / ``spec.workers``; port 0 picks a free one.
        ready: called once with the URL (``http://host:port``) when the socket listens.
        resolve: a model reference's current version, for the registry poll every
            ``spec.poll_s`` seconds (None: no polling).
        options: logging and fork hooks (ServerOptions).
    """
    hold_collection()  # until the app is built: see _server_gc
    options = options or ServerOptions()
    workers = spec.workers if workers is None else workers
    configure_threads(workers)
    configure_logging(options.log_level)
    started_at = options.started_at or process_started_at()
    sock = bind(spec.host, spec.port if port is None else port)
    url = _url(sock)
    logger.info("models loaded in pid %d: %s; %s", os.getpid(), ", ".join(host.names()),
                memory_text())  # fmt: skip

    def run_worker(index: int) -> int:
        if options.after_fork is not None and workers > 1:
            options.after_fork()
        worker = _Worker(host, spec, auth, metrics_factory, log_factory, resolve, options)
        return worker.run(sock, started_at, index)

    with contextlib.closing(sock), _collector_resumed():
        if ready is not None:
            ready(url)
        logger.info("listening on %s with %d worker%s", url, workers, "s" * (workers > 1))
        if workers == 1:
            return run_worker(0)
        release_collection()  # the loaded models, shared copy-on-write by the workers
        return Supervisor(workers, run_worker).run()


@contextlib.contextmanager
def _collector_resumed() -> Generator[None, None, None]:
    try:
        yield
    finally:
        resume_collection()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, inheritable by forked workers. Binding here rather than in
    uvicorn gives the real port when 0 was asked for, before any worker starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"Cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(_BACKLOG)
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class _Worker:
    """One serving process: builds the app (metrics, prediction log, access log), polls
    the registry, runs uvicorn on the inherited socket, and closes the log at the end."""

    def __init__(
        self,
        host: ModelHost,
        spec: ServeSpec,
        auth: Any,
        metrics_factory: Callable[[], Any] | None,
        log_factory: Callable[[], Any] | None,
        resolve: Callable[[str], int | None] | None,
        options: ServerOptions,
    ):
        self.host, self.spec, self.auth, self.options = host, spec, auth, options
        self.metrics_factory, self.log_factory, self.resolve = (
            metrics_factory,
            log_factory,
            resolve,
        )

    def run(self, sock: socket.socket, started_at: float, index: int) -> int:
        import uvicorn

        from keel.serving._app import create_app

        metrics = self.metrics_factory() if self.metrics_factory else None
        _add_memory_gauge(metrics)
        log = self.log_factory() if self.log_factory else None
        app = create_app(
            self.host, self.spec, auth=self.auth, metrics=metrics, log=log,
            **self.options.app_options,
        )  # fmt: skip
        wrapped = AccessLog(app, started_at=started_at, enabled=self.options.access_log)
        server = _Uvicorn(uvicorn.Config(wrapped, **self._uvicorn_settings()))
        logger.info("worker %d (pid %d) serving: %s", index, os.getpid(), memory_text())
        release_collection()  # the loaded heap out of the collector's reach: _server_gc
        halt = self.options.on_worker() if self.options.on_worker is not None else None
        with self._polling():
            try:
                server.run(sockets=[sock])
            finally:
                if halt is not None:
                    halt()
                if log is not None:
                    log.close()
        logger.info("worker %d (pid %d) stopped", index, os.getpid())
        return 0 if server.started else 1

    def _uvicorn_settings(self) -> dict[str, Any]:
        return {
            "loop": "uvloop",
            "http": "httptools",
            "ws": "none",  # no websocket routes: skips importing the websockets package
            "lifespan": "auto",
            "access_log": False,  # AccessLog writes it, with the request id
            "log_level": self.options.log_level.lower(),
            "server_header": False,
            # In-flight requests get up to their own timeout (then 504) to finish on SIGTERM.
            "timeout_graceful_shutdown": self.spec.limits.timeout_s + 5,
            "backlog": _BACKLOG,
        }

    @contextlib.contextmanager
    def _polling(self) -> Generator[None, None, None]:
        """Poll the registry in a thread (loading a new version is blocking work) every
        ``poll_s`` seconds while the server runs; the host swaps when a version moved."""
        if self.resolve is None or self.spec.poll_s <= 0:
            yield
            return
        stop = threading.Event()
        thread = threading.Thread(
            target=_poll_forever,
            args=(self.host, self.resolve, self.spec.poll_s, stop),
            name="keel-registry-poll",
            daemon=True,
        )
        thread.start()
        try:
            yield
        finally:
            stop.set()


def _poll_forever(
    host: ModelHost, resolve: Callable[[str], int | None], every_s: float, stop: threading.Event
) -> None:
    while not stop.wait(every_s):
        try:
            swaps = host.poll(resolve)
        except Exception:  # a registry hiccup must not stop the polling or the server
            logger.exception("registry poll failed; trying again in %.1f s", every_s)
            continue
        for swap in swaps or ():
            logger.info("hot swap: %s", swap)


def _add_memory_gauge(metrics: Any) -> None:
    """``keel_worker_memory_bytes{pid, kind}``: each worker's RSS, PSS and private memory,
    read from /proc when /metrics is scraped, on the Metrics' own registry."""
    registry = getattr(metrics, "registry", None)
    if registry is None:
        return
    from prometheus_client import Gauge

    gauge = Gauge(
        "keel_worker_memory_bytes",
        "Memory of this worker process (rss, pss: shared pages divided among the workers, "
        "private).",
        ["pid", "kind"],
        registry=registry,
    )
    pid = str(os.getpid())
    for kind in ("rss", "pss", "private"):
        gauge.labels(pid, kind).set_function(_memory_bytes(kind))


def _memory_bytes(kind: str) -> Callable[[], float]:
    return lambda: memory().get(kind, 0.0) * 2**20


class _Uvicorn:
    """uvicorn.Server whose signal handling ends in a clean return, not a re-raised signal
    (uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, which would turn Ctrl-C
    into a traceback and SIGTERM into death by signal)."""

    def __init__(self, config: Any):
        import uvicorn

        class _Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Generator[None, None, None]:
                if threading.current_thread() is not threading.main_thread():
                    yield
                    return
                sigs = (signal.SIGINT, signal.SIGTERM)
                previous = {sig: signal.signal(sig, self.handle_exit) for sig in sigs}
                try:
                    yield
                finally:
                    for sig, handler in previous.items():
                        signal.signal(sig, handler)

        self.server = _Server(config)

    @property
    def started(self) -> bool:
        return bool(self.server.started)

    def run(self, sockets: list[socket.socket]) -> None:
        self.server.run(sockets=sockets)
