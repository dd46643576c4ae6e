"""The rollout part of the Workspace façade: deployments created from keel.yaml's ``deploy:``
and arguments, checked against the registry; rollback, history, the controller tick, the
shared counters, and the experiment analysis of a deployment's arms."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keel.config import KeelConfig
from keel.errors import ConfigError
from keel.store import SQLStore

if TYPE_CHECKING:
    import pandas as pd

    from keel.experiments import ExperimentAnalysis
    from keel.models import Registry
    from keel.rollout import Decision, DeploymentState, DeploySpec
    from keel.rollout._deployments import Deployments
    from keel.rollout._events import DeploymentEvent


class RolloutMethods:
    """Mixed into Workspace, which provides these attributes."""

    root: Path
    config: KeelConfig
    store: SQLStore

    if TYPE_CHECKING:  # provided by ModelsMethods

        @property
        def registry(self) -> Registry: ...

    @property
    def _deployments(self) -> Deployments:
        from keel.rollout._deployments import Deployments

        found = self.__dict__.get("_deployments_service")
        if found is None:
            found = Deployments(self.store, on_promote=self._move_promoted_alias)
            self.__dict__["_deployments_service"] = found
        return found

    # -- changes -------------------------------------------------------------------------

    def deploy(
        self,
        name: str | None = None,
        *,
        model: str | None = None,
        versions: Sequence[int | str] = (),
        strategy: str | None = None,
        settings: Mapping[str, Any] | None = None,
        actor: str = "api",
        why: str | None = None,
    ) -> DeploymentState:
        """Create or replace the deployment ``name`` from keel.yaml's ``deploy:`` with these
        arguments over it, and return its new state.

        ``versions`` are registry refs (``churn/5``, ``churn@champion``) or version numbers
        of ``model``; none means the model's newest version. ``settings`` is shaped like
        ``deploy:`` ({"canary": {"steps": [10, 100]}, "alias": "champion"}) and merged
        over it. Replacing a deployment keeps the version it served as the stable one
        (blue-green's old colour, a canary's baseline) and starts a new counter epoch.

        Raises:
            ConfigError: a setting is wrong, or no model is named.
            RegistryError: a version does not exist.
        """
        from keel.rollout._initial import check_versions, initial_state

        spec = self._deploy_spec(name, model or _model_of(versions), strategy, settings)
        assert spec.model is not None and spec.endpoint is not None
        chosen = self._deploy_versions(spec.model, [*versions] or spec.versions)
        known = [v.version for v in self.registry.versions(spec.model)]
        salt = spec.ab.salt or secrets.token_hex(8)

        def build(previous: DeploymentState | None) -> DeploymentState:
            kept = previous if previous is not None and previous.model == spec.model else None
            # Two or more versions name their own stable one (the first); one is a candidate.
            stable = None if kept is None or len(chosen) > 1 else _serving_version(kept)
            state = initial_state(
                spec, versions=chosen, stable=stable, now=_now(), salt=salt, previous=kept
            )
            check_versions(state, known)
            return state

        return self._deployments.deploy(spec.endpoint, build, actor=actor, why=why)

    def rollback_deployment(
        self, name: str, *, why: str | None = None, actor: str = "cli"
    ) -> DeploymentState:
        """Send all traffic back to the stable version (blue-green's previous colour, a
        canary's baseline) in one write. Raises RolloutError when there is none."""
        return self._deployments.rollback(name, actor=actor, why=why)

    def end_deployment(
        self, name: str, *, why: str | None = None, actor: str = "cli"
    ) -> DeploymentState:
        """Stop the deployment: servers stop answering for it; its history stays."""
        return self._deployments.end(name, actor=actor, why=why)

    def advance_deployment(self, name: str, *, now: float | None = None) -> Decision:
        """One controller tick: decide from this epoch's counters (advance, promote, roll
        back, reweight or hold) and write the decision with its evidence."""
        return self._deployments.tick(name, now=now)

    # -- reading -------------------------------------------------------------------------

    def deployment(self, name: str) -> DeploymentState:
        """The current state of a deployment. Raises RolloutError when there is none."""
        return self._deployments.get(name)

    def deployments(self) -> list[DeploymentState]:
        """Every deployment (ended ones too), by name."""
        return self._deployments.all()

    def deployment_history(self, name: str) -> list[DeploymentEvent]:
        """Every change of a deployment with its actor, reason and evidence, oldest first."""
        return self._deployments.history(name)

    # -- counters ------------------------------------------------------------------------

    def add_deployment_counts(
        self,
        name: str,
        epoch: int,
        counts: Mapping[tuple[int, str], float],
        *,
        at: float | None = None,
    ) -> None:
        """Add a server's drained ``{(version, counter): increment}`` to the counters of
        ``epoch``, summed with every other replica's."""
        self._deployments.add_counts(name, epoch, counts, at=at)

    def deployment_counts(self, name: str, epoch: int | None = None) -> dict[int, dict[str, float]]:
        """``{version: {counter: total}}`` of ``epoch`` (the current one by default)."""
        return self._deployments.counts(name, epoch)

    def deployment_counts_by_minute(self, name: str, epoch: int | None = None) -> pd.DataFrame:
        """The counters as rows [minute, version, counter, value] (minute = unix s // 60)."""
        return self._deployments.counts_by_minute(name, epoch)

    def deployment_analysis(
        self, name: str, *, epoch: int | None = None, alpha: float = 0.05
    ) -> ExperimentAnalysis:
        """The experiment analysis of the deployment's arms (allocation, SRM, each metric
        against the first arm) from its counters, expecting the state's weights."""
        from keel.experiments import experiment_analysis

        state = self.deployment(name)
        split = {arm.version: arm.weight / 100.0 for arm in state.arms if arm.weight > 0}
        # Weights that the controller moves (canary, bandit) give no fixed split to test.
        fixed = state.strategy in ("ab", "single", "blue_green")
        frame = self.deployment_counts_by_minute(name, epoch)
        seen = fixed or state.stable in set(frame["version"])
        control = state.stable if seen and state.stable in split else None
        return experiment_analysis(
            frame, expected_split=split if fixed else None, alpha=alpha, control=control
        )

    # -- helpers -------------------------------------------------------------------------

    def _deploy_spec(
        self,
        name: str | None,
        model: str | None,
        strategy: str | None,
        settings: Mapping[str, Any] | None,
    ) -> DeploySpec:
        from keel.rollout._spec import parse_deploy_spec

        base = getattr(self.config, "deploy", None)
        data = {} if base is None else base.model_dump(mode="json", exclude_unset=True)
        data = _merged(data, dict(settings or {}))
        given = {"name": name, "model": model, "strategy": strategy}
        data.update({key: value for key, value in given.items() if value is not None})
        if data.get("model") is None:
            data["model"] = _model_of(data.get("versions") or ()) or self.config.project
        return parse_deploy_spec(data)

    def _deploy_versions(self, model: str, refs: Sequence[int | str]) -> list[int]:
        """Registry version numbers of ``refs`` (the model's newest when none)."""
        found = []
        for ref in refs or [model]:
            text = f"{model}/{ref}" if isinstance(ref, int) or str(ref).isdigit() else str(ref)
            version = self.registry.resolve(text)
            if version.name != model:
                raise ConfigError(
                    f"The 'versions' setting of deploy must name versions of {model!r}. Got "
                    f"{text!r} instead.",
                    field="deploy.versions",
                )
            found.append(version.version)
        return list(dict.fromkeys(found))

    def _move_promoted_alias(self, state: DeploymentState, reason: str) -> None:
        alias = state.settings.get("alias")
        if alias and state.arms:
            self.registry.set_alias(state.model, alias, _serving_version(state), why=reason)


def _serving_version(state: DeploymentState) -> int:
    """The version a deployment stands on: a trial's stable one, else its heaviest arm
    (blue-green's new colour, a promoted canary, an A/B control on a tie)."""
    on_trial = state.status == "active" and state.strategy in ("canary", "shadow")
    if on_trial and state.stable is not None:
        return state.stable
    return max(state.arms, key=lambda arm: arm.weight).version


def _model_of(refs: Sequence[int | str]) -> str | None:
    for ref in refs:
        if isinstance(ref, str) and not ref.isdigit():
            return ref.partition("@")[0].partition("/")[0]
    return None


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged into ``base``, mappings key by key (so --steps keeps guardrails)."""
    found = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(found.get(key), Mapping):
            found[key] = _merged(dict(found[key]), dict(value))
        else:
            found[key] = value
    return found


def _now() -> float:
    import time

    return time.time()
