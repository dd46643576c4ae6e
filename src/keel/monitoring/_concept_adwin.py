"""ADWIN (Bifet and Gavalda, 2007) with river's test, on prefix sums instead of buckets.

river keeps ADWIN's window as an exponential histogram (at most ``max_buckets`` buckets of
each size 1, 2, 4, ...) and, every ``clock`` values, tests each cut between buckets: the
older part ``W0`` and the newer ``W1`` differ when ``|mean0 - mean1| > eps`` with
``eps = sqrt(2 m v d) + 2/3 d m``, ``m = 1/(n0-l+1) + 1/(n1-l+1)``, ``v`` the window's
variance and ``d = ln(2 ln(width) / delta)``. keel tests the same cuts (``max_buckets``
cut points at each spacing 1, 2, 4, ... counted back from the newest value) from prefix
sums of the window, and tests every clock tick of a batch in one numpy pass. That is why
it is fast on a batch; the price is memory: 16 bytes per value in the current window
(16 MB for a window of 1,000,000) where river keeps O(log width) buckets. Like river,
the window restarts empty after a change.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from keel.monitoring._concept import Change, ConceptDetector, Floats, check_param

__all__ = ["ADWIN"]


def _cut_grid(buckets: int, limit: int = 1 << 40) -> np.ndarray:
    """Sizes of ``W1`` tested: ``buckets`` cuts at each spacing 1, 2, 4, ... (ascending)."""
    sizes: list[int] = []
    level, base = 0, 0
    while base < limit:
        sizes.extend(base + (j + 1) * (1 << level) for j in range(buckets))
        base += buckets * (1 << level)
        level += 1
    return np.asarray(sizes, dtype=np.int64)


class ADWIN(ConceptDetector):
    """Adaptive windowing: alarm when an older and a newer part of the window differ.

    Args:
        delta: significance of the cut test (1e-5; river's default is 0.002, which raised
            7 false alarms over 24 stationary 0/1 streams of 1,000,000 values here and 20
            over 10 exponential loss streams; 1e-5 raised none, for about 1.3x the delay).
        clock: test every ``clock`` values (32).
        max_buckets: cut points per spacing (5).
        min_window_length: smallest ``W0`` and ``W1`` tested (5).
        grace_period: values before the first test (10).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> errors = np.r_[rng.random(50_000) < 0.1, rng.random(5_000) < 0.2].astype(float)
        >>> ADWIN().update_many(errors)
        [50623]
    """

    name = "adwin"

    def __init__(
        self,
        delta: float = 1e-5,
        clock: int = 32,
        max_buckets: int = 5,
        min_window_length: int = 5,
        grace_period: int = 10,
    ) -> None:
        super().__init__()
        self.delta = check_param(
            self.name, "delta", delta, lambda v: 0 < v < 1, "a number between 0 and 1 (exclusive)"
        )
        integer = (lambda v: v >= 1 and v == int(v)), "an integer >= 1"
        self.clock = int(check_param(self.name, "clock", clock, *integer))
        self.max_buckets = int(check_param(self.name, "max_buckets", max_buckets, *integer))
        self.min_window_length = int(
            check_param(self.name, "min_window_length", min_window_length, *integer)
        )
        self.grace_period = int(
            check_param(
                self.name,
                "grace_period",
                grace_period,
                lambda v: v >= 0 and v == int(v),
                "an integer >= 0",
            )
        )
        self._grid = _cut_grid(self.max_buckets)
        self._pending: list[float] = []
        self._sums: list[float] = []
        self._sums2: list[float] = []
        self._slices: dict[int, tuple[np.ndarray, Floats, Floats]] = {}
        self._reset()

    @property
    def n_seen(self) -> int:
        return self._seen + len(self._pending)

    @property
    def width(self) -> int:
        """Values in the current window (those not yet tested included)."""
        return self._width + len(self._pending)

    def _reset(self) -> None:
        self._width = 0
        self._shift = 0.0
        self._prefix = np.zeros(1024)  # prefix sums of x - shift; [0] = 0
        self._prefix2 = np.zeros(1024)  # and of its squares
        self._run = self._run2 = 0.0  # the sums at the newest value (update's path)

    def update(self, x: float) -> bool:
        # Alarms only come at clock ticks: keep the running sums in Python floats until
        # the next tick (the same additions, in the same order, as update_many's cumsum),
        # then test that one tick.
        raw = self._check_one(x)
        pending = self._pending
        if not pending and self._width == 0:
            self._shift = raw
        value = raw - self._shift
        self._run += value
        self._run2 += value * value
        pending.append(raw)
        self._sums.append(self._run)
        self._sums2.append(self._run2)
        if (self._width + len(pending)) % self.clock:
            return False
        return self._tick()

    def _tick(self) -> bool:
        count, w0 = len(self._pending), self._width
        width = w0 + count
        self._grow(width + 1)
        self._prefix[w0 + 1 : width + 1] = self._sums
        self._prefix2[w0 + 1 : width + 1] = self._sums2
        index = self._seen + count - 1
        self._seen += count
        self._pending, self._sums, self._sums2 = [], [], []
        hit = self._test(np.array([width])) if width > self.grace_period else None
        if hit is None:
            self._width = width
            return False
        self.changes.append(Change(self.name, index, index - hit[1] + 1))
        self._reset()
        return True

    def update_many(self, values: Iterable[float] | npt.ArrayLike) -> list[int]:
        array = self._check_many(values)
        if self._pending:
            array = np.concatenate([np.asarray(self._pending, dtype=np.float64), array])
            self._pending, self._sums, self._sums2 = [], [], []
        return self._feed(array)

    def _feed(self, array: Floats) -> list[int]:
        return super().update_many(array) if array.size else []

    def _step(self, x: float, index: int) -> int | None:  # unused: update() buffers
        hit = self._scan(np.asarray([x]), index)
        return None if hit is None else hit[1]

    def _grow(self, size: int) -> None:
        if size <= self._prefix.size:
            return
        capacity = max(size, 2 * self._prefix.size)
        for name in ("_prefix", "_prefix2"):
            grown = np.zeros(capacity)
            old = getattr(self, name)
            grown[: old.size] = old
            setattr(self, name, grown)

    def _scan(self, chunk: Floats, start: int) -> tuple[int, int] | None:
        if self._width == 0:
            self._shift = float(chunk[0])
        value = chunk - self._shift
        w0 = self._width
        self._grow(w0 + chunk.size + 1)
        # Sums carried on sequentially from the window's last prefix: however the stream
        # is split into batches, the prefix sums (and so the alarms) are the same.
        for prefix, term in ((self._prefix, value), (self._prefix2, value * value)):
            part = prefix[w0 : w0 + chunk.size + 1]
            part[1:] = term
            np.cumsum(part, out=part)
        widths = w0 + np.arange(1, chunk.size + 1)
        ticks = widths[(widths % self.clock == 0) & (widths > self.grace_period)]
        hit = self._test(ticks) if ticks.size else None
        if hit is None:
            self._width = w0 + chunk.size
            self._run, self._run2 = (
                float(self._prefix[self._width]),
                float(self._prefix2[self._width]),
            )
            return None
        width, size1 = hit
        window_start = start - w0
        self._reset()
        return width - w0 - 1, window_start + width - size1

    def _cuts(self, width: int) -> tuple[np.ndarray, Floats, Floats]:
        """Sizes of ``W1`` tested at ``width`` (as int and float) and ``1/(n1 - l + 1)``."""
        lo = self.min_window_length
        last = int(np.searchsorted(self._grid, width - lo, side="right"))
        if last not in self._slices:
            grid = self._grid[int(np.searchsorted(self._grid, lo, side="left")) : last]
            size1 = grid.astype(np.float64)
            self._slices[last] = grid, size1, 1.0 / (size1 - lo + 1)
        return self._slices[last]

    def _test(self, widths: np.ndarray) -> tuple[int, int] | None:
        """(width, size of W1) of the first tick whose strongest cut fires, else None."""
        lo = self.min_window_length
        grid, size1, inverse1 = self._cuts(int(widths[-1]))
        if not grid.size:
            return None
        size0 = widths.astype(np.float64)[:, None] - size1
        ok = size0 >= lo
        size0 = np.maximum(size0, lo)  # rows of narrower ticks: masked by ok
        total = self._prefix[widths]
        var = np.maximum(self._prefix2[widths] - total * total / widths, 0.0) / widths
        split = self._prefix[widths[:, None] - grid]  # negative (masked) wraps harmlessly
        diff = split / size0 - (total[:, None] - split) / size1
        # math.log, not np.log: one value or many, the same rounding.
        d = np.array([math.log(2 * math.log(max(w, 2)) / self.delta) for w in widths.tolist()])
        m = 1.0 / (size0 - lo + 1) + inverse1
        eps = np.sqrt(2 * m * var[:, None] * d[:, None]) + 2.0 / 3.0 * d[:, None] * m
        excess = np.abs(diff) - eps
        fired = (ok & (excess > 0)).any(axis=1)
        if not fired.any():
            return None
        row = int(np.argmax(fired))
        best = int(np.argmax(np.where(ok[row], excess[row], -np.inf)))
        return int(widths[row]), int(grid[best])
