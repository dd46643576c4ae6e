"""Canary guardrails: the parsed form of keel.yaml's ``deploy.canary.guardrails``.

Each guardrail compares the candidate with the stable version (latency is absolute) and is
breached only with significance (see keel.rollout._checks), so a controller that looks at
every tick does not roll back more often than ``alpha`` says.

Example:
    >>> parse_guardrail("error_rate", "<= 0.01")
    Guardrail(name='error_rate', op='<=', threshold=0.01)
    >>> parse_guardrail("reward", "<= 0.01")
    Traceback (most recent call last):
    ...
    keel.errors.ConfigError: The 'guardrails' setting of deploy.canary must give reward a condition like ">= -0.01" (the candidate's mean reward minus the stable's, at least this); it has '<= 0.01'.
"""  # noqa: E501

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from keel.errors import ConfigError

__all__ = ["GUARDRAILS", "Guardrail", "guardrail_problem", "parse_guardrail", "parse_guardrails"]

_CONDITION = re.compile(r"^\s*(>=|<=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")

#: name -> (the one operator it takes, an example, what the number means).
GUARDRAILS: dict[str, tuple[str, str, str]] = {
    "error_rate": ("<=", "<= 0.01", "the candidate's error rate minus the stable's, at most"),
    "latency_p99_ms": ("<=", "<= 10", "the candidate's p99 latency in ms, at most"),
    "score_shift": ("<=", "<= 0.1", "PSI of candidate vs stable score histograms, at most"),
    "reward": (">=", ">= -0.01", "the candidate's mean reward minus the stable's, at least"),
    "accuracy": (">=", ">= -0.02", "the candidate's label hit rate minus the stable's, at least"),
}


@dataclass(frozen=True)
class Guardrail:
    """One guardrail: ``name`` ``op`` ``threshold`` (op is fixed per name)."""

    name: str
    op: str
    threshold: float


def parse_guardrail(name: str, condition: object) -> Guardrail:
    """The guardrail ``name: condition``.

    Raises:
        ConfigError: an unknown name, or a condition that is not ``<op> <number>`` with
            the operator that guardrail takes.
    """
    problem = guardrail_problem(name, condition)
    if problem is not None:
        raise ConfigError(
            f"The 'guardrails' setting of deploy.canary {problem}.",
            field=f"deploy.canary.guardrails.{name}",
        )
    match = _CONDITION.match(str(condition))
    assert match is not None  # guardrail_problem said it parses
    return Guardrail(name, match.group(1), float(match.group(2)))


def guardrail_problem(name: str, condition: object) -> str | None:
    """What is wrong with ``name: condition``, as "must ..." (None when it is fine)."""
    if name not in GUARDRAILS:
        return f"must name known guardrails ({', '.join(GUARDRAILS)}); {name!r} is not one"
    op, example, meaning = GUARDRAILS[name]
    match = _CONDITION.match(str(condition))
    if match is None or match.group(1) != op:
        return (
            f'must give {name} a condition like "{example}" ({meaning} this); it has {condition!r}'
        )
    if name in ("latency_p99_ms", "score_shift") and float(match.group(2)) <= 0:
        return f"must give {name} a threshold above 0; it has {condition!r}"
    return None


def parse_guardrails(guardrails: Mapping[str, object]) -> list[Guardrail]:
    """Every guardrail of a mapping, in its order."""
    return [parse_guardrail(name, condition) for name, condition in guardrails.items()]
