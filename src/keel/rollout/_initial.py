"""A deployment's first state for each strategy, and its versions checked against the
registry's.

Example:
    >>> spec = DeploySpec.model_validate({"model": "churn", "strategy": "canary"})
    >>> state = initial_state(spec, versions=[4], stable=3, now=0.0, salt="s")
    >>> [(arm.version, arm.weight) for arm in state.arms], state.stable, state.candidate
    ([(3, 95.0), (4, 5.0)], 3, 4)
    >>> check_versions(state, [1, 2, 3])
    Traceback (most recent call last):
    ...
    keel.errors.ConfigError: Unknown version 4 of churn; known: 1, 2, 3.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from keel.errors import ConfigError
from keel.rollout._spec import DeploySpec
from keel.rollout._state import Arm, DeploymentState

__all__ = ["check_versions", "initial_state"]


def initial_state(
    spec: DeploySpec,
    *,
    versions: Sequence[int],
    stable: int | None = None,
    now: float,
    salt: str | None = None,
    previous: DeploymentState | None = None,
) -> DeploymentState:
    """The first state of the deployment ``spec`` describes.

    Args:
        spec: the deploy settings (name, model, strategy and its section).
        versions: the versions to deploy, resolved to ints. For blue_green, canary and
            shadow the last one is the candidate and a first one, if any, the stable.
        stable: the version serving now (blue-green's old colour, a canary's baseline);
            default the first of ``versions`` when there are two, else the version that
            ``previous`` answers with.
        now: seconds since the epoch (the canary's first step starts then).
        salt: the unit hash salt; default ``spec.ab.salt``, else a new random one.
        previous: the deployment's current state when this replaces it: the new state
            continues its revision and takes the next epoch, so counters start from zero.

    Returns:
        The state, ``revision`` equal to previous's (0 when new): the writer bumps it.

    Raises:
        ConfigError: the versions do not fit the strategy (a canary without a stable
            version, one A/B version, a split of the wrong length, min_share too large).
    """
    if spec.model is None:
        raise ConfigError(
            "The 'model' setting of deploy must name a registry model. Got None instead.",
            field="deploy.model",
        )
    chosen = list(dict.fromkeys(int(v) for v in versions))
    trial = spec.strategy in ("blue_green", "canary", "shadow")
    if trial and stable is None and previous is not None and len(chosen) == 1:
        stable = _serving(previous)
    if spec.strategy != "single" and stable is not None and stable not in chosen:
        chosen.insert(0, int(stable))
    if not chosen:
        raise ConfigError(
            _bad(spec, "versions", "must name at least one version", []), field="deploy.versions"
        )
    fields = _BUILDERS[spec.strategy](spec, chosen)
    return DeploymentState(
        name=spec.endpoint or spec.model,
        model=spec.model,
        strategy=spec.strategy,
        step_started_at=now,
        salt=salt or spec.ab.salt or secrets.token_hex(8),
        epoch=previous.epoch + 1 if previous is not None else 1,
        revision=previous.revision if previous is not None else 0,
        settings=spec.settings(),
        updated_at=now,
        **fields,
    )


def _serving(state: DeploymentState) -> int | None:
    """The version answering most of ``state``'s traffic."""
    if not state.arms:
        return None
    return max(state.arms, key=lambda arm: arm.weight).version


def _bad(spec: DeploySpec, key: str, problem: str, got: object) -> str:
    where = f"for strategy {spec.strategy}"
    return f"The {key!r} setting of deploy {problem} {where}. Got {got!r} instead."


def _single(spec: DeploySpec, versions: list[int]) -> dict[str, Any]:
    if len(versions) != 1:
        raise ConfigError(
            _bad(spec, "versions", "must be exactly one version", versions), field="deploy.versions"
        )
    return {"arms": (Arm(versions[0], 100.0),)}


def _pair(spec: DeploySpec, versions: list[int]) -> tuple[int, int]:
    """(stable, candidate): a trial needs a version to judge the candidate against."""
    if len(versions) != 2:
        raise ConfigError(
            _bad(
                spec,
                "versions",
                "must be a stable version and a candidate (two versions)",
                versions,
            ),
            field="deploy.versions",
        )
    return versions[0], versions[1]


def _blue_green(spec: DeploySpec, versions: list[int]) -> dict[str, Any]:
    old, new = _pair(spec, versions)
    return {"arms": (Arm(new, 100.0),), "stable": old, "candidate": new}


def _canary(spec: DeploySpec, versions: list[int]) -> dict[str, Any]:
    old, new = _pair(spec, versions)
    first = spec.canary.steps[0]
    return {"arms": (Arm(old, 100.0 - first), Arm(new, first)), "stable": old, "candidate": new}


def _shadow(spec: DeploySpec, versions: list[int]) -> dict[str, Any]:
    if len(versions) < 2:
        raise ConfigError(
            _bad(spec, "versions", "must be a stable version and one or more shadows", versions),
            field="deploy.versions",
        )
    return {
        "arms": (Arm(versions[0], 100.0),),
        "stable": versions[0],
        "candidate": versions[1] if len(versions) == 2 else None,
        "shadows": tuple(versions[1:]),
        "shadow_fraction": spec.shadow.fraction,
    }


def _ab(spec: DeploySpec, versions: list[int]) -> dict[str, Any]:
    if len(versions) < 2:
        raise ConfigError(
            _bad(spec, "versions", "must be two or more versions", versions),
            field="deploy.versions",
        )
    split = spec.ab.split or _equal(len(versions))
    if len(split) != len(versions):
        raise ConfigError(
            f"The 'split' setting of deploy.ab must give one percentage per version "
            f"({len(versions)}: {', '.join(map(str, versions))}). Got {split!r} instead.",
            field="deploy.ab.split",
        )
    return {
        "arms": tuple(Arm(v, float(w)) for v, w in zip(versions, split, strict=True)),
        "stable": versions[0],
    }


def _bandit(spec: DeploySpec, versions: list[int]) -> dict[str, Any]:
    if len(versions) < 2:
        raise ConfigError(
            _bad(spec, "versions", "must be two or more versions", versions),
            field="deploy.versions",
        )
    if spec.bandit.min_share * len(versions) > 1:
        raise ConfigError(
            f"The 'min_share' setting of deploy.bandit must be at most 1 / arms "
            f"({1 / len(versions):.3g} for {len(versions)} versions). "
            f"Got {spec.bandit.min_share!r} instead.",
            field="deploy.bandit.min_share",
        )
    split = _equal(len(versions))
    return {
        "arms": tuple(Arm(v, w) for v, w in zip(versions, split, strict=True)),
        "stable": versions[0],
    }


def _equal(n: int) -> list[float]:
    """n weights summing to exactly 100 (the last takes the rounding)."""
    share = round(100.0 / n, 4)
    return [share] * (n - 1) + [round(100.0 - share * (n - 1), 4)]


_BUILDERS = {
    "single": _single,
    "blue_green": _blue_green,
    "canary": _canary,
    "shadow": _shadow,
    "ab": _ab,
    "bandit": _bandit,
}


def check_versions(state: DeploymentState, known: Iterable[int]) -> None:
    """Raise ConfigError when ``state`` names a version the registry does not know.

    Raises:
        ConfigError: "Unknown version 9 of churn; known: 1, 2, 3."
    """
    known_set = {int(v) for v in known}
    unknown = sorted(state.versions() - known_set)
    if unknown:
        listed = ", ".join(map(str, sorted(known_set))) or "none"
        which = "version" if len(unknown) == 1 else "versions"
        raise ConfigError(
            f"Unknown {which} {', '.join(map(str, unknown))} of {state.model}; known: {listed}.",
            field="deploy.versions",
        )
