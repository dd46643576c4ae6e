"""``ensemble.json``: how the members' outputs combine — none (one member), the search's
single best, a weighted blend, or a stack (its stacker in ``members/stacker.skops``).

``members`` index the search's finalists, as in ``keel.train._ensemble.EnsembleChoice``;
the package's members are those finalists in that order. Weights are written with
Python's shortest round-trip float repr, so a loaded blend is bit-for-bit the same.

Example:
    >>> import numpy as np
    >>> from keel.train._ensemble import EnsembleChoice
    >>> choice = EnsembleChoice("blend", [0, 2], np.array([0.25, 0.75]), None, 0.1, 0.2, "")
    >>> text, stacker = dump_ensemble(choice)
    >>> load_ensemble(text.encode(), None).weights.tolist(), stacker
    ([0.25, 0.75], None)
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from keel.errors import PackageError
from keel.models._manifest_json import dumps_json
from keel.models._native import dump_skops_object
from keel.models._native_skops import loads_skops
from keel.train._ensemble import EnsembleChoice

__all__ = ["ENSEMBLE", "STACKER", "dump_ensemble", "load_ensemble"]

ENSEMBLE = "ensemble.json"
STACKER = "members/stacker.skops"
_KINDS = ("none", "single", "blend", "stack")


def dump_ensemble(choice: EnsembleChoice | None) -> tuple[str, bytes | None]:
    """``ensemble.json``'s text, and the stacker's skops bytes for a stack (else None)."""
    if choice is None:
        return dumps_json({"kind": "none"}), None
    stacker = None
    if choice.stacker is not None:
        # oof_ (one row per training row) is only the stacker's own CV record: not needed
        # to predict, and it would make a package grow with the training data.
        stacker = dump_skops_object(choice.stacker, file=STACKER, drop=("oof_",))
    record = {
        "kind": choice.kind,
        "members": [int(m) for m in choice.members],
        "weights": None if choice.weights is None else np.asarray(choice.weights).tolist(),
        "stacker": STACKER if stacker is not None else None,
        "oof_loss": float(choice.oof_loss),
        "single_loss": float(choice.single_loss),
        "reason": choice.reason,
    }
    return dumps_json(record), stacker


def load_ensemble(data: bytes, stacker: bytes | None) -> EnsembleChoice | None:
    """The choice in verified ``ensemble.json`` bytes, with its stacker's verified bytes.

    Raises:
        PackageError: malformed JSON, an unknown kind, or a stack without its stacker.
    """
    record = _parse(data)
    kind = record.get("kind")
    if kind not in _KINDS:
        raise PackageError(
            f"{ENSEMBLE}: kind must be one of {', '.join(_KINDS)}. Got {kind!r} instead.",
            file=ENSEMBLE,
        )
    if kind == "none":
        return None
    model = None
    if kind == "stack":
        if stacker is None:
            raise PackageError(f"{ENSEMBLE} is a stack but {STACKER} is missing.", file=STACKER)
        model = loads_skops(stacker, file=STACKER)
    weights = record.get("weights")
    return EnsembleChoice(
        kind=kind,
        members=[int(m) for m in record.get("members", [])],
        weights=None if weights is None else np.asarray(weights, dtype=np.float64),
        stacker=model,
        oof_loss=_float(record.get("oof_loss")),
        single_loss=_float(record.get("single_loss")),
        reason=str(record.get("reason", "")),
    )


def _parse(data: bytes) -> dict[str, Any]:
    try:
        record = json.loads(data)
    except ValueError as exc:
        raise PackageError(f"{ENSEMBLE} is not valid JSON: {exc}.", file=ENSEMBLE) from None
    if not isinstance(record, dict):
        raise PackageError(f"{ENSEMBLE} must hold a JSON object.", file=ENSEMBLE)
    return record


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)
