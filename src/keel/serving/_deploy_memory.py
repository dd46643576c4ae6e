"""What a server remembers of its recent routed answers, so POST /feedback can credit a
reward or a label to the version that answered (and to the shadows that saw the request).

Bounded: past ``size`` entries the oldest is forgotten (a dict keeps insertion order, so
the oldest is its first key). Feedback for a forgotten id must name its version.

Example:
    >>> recent = Recent(2)
    >>> recent.remember("a", None, 3, 1)
    >>> recent.remember("b", None, 4, 0)
    >>> recent.remember("c", None, 4, 1)
    >>> recent.get("a") is None, recent.get("c").version
    (True, 4)
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["Answered", "Recent"]


class Answered:
    """One remembered answer: the route (its counters' epoch), the version, the predicted
    label of the first record (None for a regressor) and the shadows' labels."""

    __slots__ = ("label", "route", "shadow_labels", "version")

    def __init__(self, route: Any, version: int, label: Any):
        self.route, self.version, self.label = route, version, label
        self.shadow_labels: dict[int, Any] = {}


class Recent:
    """A bounded, thread-safe map of request id -> Answered."""

    def __init__(self, size: int = 100_000):
        self.size = size
        self._items: dict[str, Answered] = {}
        self._lock = threading.Lock()

    def remember(self, request_id: str, route: Any, version: int, label: Any) -> None:
        entry = Answered(route, version, label)
        with self._lock:
            items = self._items
            items[request_id] = entry
            if len(items) > self.size:
                del items[next(iter(items))]

    def get(self, request_id: str) -> Answered | None:
        return self._items.get(request_id)

    def note_shadow(self, request_id: str, version: int, label: Any) -> None:
        """A shadow's predicted label for a remembered request (from the shadow thread)."""
        entry = self._items.get(request_id)
        if entry is not None:
            entry.shadow_labels[version] = label

    def __len__(self) -> int:
        return len(self._items)
