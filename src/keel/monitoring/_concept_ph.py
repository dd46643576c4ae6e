"""Page-Hinkley on a stream of errors or losses, measured in units of the stream's own
standard deviation so that one default fits 0/1 errors and losses alike.

river's ``PageHinkley`` sums raw deviations against a fixed ``threshold=50``; on a 0/1
error stream that random walk crosses 50 again and again: 27 false alarms on 1,000,000
stationary values at a 10 % error rate here, 81 at 30 %, 116 at 50 % (keel's: none).
keel divides each deviation from the running mean by the running standard deviation,
subtracts ``delta`` (0.1 standard deviations) and alarms when the cumulative sum climbs
``threshold`` (100) above its minimum (or falls as far below its maximum). Under no
change the excursion of such a sum drifts down at rate ``delta``, so a climb of
``threshold`` has probability about ``exp(-2 * delta * threshold) = exp(-20)`` per
excursion; a shift of ``d`` standard deviations is found after about
``threshold / (d - delta)`` values (a 0.10 -> 0.20 error rate is d = 0.33: about 430
values).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter

from keel.monitoring._concept import ConceptDetector, Floats, after, check_param

__all__ = ["PageHinkley"]

_MODES = ("up", "down", "both")


def _latest(update: np.ndarray, carried: int, start: int) -> np.ndarray:
    """Stream index of the latest True in ``update`` at each position (``carried`` before)."""
    at = np.maximum.accumulate(np.where(update, np.arange(update.size), -1))
    return np.where(at >= 0, start + at, carried)


class PageHinkley(ConceptDetector):
    """Page-Hinkley test on standardised deviations from the running mean.

    Args:
        min_instances: values before the first test (30).
        delta: tolerated drift of the mean, in standard deviations (0.1).
        threshold: alarm level of the cumulative sum, in standard deviations (100).
        alpha: fading factor of the sum (1.0: no fading, the classic test).
        mode: ``up`` (the mean rises: more errors), ``down``, or ``both`` (default).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(1)
        >>> errors = np.r_[rng.random(50_000) < 0.1, rng.random(5_000) < 0.2].astype(float)
        >>> PageHinkley().update_many(errors)
        [50545]
    """

    name = "page_hinkley"

    def __init__(
        self,
        min_instances: int = 30,
        delta: float = 0.1,
        threshold: float = 100.0,
        alpha: float = 1.0,
        mode: str = "both",
    ) -> None:
        super().__init__()
        self.min_instances = check_param(
            self.name,
            "min_instances",
            min_instances,
            lambda v: v >= 1 and v == int(v),
            "an integer >= 1",
        )
        self.delta = check_param(self.name, "delta", delta, lambda v: v >= 0, "a number >= 0")
        self.threshold = check_param(
            self.name, "threshold", threshold, lambda v: v > 0, "a number > 0"
        )
        self.alpha = check_param(
            self.name, "alpha", alpha, lambda v: 0 < v <= 1, "a number in (0, 1]"
        )
        if mode not in _MODES:
            check_param(self.name, "mode", mode, lambda v: False, "'up', 'down' or 'both'")
        self.mode = mode
        self._reset()

    def _reset(self) -> None:
        self._n = 0
        self._shift = 0.0  # the first value: sums of squares of x - shift lose less
        self._sum = 0.0
        self._sum2 = 0.0
        self._up = 0.0
        self._down = 0.0
        self._min = math.inf
        self._max = -math.inf
        self._at_min = -1
        self._at_max = -1

    def _point(self, up: bool, down: bool, index: int) -> int | None:
        up = up and self.mode != "down"
        down = down and self.mode != "up"
        if not (up or down):
            return None
        point = min((self._at_min if up else index), (self._at_max if down else index)) + 1
        self._reset()
        return min(point, index)

    def _step(self, x: float, index: int) -> int | None:
        if self._n == 0:
            self._shift = x
        value = x - self._shift
        self._n += 1
        self._sum += value
        self._sum2 += value * value
        mean = self._sum / self._n
        var = self._sum2 / self._n - mean * mean
        dev = (value - mean) / math.sqrt(var) if var > 0 else 0.0
        self._up = self.alpha * self._up + (dev - self.delta)
        self._down = self.alpha * self._down + (dev + self.delta)
        if self._up < self._min:
            self._min, self._at_min = self._up, index
        if self._down > self._max:
            self._max, self._at_max = self._down, index
        if self._n < self.min_instances:
            return None
        return self._point(
            self._up - self._min > self.threshold, self._max - self._down > self.threshold, index
        )

    def _cumulate(self, inputs: Floats, carried: float) -> Floats:
        if self.alpha == 1.0:
            return np.cumsum(after(carried, inputs))[1:]
        out, _ = lfilter([1.0], [1.0, -self.alpha], inputs, zi=[self.alpha * carried])
        return np.asarray(out, dtype=np.float64)

    def _scan(self, chunk: Floats, start: int) -> tuple[int, int] | None:
        if self._n == 0:
            self._shift = float(chunk[0])
        value = chunk - self._shift
        n = self._n + np.arange(1, chunk.size + 1)
        total = np.cumsum(after(self._sum, value))[1:]
        total2 = np.cumsum(after(self._sum2, value * value))[1:]
        mean = total / n
        var = total2 / n - mean * mean
        with np.errstate(invalid="ignore", divide="ignore"):
            dev = np.where(var > 0, (value - mean) / np.sqrt(np.maximum(var, 0)), 0.0)
        up = self._cumulate(dev - self.delta, self._up)
        down = self._cumulate(dev + self.delta, self._down)
        low = np.minimum.accumulate(after(self._min, up))
        high = np.maximum.accumulate(after(self._max, down))
        at_min = _latest(up < low[:-1], self._at_min, start)
        at_max = _latest(down > high[:-1], self._at_max, start)
        tested = n >= self.min_instances
        rise = tested & (up - low[1:] > self.threshold) & (self.mode != "down")
        fall = tested & (high[1:] - down > self.threshold) & (self.mode != "up")
        if (rise | fall).any():
            end = int(np.argmax(rise | fall))
            self._at_min, self._at_max = int(at_min[end]), int(at_max[end])
            point = self._point(bool(rise[end]), bool(fall[end]), start + end)
            return end, int(point if point is not None else start + end)
        self._n, self._sum, self._sum2 = int(n[-1]), float(total[-1]), float(total2[-1])
        self._up, self._down = float(up[-1]), float(down[-1])
        self._min, self._max = float(low[-1]), float(high[-1])
        self._at_min, self._at_max = int(at_min[-1]), int(at_max[-1])
        return None
