"""keel data show: a file named on the command line, or keel.yaml's data.source."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner, Result

import keel
from keel.cli import data
from keel.cli._app import _KeelGroup, _main

Invoke = Callable[..., Result]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    monkeypatch.delenv("KEEL_WORKSPACE", raising=False)
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that rich neither wraps nor truncates


@pytest.fixture
def cli() -> Invoke:
    """``cli("data", "show", …)``: a root app like keel's (its options, its error handling)
    with only ``data`` mounted, so this test does not depend on keel.cli._app's list."""
    root = typer.Typer(cls=_KeelGroup, no_args_is_help=True, add_completion=False)
    root.callback()(_main)
    root.add_typer(data.app, name="data")
    runner = CliRunner()

    def invoke(*args: object) -> Result:
        return runner.invoke(root, [str(arg) for arg in args])

    return invoke


@pytest.fixture
def customers(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "spend": [10.5, None, 3.25, 0.0],
            "city": ["Oslo", "Zürich", None, "[bold]Lima[/]"],
        }
    ).to_csv(path, index=False)
    return path


def workspace_with(root: Path, data_section: str) -> Path:
    keel.Workspace.init(root, project="data-cli").close()
    with (root / "keel.yaml").open("a", encoding="utf-8") as f:
        f.write(data_section)
    return root


def test_data_without_a_command_shows_help(cli):
    result = cli("data")
    assert "Read, check, profile and snapshot data." in result.output
    assert "show" in result.output


def test_show_a_file(cli, customers):
    result = cli("data", "show", customers)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert str(customers) in out
    assert "4 rows, 3 columns" in out
    for expected in ("id", "int64", "spend", "float64", "1 (25.0%)", "city", "str"):
        assert expected in out
    assert "First 4 rows" in out
    assert "Zürich" in out and "10.5" in out
    assert "[bold]Lima[/]" in out  # a value is printed as it is, never as rich markup


def test_show_json(cli, customers):
    result = cli("data", "show", customers, "--json", "--rows", "2")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["source"] == str(customers)
    assert shown["shape"] == [4, 3]
    assert shown["columns"] == [
        {"name": "id", "dtype": "int64", "nulls": 0},
        {"name": "spend", "dtype": "float64", "nulls": 1},
        {"name": "city", "dtype": "str", "nulls": 1},
    ]
    assert shown["sample"] == [
        {"id": 1, "spend": 10.5, "city": "Oslo"},
        {"id": 2, "spend": None, "city": "Zürich"},
    ]
    assert shown["dropped_rows"] == 0 and shown["dropped_examples"] == []


def test_rows_zero_prints_no_sample(cli, customers):
    result = cli("data", "show", customers, "-n", "0")
    assert result.exit_code == 0
    assert "First" not in result.stdout
    assert cli("data", "show", customers, "--rows", "-1").exit_code != 0


def test_source_defaults_to_keel_yaml(cli, tmp_path, customers, monkeypatch):
    root = workspace_with(tmp_path / "ws", "\ndata:\n  source: data/customers.csv\n")
    (root / "data").mkdir()
    customers.rename(root / "data" / "customers.csv")
    monkeypatch.chdir(tmp_path)  # the path is relative to the workspace, not to here
    result = cli("-w", root, "data", "show", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["source"] == str(root / "data" / "customers.csv")
    assert shown["shape"] == [4, 3]


def test_sql_source_from_keel_yaml(cli, tmp_path):
    import sqlalchemy as sa

    root = workspace_with(
        tmp_path / "ws",
        "\ndata:\n  source:\n    sql:\n      url: sqlite:///shop.db\n"
        "      query: SELECT id, name FROM customers ORDER BY id\n",
    )
    engine = sa.create_engine(f"sqlite:///{root / 'shop.db'}")
    with engine.begin() as connection:
        pd.DataFrame({"id": [2, 1], "name": ["b", "a"]}).to_sql("customers", connection)
    engine.dispose()
    result = cli("-w", root, "data", "show", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["source"] == f"SQL: sqlite:///{root / 'shop.db'}"
    assert shown["sample"] == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


def test_no_source_and_no_data_section(cli, tmp_path):
    root = workspace_with(tmp_path / "ws", "")
    result = cli("-w", root, "data", "show")
    assert result.exit_code == 1
    assert "No SOURCE given" in result.stderr
    assert "has no data section" in result.stderr
    assert "keel data show data/train.csv" in result.stderr
    assert "Traceback" not in result.output


def test_no_source_and_no_workspace(cli, tmp_path):
    result = cli("-w", tmp_path, "data", "show")
    assert result.exit_code == 1
    assert "No keel.yaml" in result.stderr
    assert "Or name the data instead: keel data show data/train.csv" in result.stderr


def test_malformed_row_is_an_error_message(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    result = cli("data", "show", path)
    assert result.exit_code == 1
    assert "line 3: '3,4,5' has 3 fields, expected 2" in result.stderr
    assert "--skip-bad-rows" in result.stderr
    assert "Traceback" not in result.output


def test_skip_bad_rows_reports_them(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,4,5\n6,7\n")
    result = cli("data", "show", path, "--skip-bad-rows")
    assert result.exit_code == 0, result.output
    assert "2 rows, 2 columns" in result.stdout
    assert "Dropped 1 malformed row:" in result.stdout
    assert "line 3: '3,4,5' has 3 fields, expected 2" in result.stdout
    shown = json.loads(cli("data", "show", path, "--skip-bad-rows", "--json").stdout)
    assert shown["dropped_rows"] == 1
    assert shown["dropped_examples"] == ["line 3: '3,4,5' has 3 fields, expected 2"]


def test_encoding_option(cli, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name\nJosé\n".encode("cp1252"))
    failed = cli("data", "show", path)
    assert failed.exit_code == 1
    assert "line 2, column 4" in failed.stderr and "--encoding cp1252" in failed.stderr
    result = cli("data", "show", path, "--encoding", "cp1252", "--json")
    assert json.loads(result.stdout)["sample"] == [{"name": "José"}]


def test_wide_frame_sample_shows_first_columns(cli, tmp_path):
    path = tmp_path / "wide.parquet"
    pd.DataFrame({f"c{i:02d}": [i] for i in range(30)}).to_parquet(path)
    result = cli("data", "show", path)
    assert result.exit_code == 0, result.output
    assert "first 12 of 30 columns" in result.stdout
    assert "c29" in result.stdout  # in the columns table


def test_dtype_with_brackets_is_printed_not_read_as_markup(cli, tmp_path):
    path = tmp_path / "events.parquet"
    pd.DataFrame({"at": pd.to_datetime(["2024-05-01 12:00"]).as_unit("us")}).to_parquet(path)
    result = cli("data", "show", path)
    assert "datetime64[us]" in result.stdout
    assert "2024-05-01T12:00:00" in result.stdout


def test_missing_file(cli, tmp_path):
    result = cli("data", "show", tmp_path / "nope.csv")
    assert result.exit_code == 1
    assert "nope.csv does not exist" in result.stderr
