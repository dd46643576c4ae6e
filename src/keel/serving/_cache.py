"""A response cache: LRU with a time to live, keyed by the validated input's bytes.

The key is the validated rows' bytes (the dict hashes them; equal bytes are then compared,
so two different inputs never share an entry the way two inputs with one digest could).
Validated rows are canonical: ``{"a": 1, "b": 2}`` and ``{"b": 2, "a": 1.0}`` hit one entry.
One cache per model version, so a swap never serves the old version's answers.

Example:
    >>> import numpy as np
    >>> cache = ResponseCache(size=2, ttl_s=60)
    >>> rows = np.array([[1.0, 2.0]])
    >>> cache.get(rows) is None
    True
    >>> cache.put(rows, np.array([[0.2, 0.8]]))
    >>> cache.get(np.array([[1.0, 2.0]])).tolist(), cache.hits, cache.misses
    ([[0.2, 0.8]], 1, 1)
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ResponseCache"]


class ResponseCache:
    """At most ``size`` outputs, each valid for ``ttl_s`` seconds after it was stored.

    Not thread-safe: used from the event loop only.
    """

    def __init__(
        self, size: int, ttl_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[bytes, tuple[float, np.ndarray]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, rows: np.ndarray) -> np.ndarray | None:
        """The stored output for ``rows``, or None (a miss, or an expired entry)."""
        key = _key(rows)
        entry = self._entries.get(key)
        if entry is None or entry[0] < self._clock():
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, rows: np.ndarray, output: np.ndarray) -> None:
        key = _key(rows)
        self._entries[key] = (self._clock() + self.ttl_s, output)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


def _key(rows: np.ndarray) -> bytes:
    if rows.dtype == object:  # a text feature: the row holds strings, not numbers
        return repr(rows.tolist()).encode()
    shape: Any = rows.shape
    return str(shape).encode() + rows.tobytes()
