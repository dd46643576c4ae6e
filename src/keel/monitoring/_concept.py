"""Concept drift on a stream of per-prediction errors or losses: one interface over four
detectors (ADWIN, DDM, EDDM, Page-Hinkley).

Every detector takes values one at a time (``update(x) -> bool``) or a whole array
(``update_many(values) -> list of change indices``), and both paths give the same changes:
keel's detectors keep their state as running sums, so a batch is a handful of numpy passes
(cumulative sums, running minima) instead of a Python call per value, and the one-at-a-time
path does the same arithmetic in the same order. ``backend="river"`` wraps river's own
detectors behind the same interface, for comparison.

Each change records the index at which it was *detected* and the detector's estimate of
where it *began* (``change_point``): ADWIN's cut between the old and the new window,
Page-Hinkley's last extreme of its cumulative sum, the start of the warning zone for DDM
and EDDM. After a change a detector starts afresh, as river's do.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> errors = np.r_[rng.random(20_000) < 0.1, rng.random(20_000) < 0.3].astype(float)
    >>> detector = concept_detector("adwin")
    >>> detector.update_many(errors)  # the alarm, shortly after the change at 20,000
    [20191]
    >>> detector.changes[0].change_point  # where ADWIN cut the window
    20005
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from keel.errors import ConfigError, DataError

__all__ = ["Change", "ConceptDetector", "concept_detector", "concept_detectors"]

Floats = npt.NDArray[np.float64]
#: Values scanned per numpy pass; bounds the work redone after a change mid-batch.
_CHUNK = 1 << 16
_FIRST_CHUNK = 1 << 11


@dataclass(frozen=True)
class Change:
    """One change found by a detector.

    Attributes:
        detector: the detector's name (``adwin``, ``ddm``, ``eddm``, ``page_hinkley``).
        index: 0-based position in the stream of the value that raised the alarm.
        change_point: 0-based position where the detector estimates the change began
            (``<= index``).
    """

    detector: str
    index: int
    change_point: int

    @property
    def delay(self) -> int:
        """Values seen between the estimated start and the alarm."""
        return self.index - self.change_point

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ConceptDetector(ABC):
    """A change detector over a stream of numbers (errors as 0/1, or losses).

    Subclasses implement ``_step`` (one value) and ``_scan`` (an array); both must return
    the same changes for the same stream, however it is split. A detector is a mutable,
    single-threaded object: give each thread its own.
    """

    name: ClassVar[str]
    #: True when the detector only accepts 0/1 values (errors, not losses).
    binary: ClassVar[bool] = False

    def __init__(self) -> None:
        self.changes: list[Change] = []
        self._seen = 0

    @property
    def n_seen(self) -> int:
        """Number of values received so far."""
        return self._seen

    def update(self, x: float) -> bool:
        """Add one value; True when it raises an alarm (then ``changes[-1]`` says where)."""
        value = self._check_one(x)
        index = self._seen
        self._seen += 1
        point = self._step(value, index)
        if point is None:
            return False
        self.changes.append(Change(self.name, index, point))
        return True

    def update_many(self, values: Iterable[float] | npt.ArrayLike) -> list[int]:
        """Add an array of values in order; returns the indices of the alarms it raised."""
        array = self._check_many(values)
        found: list[int] = []
        position, size = 0, _FIRST_CHUNK
        while position < array.size:
            chunk = array[position : position + size]
            hit = self._scan(chunk, self._seen)
            used = chunk.size if hit is None else hit[0] + 1
            # After an alarm the rest of the chunk is scanned again: start small and grow,
            # so frequent alarms do not rescan large chunks.
            size = _FIRST_CHUNK if hit is not None else min(2 * size, _CHUNK)
            if hit is not None:
                found.append(self._seen + hit[0])
                self.changes.append(Change(self.name, self._seen + hit[0], hit[1]))
            self._seen += used
            position += used
        return found

    @abstractmethod
    def _step(self, x: float, index: int) -> int | None:
        """Take one value at stream position ``index``; the change point on an alarm."""

    @abstractmethod
    def _scan(self, chunk: Floats, start: int) -> tuple[int, int] | None:
        """Take values until the first alarm: (its offset in ``chunk``, change point).

        On an alarm the detector has reset itself and the rest of ``chunk`` is unread.
        """

    def _check_one(self, x: float) -> float:
        value = float(x)
        if not math.isfinite(value) or (self.binary and value not in (0.0, 1.0)):
            raise DataError(self._bad_values(f"{x!r}"))
        return value

    def _check_many(self, values: Iterable[float] | npt.ArrayLike) -> Floats:
        if not hasattr(values, "__len__") and not hasattr(values, "__array__"):
            array = np.fromiter(values, dtype=np.float64)  # type: ignore[arg-type]  # a generator
        else:
            array = np.asarray(values, dtype=np.float64)
        if array.ndim != 1:
            raise DataError(f"The {self.name} detector takes a 1-D array; got shape {array.shape}.")
        bad = ~np.isfinite(array)
        if self.binary:
            bad |= (array != 0.0) & (array != 1.0)
        if bad.any():
            raise DataError(
                self._bad_values(
                    f"{int(bad.sum())} such values, the first "
                    f"{array[bad][0]!r} at index {int(np.argmax(bad))}"
                )
            )
        return array

    def _bad_values(self, got: str) -> str:
        wanted = "0 (right) or 1 (wrong)" if self.binary else "finite numbers"
        return f"The {self.name} detector takes {wanted}. Got {got} instead" + (
            " (for losses use 'adwin' or 'page_hinkley')." if self.binary else "."
        )


def after(first: float, values: npt.ArrayLike) -> Floats:
    """``values`` with ``first`` in front (a carried state before a cumulative pass)."""
    return np.concatenate(([first], np.asarray(values, dtype=np.float64)))


def check_param(
    detector: str, name: str, value: Any, ok: Callable[[Any], bool], expected: str
) -> Any:
    """``value`` when ``ok(value)``, else the ConfigError of keel's one template."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not (number and math.isfinite(value) and ok(value)):
        raise ConfigError(
            f"The {name!r} setting of monitor.concept.{detector} must be {expected}. "
            f"Got {value!r} instead.",
            field=f"monitor.concept.{detector}.{name}",
        )
    return value


