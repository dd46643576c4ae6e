"""How many threads a serving process lets its predictors use, chosen before they load.

Why this is set deliberately rather than left to the libraries:

- LightGBM and XGBoost run on OpenMP. After each parallel region libgomp's threads spin
  (``OMP_WAIT_POLICY=ACTIVE`` behaviour) for a while waiting for more work; a server that
  predicts one row per request pays that spin on every request, on every core. Measured on
  the reference model (LightGBM, 100 trees, breast_cancer) behind a bare Starlette endpoint
  on a 2-core box: default threads 210 requests/s, ``num_threads=1`` about 1,600. So the
  wait policy is PASSIVE (threads sleep at once) unless the user set one.
- libgomp is not fork-safe: a child forked after its parent ran an OpenMP parallel region
  with more than one thread hangs at its next one (reproduced here with LightGBM's
  ``Booster.predict``). With ``--workers N`` the models load (and are warmed) in the parent
  before the fork, so the parent must never start an OpenMP pool: ``OMP_NUM_THREADS=1``.
  It is also the right figure for N workers on a box with about N cores: each worker gets
  one core's worth of threads, and large batches still use every core across workers.
- With one worker the batch thread count stays OpenMP's default (every core), so a large
  batch (the predictor sends batches of 10,000 rows or more to the native booster) uses the
  whole machine; single rows go to ONNX Runtime sessions built with one intra-op thread by
  ``keel.models`` (a thread pool's wake-up costs more than one row's trees).

libgomp reads these variables once, when it is loaded, so this must run before LightGBM
(or anything else that links libgomp) is imported: ``keel serve`` calls it first thing.
"""

from __future__ import annotations

import logging
import os

__all__ = ["configure_threads"]

logger = logging.getLogger("keel.serving")


def configure_threads(workers: int, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Set the OpenMP variables for a server with ``workers`` processes; returns what was set.

    A value the user set is kept, except ``OMP_NUM_THREADS`` above 1 with several workers,
    which would hang the forked workers (see the module docstring) and is overridden with
    a warning.
    """
    env = os.environ if environ is None else environ
    chosen: dict[str, str] = {}
    if "OMP_WAIT_POLICY" not in env:
        chosen["OMP_WAIT_POLICY"] = "PASSIVE"
    if workers > 1:
        given = env.get("OMP_NUM_THREADS")
        if given not in (None, "1"):
            logger.warning(
                "OMP_NUM_THREADS=%s is replaced by 1: with --workers %d the models load before "
                "the fork, and OpenMP threads started before a fork hang the workers.",
                given,
                workers,
            )
        chosen["OMP_NUM_THREADS"] = "1"
    env.update(chosen)
    return chosen
