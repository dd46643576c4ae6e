"""keel runs list / show / compare / history."""

from __future__ import annotations

import json
import time

import pytest


def ws_args(populated, *args):
    return ("-w", populated.root, "runs", *args)


# -- list --------------------------------------------------------------------------------


def test_list_shows_every_run_newest_first(cli, populated):
    result = cli(*ws_args(populated, "list"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("gamma") < out.index("beta") < out.index("alpha")
    assert populated.alpha[:8] in out
    assert populated.alpha not in out  # ids are shortened in the table
    assert "FINISHED" in out
    assert "params.lr" in out and "metrics.auc" in out  # keys every run has
    assert "params.depth" not in out  # gamma has no depth


def test_list_json_has_full_records_and_nan_as_strings(cli, populated):
    result = cli(*ws_args(populated, "list", "--json"))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["next_page_token"] is None
    by_name = {run["name"]: run for run in data["runs"]}
    assert set(by_name) == {"alpha", "beta", "gamma"}
    beta = by_name["beta"]
    assert beta["run_id"] == populated.beta
    assert beta["metrics"] == {"auc": 0.9, "big": "Infinity", "loss": 0.5, "odd": "NaN"}
    assert beta["params"] == {"depth": "3", "lr": "0.01"}
    assert beta["status"] == "FINISHED"
    assert beta["duration"] >= 0
    assert by_name["alpha"]["tags"] == {"team": "vision"}


def test_list_filter_order_and_experiment(cli, populated):
    result = cli(
        *ws_args(populated, "list", "-f", "params.lr = '0.1'", "-o", "metrics.auc desc", "--json")
    )
    assert [r["name"] for r in json.loads(result.stdout)["runs"]] == ["alpha", "gamma"]
    result = cli(*ws_args(populated, "list", "-e", "exp-b", "--json"))
    assert [r["name"] for r in json.loads(result.stdout)["runs"]] == ["gamma"]
    result = cli(*ws_args(populated, "list", "-e", "exp-a", "-e", "exp-b", "--json"))
    assert len(json.loads(result.stdout)["runs"]) == 3
    result = cli(*ws_args(populated, "list", "-f", "metrics.auc > 5"))
    assert result.exit_code == 0
    assert "No runs match" in result.stdout


def test_list_table_names_a_single_experiment_in_the_title(cli, populated):
    result = cli(*ws_args(populated, "list", "-e", "exp-a"))
    assert "Runs of exp-a" in result.stdout
    assert "params.lr" in result.stdout


def test_list_pages_through_runs(cli, populated):
    first = json.loads(cli(*ws_args(populated, "list", "--max-results", "2", "--json")).stdout)
    token = first["next_page_token"]
    assert len(first["runs"]) == 2 and token
    second = cli(*ws_args(populated, "list", "--max-results", "2", "--page-token", token, "--json"))
    rest = json.loads(second.stdout)
    assert [r["name"] for r in rest["runs"]] == ["alpha"]
    assert rest["next_page_token"] is None
    table = cli(*ws_args(populated, "list", "--max-results", "2"))
    assert f"--page-token {token}" in table.stdout


def test_list_bad_filter_points_at_the_problem(cli, populated):
    result = cli(*ws_args(populated, "list", "--filter", "metrics.auc >> 3"))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Error: ")
    assert lines[1].strip() == "metrics.auc >> 3"
    # the caret sits under the offending character
    assert lines[2].index("^") - lines[2].index(" ") == lines[1].index(">>") + 1
    assert "Traceback" not in result.output


def test_list_bad_order_by(cli, populated):
    result = cli(*ws_args(populated, "list", "-o", "metrics.auc sideways"))
    assert result.exit_code == 1
    assert "^" in result.stderr


def test_list_bad_page_token(cli, populated):
    result = cli(*ws_args(populated, "list", "--page-token", "not-a-token"))
    assert result.exit_code == 1
    assert "page_token" in result.stderr
    first = json.loads(cli(*ws_args(populated, "list", "--max-results", "1", "--json")).stdout)
    other = cli(
        *ws_args(
            populated, "list", "-f", "metrics.auc > 0", "--page-token", first["next_page_token"]
        )
    )
    assert other.exit_code == 1
    assert "different search" in other.stderr


@pytest.mark.parametrize(("value", "code"), [("0", 1), ("10001", 1), ("many", 2)])
def test_list_bad_max_results(cli, populated, value, code):
    result = cli(*ws_args(populated, "list", "--max-results", value))
    assert result.exit_code == code
    assert "max" in result.stderr.lower()


def test_list_unknown_experiment(cli, populated):
    result = cli(*ws_args(populated, "list", "-e", "nope"))
    assert result.exit_code == 1
    assert "No experiment named 'nope'" in result.stderr


def test_list_deleted_runs_only_on_request(cli, populated):
    assert cli(*ws_args(populated, "delete", populated.beta)).exit_code == 0
    assert "beta" not in cli(*ws_args(populated, "list")).stdout
    result = cli(*ws_args(populated, "list", "--deleted"))
    assert "beta" in result.stdout
    assert "(deleted)" in result.stdout


# -- show --------------------------------------------------------------------------------


def test_show_prints_attributes_params_metrics_and_artifacts(cli, populated):
    result = cli(*ws_args(populated, "show", populated.alpha))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in (populated.alpha, "alpha", "exp-a", "FINISHED", "lr", "0.1", "team", "vision"):
        assert text in out
    assert "loss" in out and "0.2" in out  # latest loss; 5 points
    assert "model.txt" in out and "33 B" in out
    assert populated.blob(populated.alpha).name[:10] in out  # digest shortened


def test_show_json_counts_metric_points(cli, populated):
    result = cli(*ws_args(populated, "show", populated.beta, "--json"))
    data = json.loads(result.stdout)
    assert data["run_id"] == populated.beta
    assert data["metric_points"] == {"auc": 1, "big": 1, "loss": 1, "odd": 1}
    assert data["metrics"]["odd"] == "NaN"
    assert [a["path"] for a in data["artifacts"]] == ["model.txt"]
    assert data["artifacts"][0]["size"] == len("beta's own model\n")
    alpha = json.loads(cli(*ws_args(populated, "show", populated.alpha, "--json")).stdout)
    assert alpha["metric_points"]["loss"] == 5


def test_show_accepts_an_id_prefix(cli, populated):
    result = cli(*ws_args(populated, "show", populated.gamma[:8], "--json"))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["name"] == "gamma"


def test_show_ambiguous_prefix(cli, populated):
    import keel

    with keel.Workspace.open(populated.root) as ws:
        for suffix in ("1", "2"):
            ws.store.create_run(
                {
                    "run_id": "abcd" + suffix * 28,
                    "experiment_id": 1,
                    "name": f"twin{suffix}",
                    "status": "FINISHED",
                    "start_time": time.time(),
                }
            )
    result = cli(*ws_args(populated, "show", "abcd"))
    assert result.exit_code == 1
    assert "matches several runs" in result.stderr
    assert cli(*ws_args(populated, "show", "abcd1")).exit_code == 0


@pytest.mark.parametrize("run_id", ["0" * 32, "ffff", "not-an-id"])
def test_show_unknown_run(cli, populated, run_id):
    result = cli(*ws_args(populated, "show", run_id))
    assert result.exit_code == 1
    assert "No run with id" in result.stderr
    assert result.stdout == ""


def test_show_failed_run_prints_its_error(cli, populated):
    import keel

    with (
        keel.Workspace.open(populated.root) as ws,
        pytest.raises(ZeroDivisionError),
        ws.start_run("broken") as run,
    ):
        1 / 0  # noqa: B018
    result = cli(*ws_args(populated, "show", run.id))
    assert "FAILED" in result.stdout
    assert "ZeroDivisionError" in result.stdout


# -- compare -----------------------------------------------------------------------------


def test_compare_marks_rows_that_differ(cli, populated):
    result = cli(*ws_args(populated, "compare", populated.alpha, populated.beta[:6]))
    assert result.exit_code == 0, result.output
    rows = {
        line.split()[1] if line.startswith("≠") else line.split()[0]: line
        for line in result.stdout.splitlines()
        if line.strip()
    }
    assert rows["params.lr"].startswith("≠")
    assert not rows["params.depth"].startswith("≠")
    assert rows["metrics.odd"].startswith("≠")  # NaN against missing
    assert "—" in rows["metrics.odd"]


def test_compare_json(cli, populated):
    result = cli(
        *ws_args(populated, "compare", populated.alpha, populated.beta, populated.gamma, "--json")
    )
    data = json.loads(result.stdout)
    assert data["runs"] == [populated.alpha, populated.beta, populated.gamma]
    rows = {row["key"]: row for row in data["rows"]}
    assert rows["params.lr"] == {
        "key": "params.lr",
        "values": ["0.1", "0.01", "0.1"],
        "differs": True,
    }
    assert rows["params.depth"]["values"] == ["3", "3", None]
    assert rows["metrics.big"]["values"] == [None, "Infinity", None]
    assert rows["status"]["differs"] is False


def test_compare_needs_two_known_runs(cli, populated):
    assert cli(*ws_args(populated, "compare", populated.alpha)).exit_code == 2
    result = cli(*ws_args(populated, "compare", populated.alpha, "0" * 32))
    assert result.exit_code == 1
    assert "No run with id" in result.stderr


# -- history -----------------------------------------------------------------------------


def test_history_reads_points_by_step(cli, populated):
    result = cli(*ws_args(populated, "history", populated.alpha, "loss", "--json"))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["run_id"] == populated.alpha and data["key"] == "loss"
    assert [p["step"] for p in data["points"]] == [0, 1, 2, 3, 4]
    assert data["points"][0]["value"] == 1.0
    window = cli(
        *ws_args(
            populated,
            "history",
            populated.alpha,
            "loss",
            "--start-step",
            "1",
            "--end-step",
            "3",
            "--json",
        )
    )
    assert [p["step"] for p in json.loads(window.stdout)["points"]] == [1, 2, 3]


def test_history_table_and_limit(cli, populated):
    result = cli(*ws_args(populated, "history", populated.alpha[:8], "loss", "--max-results", "2"))
    assert result.exit_code == 0
    assert "0.8" in result.stdout and "0.6" not in result.stdout
    assert "--start-step 2" in result.stdout
    empty = cli(*ws_args(populated, "history", populated.alpha, "loss", "--start-step", "9"))
    assert "No points" in empty.stdout


def test_history_nan_and_unknown_key(cli, populated):
    data = json.loads(cli(*ws_args(populated, "history", populated.beta, "odd", "--json")).stdout)
    assert data["points"][0]["value"] == "NaN"
    result = cli(*ws_args(populated, "history", populated.beta, "nope"))
    assert result.exit_code == 1
    assert "no metric 'nope'" in result.stderr
    assert "auc" in result.stderr


def test_history_bad_max_results(cli, populated):
    result = cli(*ws_args(populated, "history", populated.alpha, "loss", "--max-results", "0"))
    assert result.exit_code == 1
    assert "max_results" in result.stderr
