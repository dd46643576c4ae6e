"""The canary controller: roll back the moment a guardrail is breached with significance,
advance a step once it has ``min_requests`` candidate requests and ``min_seconds``, and
promote when the last step (100 %) has held to the same rule.

Example:
    >>> from keel.rollout._state import Arm
    >>> state = DeploymentState(name="api", model="churn", strategy="canary",
    ...     arms=(Arm(3, 95.0), Arm(4, 5.0)), stable=3, candidate=4,
    ...     settings={"canary": {"min_requests": 100, "min_seconds": 10}})
    >>> counts = {3: {"requests": 1900.0, "errors": 38.0}, 4: {"requests": 100.0, "errors": 2.0}}
    >>> d = decide_canary(state, counts, now=30.0)
    >>> d.action, [(a.version, a.weight) for a in d.state.arms], d.state.step_base
    ('advance', [(3, 75.0), (4, 25.0)], 100.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keel.rollout._decision import Decision
from keel.rollout._evidence import judge
from keel.rollout._guardrails import parse_guardrails
from keel.rollout._spec import CanarySpec
from keel.rollout._state import Arm, DeploymentState

__all__ = ["decide_canary"]


def decide_canary(
    state: DeploymentState, counts: Mapping[int, Mapping[str, float]], now: float
) -> Decision:
    """The next step of an active canary (see the module docstring)."""
    spec = CanarySpec.model_validate(state.settings.get("canary", {}))
    stable, candidate = state.stable, state.candidate
    if stable is None or candidate is None:
        return Decision("hold", state, "The canary has no stable or no candidate version.")
    c, s = counts.get(candidate, {}), counts.get(stable, {})
    judged = [judge(g, c, s, alpha=spec.alpha) for g in parse_guardrails(spec.guardrails)]
    in_step = c.get("requests", 0.0) - state.step_base
    evidence = _evidence(state, spec, judged, in_step, now)
    breached = [e for e in judged if e["breached"]]
    if breached:
        return _rollback(state, spec, breached, evidence, now)
    if in_step < spec.min_requests or now - state.step_started_at < spec.min_seconds:
        return Decision("hold", state, _waiting(state, spec, in_step, now), evidence)
    if state.step + 1 >= len(spec.steps):
        return _promote(state, evidence)
    return _advance(state, spec, c.get("requests", 0.0), now, evidence)


def _evidence(
    state: DeploymentState,
    spec: CanarySpec,
    judged: list[dict[str, Any]],
    in_step: float,
    now: float,
) -> dict[str, Any]:
    return {
        "step": state.step,
        "weight": spec.steps[min(state.step, len(spec.steps) - 1)],
        "steps": list(spec.steps),
        "requests_in_step": int(in_step),
        "min_requests": spec.min_requests,
        "seconds_in_step": round(now - state.step_started_at, 3),
        "min_seconds": spec.min_seconds,
        "alpha": spec.alpha,
        "guardrails": judged,
    }


def _where(state: DeploymentState, spec: CanarySpec) -> str:
    step = min(state.step, len(spec.steps) - 1)
    return f"step {step + 1} of {len(spec.steps)} ({spec.steps[step]:g} %)"


def _waiting(state: DeploymentState, spec: CanarySpec, in_step: float, now: float) -> str:
    seconds = now - state.step_started_at
    return (
        f"Holding {_where(state, spec)}: {int(in_step)} of {spec.min_requests} requests and "
        f"{seconds:.0f} of {spec.min_seconds:g} s; no guardrail breached."
    )


def _describe(e: dict[str, Any]) -> str:
    p = e["p_value"]
    shown = "n/a" if e["statistic"] is None else f"{e['statistic']:.4g}"
    return (
        f"{e['name']} {shown} breaches {e['condition']} (p={p:.2g})" if p is not None else e["name"]
    )


def _rollback(
    state: DeploymentState,
    spec: CanarySpec,
    breached: list[dict[str, Any]],
    evidence: dict[str, Any],
    now: float,
) -> Decision:
    reason = (
        f"Rolled back {state.model} {state.candidate} to {state.stable} at {_where(state, spec)}: "
        + "; ".join(_describe(e) for e in breached)
        + "."
    )
    assert state.stable is not None
    new = state.evolve(
        arms=(Arm(state.stable, 100.0),),
        candidate=None,
        status="rolled_back",
        epoch=state.epoch + 1,
        step_started_at=now,
        step_base=0.0,
    )
    return Decision("rollback", new, reason, evidence)


def _promote(state: DeploymentState, evidence: dict[str, Any]) -> Decision:
    assert state.candidate is not None
    reason = (
        f"Promoted {state.model} {state.candidate} (was {state.stable}): every step held "
        f"{evidence['min_requests']} requests and {evidence['min_seconds']:g} s with no "
        "guardrail breached."
    )
    new = state.evolve(
        arms=(Arm(state.candidate, 100.0),),
        stable=state.candidate,
        candidate=None,
        status="promoted",
        epoch=state.epoch + 1,
        step_base=0.0,
    )
    return Decision("promote", new, reason, evidence)


def _advance(
    state: DeploymentState, spec: CanarySpec, requests: float, now: float, evidence: dict[str, Any]
) -> Decision:
    assert state.stable is not None and state.candidate is not None
    step = state.step + 1
    weight = spec.steps[step]
    # The stable arm stays at weight 0 on the last step, so servers keep it loaded and a
    # rollback is a router swap, not a model load.
    arms = (Arm(state.stable, 100.0 - weight), Arm(state.candidate, weight))
    new = state.evolve(arms=arms, step=step, step_started_at=now, step_base=requests)
    reason = (
        f"Advanced {state.model} {state.candidate} to {weight:g} % (step {step + 1} of "
        f"{len(spec.steps)}): the last step held {evidence['requests_in_step']} requests and "
        f"{evidence['seconds_in_step']:.0f} s with no guardrail breached."
    )
    return Decision("advance", new, reason, evidence)