#: Name -> detector class, keel's own implementations.
_KEEL: dict[str, str] = {
    "adwin": "keel.monitoring._concept_adwin:ADWIN",
    "ddm": "keel.monitoring._concept_ddm:DDM",
    "eddm": "keel.monitoring._concept_ddm:EDDM",
    "page_hinkley": "keel.monitoring._concept_ph:PageHinkley",
}


def concept_detectors() -> list[str]:
    """Names ``concept_detector`` accepts.

    Example:
        >>> concept_detectors()
        ['adwin', 'ddm', 'eddm', 'page_hinkley']
    """
    return list(_KEEL)


def concept_detector(name: str, *, backend: str = "keel", **params: Any) -> ConceptDetector:
    """A fresh detector by name, keel's vectorised one or river's (``backend="river"``).

    Args:
        name: ``adwin``, ``ddm``, ``eddm`` or ``page_hinkley``.
        backend: ``keel`` (default; batch path vectorised) or ``river`` (river's class
            wrapped: its own defaults, one value at a time even in ``update_many``).
        params: the detector's settings (see each class).

    Raises:
        ConfigError: an unknown name, backend or setting.
    """
    import importlib

    if name not in _KEEL:
        raise ConfigError(
            f"The 'detector' setting of monitor.concept must be one of "
            f"{', '.join(_KEEL)}. Got {name!r} instead.",
            field="monitor.concept.detector",
        )
    if backend not in ("keel", "river"):
        raise ConfigError(
            f"The 'backend' setting of monitor.concept must be 'keel' or 'river'. "
            f"Got {backend!r} instead.",
            field="monitor.concept.backend",
        )
    if backend == "river":
        from keel.monitoring._concept_river import RiverDetector

        factory: Callable[..., ConceptDetector] = partial(RiverDetector, name)
    else:
        module, _, cls = _KEEL[name].partition(":")
        factory = getattr(importlib.import_module(module), cls)
    try:
        detector = factory(**params)
    except (TypeError, ValueError) as error:  # an unknown keyword, or river's own checks
        raise ConfigError(
            f"monitor.concept.{name}: {str(error).rstrip('.')}.", field=f"monitor.concept.{name}"
        ) from None
    return detector
