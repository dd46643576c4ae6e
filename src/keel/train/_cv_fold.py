"""One cross-validation split, and the error template the fold code shares."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keel.errors import TrainError

__all__ = ["Fold", "setting_error"]


@dataclass(frozen=True, eq=False)
class Fold:
    """One split: integer row positions to train on and to validate on.

    ``repeat`` counts the repeats of a repeated CV (0 otherwise), ``index`` the fold within it.
    """

    train: np.ndarray
    valid: np.ndarray
    repeat: int = 0
    index: int = 0


def setting_error(
    setting: str, expected: str, value: object, section: str = "train.cv"
) -> TrainError:
    return TrainError(
        f"The '{setting}' setting of {section} must be {expected}. Got {value!r} instead.",
        field=f"{section}.{setting}",
    )
