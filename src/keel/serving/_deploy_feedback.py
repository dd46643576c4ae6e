"""POST /feedback/{deployment}: a reward or a label credited to the version that answered
the request (remembered by request id), in the counters of the epoch it was answered in.

Rewards add ``reward_n``, ``reward_sum``, ``reward_sumsq``; a label adds ``label_n`` and,
when it equals the predicted label (compared as text, as the prediction log keeps it),
``label_hits``. For a request that was copied to shadows, each shadow that predicted it
gets ``shadow_label_n``, ``shadow_label_hits`` (its own hits) and
``shadow_label_answer_hits`` (the answer's hits on the same requests): a paired comparison.
A request id this server does not remember (another replica answered it, or it is older
than the memory) needs ``"version"`` in the body; its label then cannot be judged (the
prediction is not known here), so only a reward is counted.
"""

from __future__ import annotations

from typing import Any

from keel.serving._errors import ApiError, wrong

__all__ = ["credit_feedback"]


def credit_feedback(route: Any, request_id: str, payload: dict, label: Any, reward: Any) -> int:
    """Count the feedback; returns the version credited. ApiError 404 when the request is
    not remembered and the body names no version, 422 when it names one not served."""
    entry = route.table.memory.get(request_id)
    if entry is None:
        version = _given_version(route, request_id, payload)
        if reward is not None:
            route.tally.reward(version, reward)
        return version
    tally, version = entry.route.tally, entry.version
    if reward is not None:
        tally.reward(version, reward)
    if label is not None and entry.label is not None:
        hit = str(label) == str(entry.label)
        tally.add(version, "label_n")
        tally.add(version, "label_hits", float(hit))
        for shadow, predicted in list(entry.shadow_labels.items()):
            tally.add(shadow, "shadow_label_n")
            tally.add(shadow, "shadow_label_hits", float(str(label) == str(predicted)))
            tally.add(shadow, "shadow_label_answer_hits", float(hit))
    return int(version)


def _given_version(route: Any, request_id: str, payload: dict) -> int:
    version = payload.get("version")
    if version is None:
        raise ApiError(
            404,
            f"This server does not remember the request {request_id!r} of the deployment "
            f"{route.name!r} (another replica answered it, or it is older than the last "
            f'{route.table.memory.size} requests): send its "version" with the feedback.',
            [wrong("request_id", request_id, "the id of a recent prediction of this server")],
        )
    if isinstance(version, str) and version.isdigit():
        version = int(version)
    if not isinstance(version, int) or isinstance(version, bool) or version not in route.served:
        known = ", ".join(map(str, sorted(route.served)))
        raise ApiError(
            422,
            f"The version {version!r} is not one of the deployment {route.name!r}'s "
            f"versions ({known}).",
            [wrong("version", version, f"one of {known}")],
        )
    return version
