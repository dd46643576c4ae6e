"""Deployments: a named endpoint serving a registry model's versions under a strategy
(single, blue-green, canary, shadow, A/B, bandit), its state kept in the store so every
replica routes alike, and a controller that moves weights by evidence. Heavy parts load on
first use.

Example:
    >>> from keel.rollout import DeploySpec
    >>> DeploySpec.model_validate({"model": "churn", "strategy": "canary",
    ...     "canary": {"guardrails": {"error_rate": "<= 0.01"}}}).canary.steps
    [5.0, 25.0, 50.0, 100.0]
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from keel.rollout._spec import DeploySpec

__all__ = [
    "Arm",
    "Decision",
    "DeploySpec",
    "DeploymentEvent",
    "DeploymentServing",
    "DeploymentState",
    "Deployments",
    "Guardrail",
    "check_versions",
    "decide",
    "initial_state",
    "router_for",
    "shadow_report",
]

# Public name -> private module, loaded on first use. Other parts add their names here.
_LAZY: dict[str, str] = {
    "Arm": "keel.rollout._state",
    "DeploymentState": "keel.rollout._state",
    "Decision": "keel.rollout._decide",
    "decide": "keel.rollout._decide",
    "initial_state": "keel.rollout._initial",
    "check_versions": "keel.rollout._initial",
    "Guardrail": "keel.rollout._guardrails",
    "router_for": "keel.rollout._routers",
    "shadow_report": "keel.rollout._shadow",
    "DeploymentServing": "keel.rollout._serve",
    "Deployments": "keel.rollout._deployments",
    "DeploymentEvent": "keel.rollout._events",
}

if TYPE_CHECKING:
    from keel.rollout._decide import Decision, decide
    from keel.rollout._deployments import Deployments
    from keel.rollout._events import DeploymentEvent
    from keel.rollout._guardrails import Guardrail
    from keel.rollout._initial import check_versions, initial_state
    from keel.rollout._routers import router_for
    from keel.rollout._serve import DeploymentServing
    from keel.rollout._shadow import shadow_report
    from keel.rollout._state import Arm, DeploymentState


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'keel.rollout' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
