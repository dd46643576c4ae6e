"""XGBoost's training callbacks for ``XGBoostAlgorithm.fit``: checkpoints and round reports.

Apart from ``_catalog_boosting`` because they subclass an xgboost class: that module is
imported whenever a package is loaded (``keel serve`` included), and xgboost costs 20 MB
of memory and ~20 ms there (measured), so it loads only when an XGBoost model fits.
"""

from __future__ import annotations

from typing import Any

import xgboost

from keel.train._catalog_common import REPORT_EVERY, OnRound, StopFitting
from keel.train._checkpoint import FitCheckpoint

__all__ = ["XGBoostReporter", "XGBoostSaver"]


class XGBoostSaver(xgboost.callback.TrainingCallback):
    def __init__(self, checkpoint: FitCheckpoint):
        super().__init__()
        self.checkpoint = checkpoint

    def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, Any]) -> bool:
        rounds = model.num_boosted_rounds()  # counts the rounds of an xgb_model too
        if rounds % self.checkpoint.every == 0:
            self.checkpoint.save(rounds, bytes(model.save_raw(raw_format="ubj")))
        return False


class XGBoostReporter(xgboost.callback.TrainingCallback):
    def __init__(self, on_round: OnRound):
        super().__init__()
        self.on_round = on_round

    def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, Any]) -> bool:
        rounds = epoch + 1
        if rounds % REPORT_EVERY == 0 and evals_log:
            history = next(iter(evals_log.values()))
            try:
                self.on_round(rounds, float(list(history.values())[-1][-1]))
            except StopFitting:
                return True  # XGBoost stops and keeps the rounds so far
        return False
