"""Checkpoints of long fits: a boosting refit saves its model every so many rounds, and a
fit that was interrupted starts again from the newest checkpoint instead of round one.

``Checkpoints`` is the seam: ``save`` replaces what a key holds, ``load`` returns it or
None. The workspace keeps them as artifacts of the study run (so a resumed ``keel train``
finds them); ``MemoryCheckpoints`` keeps them in a dict.

Example:
    >>> store = MemoryCheckpoints()
    >>> saver = FitCheckpoint(store, "k", every=50)
    >>> saver.save(100, b"model bytes")
    >>> FitCheckpoint(store, "k", every=50).resume
    (100, b'model bytes')
"""

from __future__ import annotations

import abc
import hashlib
import json
from typing import Any

import numpy as np

__all__ = ["Checkpoints", "FitCheckpoint", "MemoryCheckpoints", "checkpoint_key"]


class Checkpoints(abc.ABC):
    """Where fits keep their progress. ``save`` replaces what ``key`` holds; ``load`` returns
    the newest bytes saved under ``key`` or None. Called from the fitting thread only."""

    @abc.abstractmethod
    def save(self, key: str, data: bytes) -> None: ...

    @abc.abstractmethod
    def load(self, key: str) -> bytes | None: ...


class MemoryCheckpoints(Checkpoints):
    def __init__(self) -> None:
        self._saved: dict[str, bytes] = {}

    def save(self, key: str, data: bytes) -> None:
        self._saved[key] = data

    def load(self, key: str) -> bytes | None:
        return self._saved.get(key)


class FitCheckpoint:
    """One fit's checkpoints: the rounds done and the model, under one key."""

    def __init__(self, store: Checkpoints, key: str, every: int):
        self.store, self.key, self.every = store, key, every
        self.resume = _parse(store.load(key))

    def save(self, rounds: int, model: bytes) -> None:
        self.store.save(self.key, b"%d\n" % rounds + model)


def checkpoint_key(family: str, params: dict[str, Any], rounds: int | None, X: np.ndarray,
                   y: np.ndarray) -> str:  # fmt: skip
    """The same fit (family, parameters, rounds, data) always has the same key."""
    digest = hashlib.sha256()
    digest.update(json.dumps([family, params, rounds], sort_keys=True, default=str).encode())
    digest.update(repr(X.shape).encode())
    digest.update(np.ascontiguousarray(X[:: max(1, len(X) // 1000)]).tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    return digest.hexdigest()[:32]


def _parse(data: bytes | None) -> tuple[int, bytes] | None:
    if not data:
        return None
    head, _, model = data.partition(b"\n")
    return (int(head), model) if head.isdigit() and model else None
