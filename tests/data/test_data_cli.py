"""keel data schema | validate | profile | snapshot | snapshots | diff, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

import keel
from keel.cli import app


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace whose keel.yaml points at a seeded churn-like CSV."""
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(7)
    n = 400
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i:04d}" for i in range(n)],
            "age": rng.integers(18, 80, n),
            "spend": rng.gamma(2.0, 30.0, n).round(2),
            "plan": rng.choice(["free", "pro", "team"], n),
            "churned": rng.integers(0, 2, n),
        }
    )
    frame.to_csv("train.csv", index=False)
    keel.Workspace.init(tmp_path, project="churn").close()
    with open("keel.yaml", "a") as handle:
        handle.write("\ndata:\n  source: train.csv\n  target: churned\n  entity: customer_id\n")
    return tmp_path


def _keel(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_schema_then_validate_clean_and_broken_data(project: Path) -> None:
    made = _keel("data", "schema")
    assert made.exit_code == 0, made.output
    schema = keel.data.Schema.load(project / "schema.json")
    assert schema.column("plan").type == "categorical"
    assert schema.column("customer_id").role == "entity"
    assert _keel("data", "validate").exit_code == 0

    broken = pd.read_csv("train.csv").drop(columns=["spend"])
    broken.loc[5, "age"] = None
    broken.to_csv("new.csv", index=False)
    result = _keel("data", "validate", "new.csv", "--json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    kinds = {(v["column"], v["kind"]) for v in found["violations"]}
    assert ("age", "null") in kinds and ("spend", "missing_column") in kinds
    assert any(c["level"] == "breaking" and c["column"] == "spend" for c in found["schema_changes"])
    printed = _keel("data", "validate", "new.csv")
    assert "breaking" in printed.stdout and "Traceback" not in printed.output


def test_validate_without_a_schema_says_how_to_make_one(project: Path) -> None:
    result = _keel("data", "validate")
    assert result.exit_code == 1
    assert "keel data schema" in result.stderr


def test_schema_keeps_a_pinned_edit(project: Path) -> None:
    _keel("data", "schema")
    path = project / "schema.json"
    doc = json.loads(path.read_text())
    for column in doc["columns"]:
        if column["name"] == "age":
            column.update(type="numeric", pinned=True, allowed_min=18, allowed_max=99)
    path.write_text(json.dumps(doc))
    assert _keel("data", "schema").exit_code == 0
    age = keel.data.Schema.load(path).column("age")
    assert (age.type, age.pinned, age.allowed_max) == ("numeric", True, 99)


def test_a_broken_schema_edit_names_the_column(project: Path) -> None:
    _keel("data", "schema")
    path = project / "schema.json"
    path.write_text(path.read_text().replace('"type": "categorical"', '"type": "category"'))
    result = _keel("data", "validate")
    assert result.exit_code == 1
    assert "column 'plan', field 'type'" in result.stderr


def test_profile_writes_an_html_report(project: Path) -> None:
    frame = pd.read_csv("train.csv")
    frame["leak"] = frame["churned"]
    frame.to_csv("leaky.csv", index=False)
    result = _keel("data", "profile", "leaky.csv", "--html", "report.html")
    assert result.exit_code == 0, result.output
    assert "target_leakage" in result.stdout and "leak" in result.stdout
    html = (project / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 6


def test_snapshot_is_stable_and_diff_finds_changes(project: Path) -> None:
    first = json.loads(_keel("data", "snapshot", "--json").stdout)
    again = json.loads(_keel("data", "snapshot", "--json").stdout)
    assert first["snapshot_id"] == again["snapshot_id"]
    listed = json.loads(_keel("data", "snapshots", "--json").stdout)["snapshots"]
    assert [s["snapshot_id"] for s in listed] == [first["snapshot_id"]]

    changed = pd.read_csv("train.csv")
    changed.loc[0, "spend"] = 99999.0
    changed = pd.concat([changed, changed.tail(1).assign(customer_id="c9999")])
    changed.to_csv("changed.csv", index=False)
    prefix = first["snapshot_id"][:10]
    result = _keel("data", "diff", prefix, "changed.csv", "--key", "customer_id", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert (rows["added"], rows["removed"], rows["changed"]) == (1, 0, 1)


def test_runs_record_their_training_snapshot(project: Path) -> None:
    with keel.Workspace.open(project) as ws:
        snapshot = ws.snapshot_data()
        with ws.start_run() as run:
            run.log_input(snapshot)
        assert ws.run_inputs(run.id) == {"train": [snapshot.snapshot_id]}
        frame, schema = ws.load_snapshot(snapshot.snapshot_id[:8])
    shown = json.loads(_keel("runs", "show", run.id, "--json").stdout)
    assert shown["data_inputs"] == {"train": [snapshot.snapshot_id]}
    assert len(frame) == 400 and "churned" in schema.names
