"""keel.yaml ``deploy:``: DeploySpec validation, initial states, version checks."""

from __future__ import annotations

import json

import pytest

from keel.config import load_config
from keel.errors import ConfigError
from keel.rollout import DeploymentState, DeploySpec, check_versions, initial_state
from keel.rollout._spec import parse_deploy_spec


def spec(**data: object) -> DeploySpec:
    return parse_deploy_spec({"model": "churn", **data})


def test_defaults_are_a_single_deployment_named_after_the_model() -> None:
    s = spec()
    assert (s.strategy, s.endpoint, s.canary.steps, s.canary.min_requests) == (
        "single",
        "churn",
        [5.0, 25.0, 50.0, 100.0],
        1000,
    )
    assert s.canary.guardrails == {"error_rate": "<= 0.01"}
    assert (s.shadow.fraction, s.ab.split, s.bandit.policy, s.bandit.min_share) == (
        1.0,
        None,
        "thompson",
        0.05,
    )


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"ab": {"split": [50, 40]}}, "deploy.ab.split", "summing to 100"),
        ({"ab": {"split": [100]}}, "deploy.ab.split", "two or more"),
        ({"canary": {"steps": [5, 50, 25, 100]}}, "deploy.canary.steps", "increasing"),
        ({"canary": {"steps": [5, 25, 50]}}, "deploy.canary.steps", "ending at 100"),
        ({"canary": {"steps": [0, 100]}}, "deploy.canary.steps", "above 0"),
        ({"canary": {"guardrails": {}}}, "deploy.canary.guardrails", "at least one guardrail"),
        ({"canary": {"guardrails": {"p95": "<= 3"}}}, "deploy.canary.guardrails", "'p95'"),
        (
            {"canary": {"guardrails": {"error_rate": "below 1%"}}},
            "deploy.canary.guardrails",
            '"<= 0.01"',
        ),
        (
            {"canary": {"guardrails": {"reward": "<= 0.1"}}},
            "deploy.canary.guardrails",
            '">= -0.01"',
        ),
        (
            {"canary": {"guardrails": {"latency_p99_ms": "<= 0"}}},
            "deploy.canary.guardrails",
            "above 0",
        ),
        ({"shadow": {"fraction": 0}}, "deploy.shadow.fraction", "greater than 0"),
        ({"shadow": {"fraction": 1.5}}, "deploy.shadow.fraction", "less than or equal to 1"),
        ({"bandit": {"policy": "greedy"}}, "deploy.bandit.policy", "thompson"),
        ({"strategy": "rainbow"}, "deploy.strategy", "canary"),
        ({"canary": {"tau": 1}}, "deploy.canary.tau", "not a setting of deploy.canary"),
    ],
)
def test_bad_settings_are_rejected_clearly(data: dict, field: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        spec(**data)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert "Got" in str(caught.value) or "not a setting" in str(caught.value)


def test_keel_yaml_deploy_section(tmp_path) -> None:
    path = tmp_path / "keel.yaml"
    path.write_text(
        "project: churn\n"
        "deploy:\n"
        "  name: churn-api\n"
        "  model: churn\n"
        "  strategy: canary\n"
        "  canary:\n"
        "    steps: [10, 50, 100]\n"
        "    guardrails: {error_rate: '<= 0.02', latency_p99_ms: '<= 50'}\n",
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.deploy.endpoint == "churn-api"
    assert config.deploy.canary.guardrails["latency_p99_ms"] == "<= 50"
    path.write_text(
        "project: churn\ndeploy:\n  strategy: canary\n  canary:\n    guardrails: {}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"deploy\.canary\.guardrails"):
        load_config(path)


def test_initial_state_of_every_strategy() -> None:
    single = initial_state(spec(), versions=[3], now=10.0, salt="s")
    assert [(a.version, a.weight) for a in single.arms] == [(3, 100.0)]
    assert (single.name, single.epoch, single.revision, single.status) == ("churn", 1, 0, "active")

    bg = initial_state(spec(strategy="blue_green"), versions=[4], stable=3, now=0.0, salt="s")
    assert ([(a.version, a.weight) for a in bg.arms], bg.stable, bg.candidate) == (
        [(4, 100.0)],
        3,
        4,
    )
    assert bg.versions() == {3, 4}  # the old colour stays loaded for an instant rollback

    canary = initial_state(spec(strategy="canary"), versions=[3, 4], now=5.0, salt="s")
    assert [(a.version, a.weight) for a in canary.arms] == [(3, 95.0), (4, 5.0)]
    assert (canary.step, canary.step_started_at, canary.step_base) == (0, 5.0, 0.0)
    assert canary.settings["canary"]["guardrails"] == {"error_rate": "<= 0.01"}

    shadow = initial_state(
        spec(strategy="shadow", shadow={"fraction": 0.2}), versions=[3, 4], now=0.0, salt="s"
    )
    assert ([(a.version, a.weight) for a in shadow.arms], shadow.shadows) == ([(3, 100.0)], (4,))
    assert shadow.shadow_fraction == 0.2

    ab = initial_state(spec(strategy="ab", ab={"split": [70, 30]}), versions=[3, 4], now=0.0)
    assert [(a.version, a.weight) for a in ab.arms] == [(3, 70.0), (4, 30.0)]
    assert len(ab.salt) == 16  # a fresh random salt per experiment

    bandit = initial_state(spec(strategy="bandit"), versions=[1, 2, 3], now=0.0, salt="s")
    assert sum(a.weight for a in bandit.arms) == 100.0
    assert DeploymentState.from_dict(json.loads(json.dumps(bandit.to_dict()))) == bandit


def test_ab_salt_from_settings_and_fresh_otherwise() -> None:
    fixed = spec(strategy="ab", ab={"salt": "exp-7"})
    assert initial_state(fixed, versions=[1, 2], now=0.0).salt == "exp-7"
    free = spec(strategy="ab")
    assert (
        initial_state(free, versions=[1, 2], now=0.0).salt
        != initial_state(free, versions=[1, 2], now=0.0).salt
    )


def test_a_new_deployment_over_an_old_one_takes_the_next_epoch_and_its_stable() -> None:
    old = initial_state(spec(), versions=[3], now=0.0, salt="s").evolve(revision=4, epoch=2)
    new = initial_state(spec(strategy="canary"), versions=[4], now=9.0, salt="s", previous=old)
    assert (new.stable, new.candidate, new.epoch, new.revision) == (3, 4, 3, 4)


@pytest.mark.parametrize(
    ("data", "versions", "field", "words"),
    [
        ({"strategy": "canary"}, [4], "deploy.versions", "stable version and a candidate"),
        ({"strategy": "blue_green"}, [4], "deploy.versions", "stable version and a candidate"),
        ({"strategy": "single"}, [3, 4], "deploy.versions", "exactly one"),
        ({"strategy": "ab"}, [3], "deploy.versions", "two or more"),
        (
            {"strategy": "ab", "ab": {"split": [50, 50]}},
            [1, 2, 3],
            "deploy.ab.split",
            "one percentage per version",
        ),
        (
            {"strategy": "bandit", "bandit": {"min_share": 0.4}},
            [1, 2, 3],
            "deploy.bandit.min_share",
            "at most 1 / arms",
        ),
        ({"strategy": "shadow"}, [3], "deploy.versions", "one or more shadows"),
    ],
)
def test_versions_that_do_not_fit_the_strategy(data, versions, field, words) -> None:
    with pytest.raises(ConfigError) as caught:
        initial_state(spec(**data), versions=versions, now=0.0, salt="s")
    assert caught.value.field == field
    assert words in str(caught.value)


def test_unknown_versions_are_named_with_the_known_ones() -> None:
    state = initial_state(spec(strategy="canary"), versions=[3, 9], now=0.0, salt="s")
    check_versions(state, [1, 2, 3, 9])
    with pytest.raises(ConfigError, match=r"^Unknown version 9 of churn; known: 1, 2, 3\.$"):
        check_versions(state, {1, 2, 3})


def test_a_model_is_required() -> None:
    with pytest.raises(ConfigError, match="'model' setting of deploy"):
        initial_state(DeploySpec(), versions=[1], now=0.0)
