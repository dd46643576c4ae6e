"""The ``deploy:`` section of keel.yaml: which registry model a named endpoint serves and
the strategy that decides which of its versions answer.

Example:
    >>> spec = DeploySpec.model_validate({"model": "churn", "strategy": "canary",
    ...     "canary": {"steps": [10, 100], "guardrails": {"error_rate": "<= 0.02"}}})
    >>> spec.endpoint, spec.canary.steps, spec.canary.min_requests
    ('churn', [10.0, 100.0], 1000)
    >>> parse_deploy_spec({"ab": {"split": [50, 40]}})
    Traceback (most recent call last):
    ...
    keel.errors.ConfigError: The 'split' setting of deploy.ab must be two or more positive percentages summing to 100. Got [50, 40] instead.
"""  # noqa: E501

from __future__ import annotations

import itertools
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from keel.errors import settings_error
from keel.rollout._guardrails import guardrail_problem

__all__ = [
    "AbSpec",
    "BanditSpec",
    "CanarySpec",
    "DeploySpec",
    "ShadowSpec",
    "parse_deploy_spec",
]

Strategy = Literal["single", "blue_green", "canary", "shadow", "ab", "bandit"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _sums_to_100(weights: list[float]) -> bool:
    # Percentages typed by people: 33.3/33.3/33.4 must pass, 50/40 must not.
    return math.isclose(sum(weights), 100.0, abs_tol=1e-6)


class CanarySpec(_Spec):
    """A candidate given growing shares of traffic, each step held until it has evidence."""

    #: Candidate weight (percent) at each step; increasing, ending at 100 (= promoted).
    steps: list[float] = Field(default_factory=lambda: [5.0, 25.0, 50.0, 100.0])
    #: Candidate requests a step needs (counted from the step's start) before it advances.
    min_requests: int = Field(1000, ge=1)
    #: Seconds a step lasts at least.
    min_seconds: float = Field(60.0, ge=0)
    #: Significance of a guardrail breach (always-valid, so checking every tick is fine).
    alpha: float = Field(0.05, gt=0, lt=0.5)
    #: Guardrails compared with the stable version: {error_rate: "<= 0.01", ...}.
    guardrails: dict[str, str] = Field(default_factory=lambda: {"error_rate": "<= 0.01"})

    @field_validator("steps")
    @classmethod
    def _steps_grow_to_100(cls, steps: list[float]) -> list[float]:
        if not steps or any(b <= a for a, b in itertools.pairwise(steps)):
            raise ValueError("must be a strictly increasing list of percentages ending at 100")
        if steps[0] <= 0 or steps[-1] != 100:
            raise ValueError("must be percentages above 0 ending at 100, like [5, 25, 50, 100]")
        return steps

    @field_validator("guardrails")
    @classmethod
    def _guardrails_parse(cls, guardrails: dict[str, str]) -> dict[str, str]:
        if not guardrails:
            raise ValueError(
                'must name at least one guardrail (like {error_rate: "<= 0.01"}): a canary '
                "with none would be promoted whatever it does"
            )
        for name, condition in guardrails.items():
            problem = guardrail_problem(name, condition)
            if problem is not None:
                raise ValueError(problem)
        return guardrails


class ShadowSpec(_Spec):
    """A candidate that gets a copy of requests; its answers are logged, never returned."""

    #: Share of requests copied, in (0, 1].
    fraction: float = Field(1.0, gt=0, le=1)


class AbSpec(_Spec):
    """A fixed split between versions; a unit (user, session) always sees the same one."""

    #: Percent per version, in the order of the versions; default an equal split.
    split: list[float] | None = None
    #: Mixed into the unit hash; default a new random salt per experiment.
    salt: str | None = Field(None, min_length=1)

    @field_validator("split")
    @classmethod
    def _split_sums_to_100(cls, split: list[float] | None) -> list[float] | None:
        if split is None:
            return None
        if len(split) < 2 or any(w <= 0 for w in split) or not _sums_to_100(split):
            raise ValueError("must be two or more positive percentages summing to 100")
        return split


class BanditSpec(_Spec):
    """Weights recomputed from reward counters by a bandit policy."""

    policy: Literal["thompson", "ucb1"] = "thompson"
    #: Every arm keeps at least this share of traffic (exploration); min_share * arms <= 1.
    min_share: float = Field(0.05, ge=0, lt=1)
    #: The counters rewarded: "reward" (POST /feedback reward, 0/1) or "accuracy" (labels).
    reward: Literal["reward", "accuracy"] = "reward"


class DeploySpec(_Spec):
    """keel.yaml ``deploy:``."""

    #: The endpoint (/predict/{name}); default the model name.
    name: str | None = Field(None, min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
    #: The registry model whose versions are deployed.
    model: str | None = Field(None, min_length=1)
    #: Versions (ints or registry refs like "churn@champion"); the CLI's --model wins.
    versions: list[int | str] = Field(default_factory=list)
    strategy: Strategy = "single"
    canary: CanarySpec = Field(default_factory=CanarySpec)
    shadow: ShadowSpec = Field(default_factory=ShadowSpec)
    ab: AbSpec = Field(default_factory=AbSpec)
    bandit: BanditSpec = Field(default_factory=BanditSpec)
    #: A registry alias moved to the candidate when a canary is promoted (e.g. champion).
    alias: str | None = Field(None, min_length=1)
    #: Seconds between controller ticks in a server.
    tick_s: float = Field(5.0, gt=0)

    @property
    def endpoint(self) -> str | None:
        """The endpoint name: ``name``, else the model's name."""
        return self.name or self.model

    def settings(self) -> dict[str, Any]:
        """The plain-JSON settings a DeploymentState carries (this strategy's section)."""
        found: dict[str, Any] = {"alias": self.alias, "tick_s": self.tick_s}
        if self.strategy in ("canary", "shadow", "ab", "bandit"):
            found[self.strategy] = getattr(self, self.strategy).model_dump(mode="json")
        return found


def parse_deploy_spec(data: dict[str, Any], *, field: str = "deploy") -> DeploySpec:
    """A DeploySpec from plain data (CLI flags merged over keel.yaml), with keel's messages.

    Raises:
        ConfigError: a value is wrong; the message names the setting and what is allowed.

    Example:
        >>> parse_deploy_spec({"shadow": {"fraction": 0}})
        Traceback (most recent call last):
        ...
        keel.errors.ConfigError: The 'fraction' setting of deploy.shadow must be greater than 0. Got 0 instead.
    """  # noqa: E501
    try:
        return DeploySpec.model_validate(data)
    except PydanticValidationError as exc:
        raise settings_error(exc, field) from None
