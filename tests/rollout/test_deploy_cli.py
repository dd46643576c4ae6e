"""``keel deploy``, ``keel rollback``, ``keel deployments …`` and ``keel experiments
status|report`` in process, on a real workspace with registered versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _deploy_support import churn_workspace, feed, write_packages
from typer.testing import CliRunner, Result

from keel.cli import app


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_packages(tmp_path_factory.mktemp("deploy-cli-packages"))


@pytest.fixture
def root(tmp_path: Path, packages: list[Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    monkeypatch.delenv("KEEL_WORKSPACE", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    churn_workspace(tmp_path / "ws", packages).close()
    return tmp_path / "ws"


def run(root: Path, *args: object) -> Result:
    return CliRunner().invoke(app, ["-w", str(root), *map(str, args)])


def as_json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_deploy_switch_and_rollback_leave_an_audit_trail(root: Path) -> None:
    first = run(root, "deploy", "api", "--model", "churn/1", "--why", "first")
    assert first.exit_code == 0, first.output
    assert "api (single of churn, active): 1: 100 %" in first.stdout
    switched = as_json(run(root, "deploy", "api", "-m", "churn/2", "-s", "blue_green", "--json"))
    assert switched["arms"] == [[2, 100.0]] and switched["stable"] == 1
    back = run(root, "rollback", "api", "--why", "errors up")
    assert back.exit_code == 0 and "Rolled back api" in back.stdout and "1: 100 %" in back.stdout
    events = as_json(run(root, "deployments", "history", "api", "--json"))
    assert [(e["kind"], e["actor"], e["reason"]) for e in events] == [
        ("created", "cli", "first"),
        ("switch", "cli", None),
        ("rollback", "cli", "errors up"),
    ]
    table = run(root, "deployments", "history", "api")
    assert "switch" in table.stdout and "errors up" in table.stdout
    listed = as_json(run(root, "deployments", "list", "--json"))
    assert [(s["name"], s["status"], s["revision"]) for s in listed] == [("api", "rolled_back", 3)]
    assert "rolled_back" in run(root, "deployments", "list").stdout


def test_a_canary_advances_with_its_evidence_shown(root: Path) -> None:
    import keel

    created = run(root, "deploy", "api", "-m", "churn/1", "-m", "churn/2", "-s", "canary",
                  "--steps", "20,100", "--alias", "champion")  # fmt: skip
    assert created.exit_code == 0 and "1: 80 %, 2: 20 % (candidate)" in created.stdout
    with keel.Workspace.open(root) as ws:
        ws.registry.set_alias("churn", "champion", 1)
        state = ws.deploy("api", versions=[1, 2], strategy="canary", settings={
            "canary": {"steps": [20, 100], "min_requests": 100, "min_seconds": 0}})  # fmt: skip
        feed(ws, "api", {1: (500, 0), 2: (150, 0)})
    assert state.settings["canary"]["guardrails"] == {"error_rate": "<= 0.01"}
    held = as_json(run(root, "deployments", "advance", "api", "--json"))
    assert held["action"] == "advance" and held["state"]["arms"] == [[1, 0.0], [2, 100.0]]
    shown = as_json(run(root, "deployments", "show", "api", "--json"))
    # Zero increments are never written: a counter missing from the store is zero.
    assert shown["counts"] == {"1": {"requests": 500.0}, "2": {"requests": 150.0}}
    assert shown["evidence"]["guardrails"][0]["name"] == "error_rate"
    text = run(root, "deployments", "show", "api")
    assert "Counters of epoch 2" in text.stdout and "holds" in text.stdout
    ended = run(root, "deployments", "end", "api", "--why", "enough")
    assert ended.exit_code == 0 and "ended" in ended.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deploy", "api", "-m", "churn/1", "-m", "churn/2", "-s", "ab", "--split", "50,40"),
         "deploy.ab"),
        (("deploy", "api", "-m", "churn/9"), "no version 9"),
        (("deploy", "api", "-m", "churn/1", "-s", "sideways"), "strategy"),
        (("deploy", "api", "-m", "churn/1", "-m", "churn/2", "-s", "canary", "--steps", "50,40"),
         "steps"),
        (("deploy", "api", "-m", "churn/1", "-s", "shadow", "--fraction", "1.5"), "fraction"),
        (("deployments", "show", "nope"), "No deployment named 'nope'"),
        (("rollback", "nope"), "No deployment named 'nope'"),
        (("experiments", "status", "nope"), "No deployment named 'nope'"),
    ],
)  # fmt: skip
def test_bad_input_is_a_message_and_exit_code_1(
    root: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(root, *args)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


def test_an_unparsable_option_is_a_usage_error(root: Path) -> None:
    result = run(root, "deploy", "api", "-m", "churn/1", "-s", "ab", "--split", "50,x")
    assert result.exit_code == 2, result.output
    assert "numbers separated by commas" in result.output and "Traceback" not in result.output


def test_rolling_back_with_nothing_to_go_back_to_is_refused(root: Path) -> None:
    assert run(root, "deploy", "api", "-m", "churn/1").exit_code == 0
    result = run(root, "rollback", "api")
    assert result.exit_code == 1 and "nothing to roll back to" in result.output


def test_experiment_status_and_report_of_an_ab_deployment(root: Path, tmp_path: Path) -> None:
    import keel

    assert run(root, "deploy", "exp", "-m", "churn/1", "-m", "churn/2", "-s", "ab").exit_code == 0
    with keel.Workspace.open(root) as ws:
        feed(ws, "exp", {1: (5000, 50), 2: (5000, 110)})
    status = as_json(run(root, "experiments", "status", "exp", "--json"))
    assert status["verdict"] == "significant" and status["srm"]["verdict"] == "valid"
    [metric] = status["metrics"]
    assert metric["metric"] == "error_rate" and metric["arm"] == 2
    assert metric["difference"] == pytest.approx(0.012)
    text = run(root, "experiments", "status", "exp")
    assert "significant" in text.stdout and "error_rate" in text.stdout
    out = tmp_path / "report.html"
    written = run(root, "experiments", "report", "exp", "--html", out)
    assert written.exit_code == 0, written.output
    page = out.read_text()
    assert page.startswith("<!") and ("<svg" in page or "data:image" in page)


def test_show_of_a_shadow_deployment_includes_the_shadow_comparison(root: Path) -> None:
    import keel

    created = run(root, "deploy", "sh", "-m", "churn/1", "-m", "churn/2", "-s", "shadow",
                  "--fraction", "0.5")  # fmt: skip
    assert created.exit_code == 0 and "shadow 2 (50% copied)" in created.stdout
    with keel.Workspace.open(root) as ws:
        epoch = ws.deployment("sh").epoch
        ws.add_deployment_counts("sh", epoch, {(1, "requests"): 200, (2, "shadow_n"): 100,
                                               (2, "shadow_agree"): 90})  # fmt: skip
    shown = as_json(run(root, "deployments", "show", "sh", "--json"))
    [row] = shown["shadow"]["shadows"]
    assert (row["version"], row["copies"], row["agreement"]) == (2, 100.0, 0.9)
    assert "Shadow comparison" in run(root, "deployments", "show", "sh").stdout
