"""The cyclic garbage collector in a serving process: held off while models load, then
the loaded heap frozen out of its reach before requests are served.

Why (measured with ``keel serve`` on the reference model, wrk at 16 connections, 2 cores):

- Loaded, a server holds about 200,000 GC-tracked objects (pandas, scikit-learn, LightGBM,
  ONNX Runtime, pyarrow, Starlette...). Under load the objects of the ~16 requests in
  flight survive each young collection, so a full collection ran every ~0.5 s, and each
  traversed the whole heap: 120 ms median, 200 ms at worst, with the event loop stopped.
  That was the p99 of ~113 ms (and p90 of 10 ms); batching ``off`` only hid it by letting
  fewer objects be in flight. ``gc.freeze()`` once the models and the app are built moves
  that heap to the permanent generation: full collections then scan the ~2,000 objects
  of the requests in flight, 0.2-0.5 ms each, and CPU per request fell (gen2 time was
  ~12% of the process's CPU).
- While loading, the same full collections ran 5 times (40-150 ms each, ~0.45 s in
  all, collecting a few hundred objects): holding the collector off from the start of
  ``keel serve`` to the freeze takes them out of the cold start. What little garbage
  start-up leaves stays frozen (not collecting it first saves another ~150 ms).
- With ``--workers N`` the freeze happens in the parent before the fork as well, so the
  children's collections never write to the shared pages (copy-on-write stays shared):
  the pattern the ``gc.freeze`` documentation describes.

Only a server run from the main thread manages the collector (the ``keel serve`` process
and its forked workers); one started on another thread (tests, embedding) leaves it alone.
"""

from __future__ import annotations

import gc
import threading

__all__ = ["hold_collection", "release_collection", "resume_collection"]

#: Whether the collector was enabled when ``hold_collection`` first held it off.
_held: list[bool] = []


def hold_collection() -> None:
    """Hold the cyclic GC off until ``release_collection`` (idempotent; main thread only)."""
    if _held or threading.current_thread() is not threading.main_thread():
        return
    _held.append(gc.isenabled())
    gc.disable()


def release_collection() -> None:
    """Freeze everything alive now out of the collector's reach, then enable it again if
    ``hold_collection`` found it enabled. Call once the models and the app are built."""
    if threading.current_thread() is not threading.main_thread():
        return
    # One collection first: besides freeing start-up garbage, it untracks the tuples of
    # atomic values built while loading (a validator's column names, ...). A frozen
    # tuple stays tracked for good, and so would every prediction-log entry holding it.
    gc.collect()
    gc.freeze()
    if _held and _held[0]:
        gc.enable()


def resume_collection() -> None:
    """Enable the collector again if it is still held (a server that stopped before
    serving), without freezing anything."""
    if _held and _held[0] and not gc.isenabled():
        gc.enable()
