"""The ``DriftMethod`` seam: one statistic comparing a window's column to its reference,
registered by name so keel.yaml and ``keel drift --method`` can pick it.

Example:
    >>> from keel.monitoring import DriftMethod, drift_method, drift_methods
    >>> @drift_method("mean_shift")
    ... class MeanShift(DriftMethod):
    ...     kinds = frozenset({"numeric"})
    ...     default_threshold = 0.5
    ...     def compute(self, current):
    ...         reference = current.reference
    ...         gap = abs(current.values.mean() - reference.values.mean()) / reference.std
    ...         return MethodResult(statistic=gap, p_value=None, distance=gap)
    >>> {"ks", "wasserstein", "psi", "jensenshannon", "chi2", "mean_shift"} <= set(drift_methods())
    True
    >>> unregister("mean_shift")
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal, TypeVar

from keel.errors import ConfigError

if TYPE_CHECKING:
    from keel.monitoring._current import CurrentColumn

__all__ = ["DriftMethod", "MethodResult", "drift_method", "drift_methods", "get_method"]

_M = TypeVar("_M", bound="type[DriftMethod]")


@dataclass(frozen=True)
class MethodResult:
    """What a method found: its statistic, a p-value when it is a test, and the distance
    (effect size) thresholds compare for distance methods."""

    statistic: float
    p_value: float | None
    distance: float
    note: str = ""


class DriftMethod(ABC):
    """A drift statistic for one column.

    Subclasses set ``kinds`` (``numeric`` and/or ``categorical``), ``default_threshold``
    and ``flags`` (``"above"``: drift when the distance exceeds the threshold;
    ``"below"``: drift when the p-value falls under it), and ``needs_values`` when they
    read the reference's sorted values (a package profile has only bins and shares).

    ``compute`` must not modify the column it is given (several methods share it) and must
    be thread-safe: a report computes columns in parallel threads on one instance.
    """

    name: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = frozenset({"numeric", "categorical"})
    default_threshold: ClassVar[float] = 0.1
    flags: ClassVar[Literal["above", "below"]] = "above"
    needs_values: ClassVar[bool] = False

    @abstractmethod
    def compute(self, current: CurrentColumn) -> MethodResult:
        """Compare ``current`` (a window's column, with ``.reference``) to its reference."""

    def is_drift(self, result: MethodResult, threshold: float) -> bool:
        """Whether ``result`` crosses ``threshold`` in this method's direction."""
        if self.flags == "below":
            return result.p_value is not None and result.p_value < threshold
        return result.distance > threshold


_registry: dict[str, DriftMethod] = {}
_builtin: set[str] = set()
_lock = threading.Lock()


def drift_method(name: str) -> Callable[[_M], _M]:
    """Register a :class:`DriftMethod` subclass under ``name``.

    Raises:
        ConfigError: ``name`` is taken (a built-in method's name can never be reused).
    """

    def register(cls: _M) -> _M:
        _register(name, cls, builtin=False)
        return cls

    return register


def _register(name: str, cls: type[DriftMethod], *, builtin: bool) -> None:
    _load_builtins()
    with _lock:
        if name in _registry:
            what = "a built-in drift method" if name in _builtin else "already registered"
            raise ConfigError(
                f"The drift method name {name!r} is {what}; register yours under another name.",
                field=name,
            )
        cls.name = name
        _registry[name] = cls()
        if builtin:
            _builtin.add(name)


def unregister(name: str) -> None:
    """Remove a user-registered method (built-ins stay)."""
    with _lock:
        if name not in _builtin:
            _registry.pop(name, None)


def drift_methods() -> dict[str, DriftMethod]:
    """Every registered method by name, built-ins included."""
    _load_builtins()
    return dict(_registry)


def get_method(name: str) -> DriftMethod:
    """The method registered as ``name``.

    Raises:
        ConfigError: no method has that name.
    """
    _load_builtins()
    method = _registry.get(name)
    if method is None:
        raise ConfigError(
            f"The 'method' setting of monitor.drift must be 'auto' or one of "
            f"{sorted(_registry)}. Got {name!r} instead.",
            field="method",
        )
    return method


_loaded = False


def _load_builtins() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        import keel.monitoring._methods_builtin  # noqa: F401  (registers on import)
