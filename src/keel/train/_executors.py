"""Where trials run: threads in this process, or Ray tasks on a Ray cluster.

``Executor`` is the seam (DESIGN.md): one method, ``submit``, returning a
``concurrent.futures.Future``. The search loop asks Optuna for a trial, submits its
evaluation, and tells Optuna the result when the future completes; pruning inside a Ray
task goes through the study in keel's database (PostgreSQL when workers are on several
machines), which the task reopens by name.
"""

from __future__ import annotations

import abc
import concurrent.futures
from collections.abc import Callable
from typing import Any

from keel.errors import TrainError

__all__ = ["Executor", "LocalExecutor", "RayExecutor", "make_executor"]


class Executor(abc.ABC):
    """Runs trial evaluations. Implementations must be usable from one driver thread; the
    callables they receive are picklable module-level functions with picklable arguments."""

    #: How many evaluations may run at once.
    slots: int = 1
    #: True when evaluations run in other processes (their arguments are pickled).
    remote: bool = False

    def share(self, value: Any) -> Any:
        """``value`` in a form cheap to pass to many ``submit`` calls (itself, locally)."""
        return value

    @abc.abstractmethod
    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        """Start ``fn(*args)``; its result or exception arrives through the future."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release workers; the executor is not used afterwards."""


class LocalExecutor(Executor):
    """Threads of this process (LightGBM, XGBoost and scikit-learn release the GIL)."""

    def __init__(self, jobs: int = 1):
        self.slots = jobs
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=jobs, thread_name_prefix="keel-trial"
        )

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        return self._pool.submit(fn, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class RayExecutor(Executor):
    """Ray tasks; large arguments (the training matrix) are put in Ray's object store once."""

    def __init__(self, jobs: int, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise TrainError(
                "--engine ray needs Ray: pip install 'keel[ray]'", field="train.engine"
            ) from None
        if not ray.is_initialized():
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                ignore_reinit_error=True,
            )
        self._ray = ray
        self.slots = jobs
        self.remote = True
        self._remote = ray.remote(num_cpus=1)(_call)
        self._shared: dict[int, Any] = {}

    def share(self, value: Any) -> Any:
        """A reference to ``value`` in the object store, made once per value."""
        key = id(value)
        if key not in self._shared:
            self._shared[key] = self._ray.put(value)
        return self._shared[key]

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        return self._remote.remote(fn, *args).future()


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def make_executor(engine: str, jobs: int) -> Executor:
    if engine == "ray":
        return RayExecutor(jobs)
    return LocalExecutor(jobs)
