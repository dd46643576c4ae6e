"""The shadow comparison: how a deployment's shadow versions did beside the answers, from
the counters servers keep (keel.serving._deploy_shadow, _deploy_feedback).

Example:
    >>> from keel.rollout._state import Arm, DeploymentState
    >>> state = DeploymentState(name="api", model="churn", strategy="shadow",
    ...     arms=(Arm(1, 100.0),), stable=1, candidate=2, shadows=(2,))
    >>> counts = {1: {"requests": 100.0, "lat_03": 100.0},
    ...           2: {"shadow_n": 100.0, "shadow_agree": 97.0, "shadow_lat_02": 100.0,
    ...               "shadow_label_n": 40.0, "shadow_label_hits": 36.0,
    ...               "shadow_label_answer_hits": 34.0}}
    >>> report = shadow_report(state, counts)["shadows"][0]
    >>> report["agreement"], report["accuracy_difference"], report["latency_ms"]["shadow_p50"]
    (0.97, 0.05, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from keel.rollout._state import DeploymentState
from keel.serving._routing import LATENCY_BOUNDS_S, latency_quantile

__all__ = ["shadow_report"]


def shadow_report(
    state: DeploymentState, counts: Mapping[int, Mapping[str, float]]
) -> dict[str, Any]:
    """Per shadow version: copies predicted, agreement with the answers, errors and
    drops, latency (answers: the whole request; shadows: the model call) and, on the
    requests that got a label through /feedback, both accuracies and their difference
    (shadow minus answer, with a normal 95 % interval).

    Args:
        state: the deployment (its arms answered, its shadows were copied to).
        counts: ``{version: {counter: total}}`` of an epoch (``ws.deployment_counts``).

    Returns:
        JSON-able ``{"deployment", "answered_by", "answer_latency_ms", "shadows": [...]}``.
    """
    answered = _summed(counts.get(arm.version, {}) for arm in state.arms)
    answer_latency = _latency_ms(answered, "lat_")
    rows = [_one(version, counts.get(version, {}), answer_latency) for version in state.shadows]
    return {
        "deployment": state.name,
        "answered_by": [arm.version for arm in state.arms if arm.weight > 0],
        "requests": answered.get("requests", 0.0),
        "answer_latency_ms": answer_latency,
        "shadows": rows,
    }


def _one(version: int, found: Mapping[str, float], answer: dict[str, float]) -> dict[str, Any]:
    copies = found.get("shadow_n", 0.0)
    labelled = found.get("shadow_label_n", 0.0)
    shadow_acc = _share(found.get("shadow_label_hits", 0.0), labelled)
    answer_acc = _share(found.get("shadow_label_answer_hits", 0.0), labelled)
    diff = shadow_acc - answer_acc if labelled else float("nan")
    half = 1.96 * math.sqrt(
        (shadow_acc * (1 - shadow_acc) + answer_acc * (1 - answer_acc)) / labelled
    ) if labelled else float("nan")  # fmt: skip
    return {
        "version": version,
        "copies": copies,
        "agreement": _share(found.get("shadow_agree", 0.0), copies),
        "errors": found.get("shadow_errors", 0.0),
        "dropped": found.get("shadow_dropped", 0.0),
        "latency_ms": {
            "answer_p50": answer["p50"],
            "answer_p99": answer["p99"],
            **{f"shadow_{k}": v for k, v in _latency_ms(found, "shadow_lat_").items()},
        },
        "labelled": labelled,
        "accuracy_shadow": _clean(shadow_acc),
        "accuracy_answer": _clean(answer_acc),
        "accuracy_difference": _clean(round(diff, 12)),
        "accuracy_difference_ci95": [_clean(diff - half), _clean(diff + half)],
    }


def _summed(many: Any) -> dict[str, float]:
    total: dict[str, float] = {}
    for found in many:
        for key, value in found.items():
            total[key] = total.get(key, 0.0) + value
    return total


def _latency_ms(found: Mapping[str, float], prefix: str) -> dict[str, float]:
    """p50 and p99 (upper bounds of their histogram buckets) in milliseconds."""
    buckets = {
        f"lat_{i:02d}": found.get(f"{prefix}{i:02d}", 0.0) for i in range(len(LATENCY_BOUNDS_S))
    }
    return {f"p{int(q * 100)}": _clean(latency_quantile(buckets, q) * 1000) for q in (0.5, 0.99)}


def _share(part: float, whole: float) -> float:
    return part / whole if whole else float("nan")


def _clean(value: float) -> Any:
    """JSON has no NaN or infinity: None instead."""
    return None if not math.isfinite(value) else value
