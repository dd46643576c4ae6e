"""``keel drift``: files in, a table or stable JSON out, clear messages and exit 1 on bad
input; and the drift modules' docstring examples run."""

from __future__ import annotations

import doctest
import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from keel.cli import app


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(11)
    n = 3_000
    ref = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b"], size=n)})
    cur = pd.DataFrame({"x": rng.normal(1.0, size=n), "c": rng.choice(["a", "b"], size=n)})
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_json(tmp_path / "cur.jsonl", orient="records", lines=True)
    return tmp_path / "ref.csv", tmp_path / "cur.jsonl"


def _run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout + result.stderr


def test_mon_drift_cli_table_json_and_html(files: tuple[Path, Path], tmp_path: Path) -> None:
    ref, cur = files
    code, out = _run("drift", ref, cur)
    assert code == 0 and "DRIFT" in out and "1 of 2 columns drifted (50%)" in out
    code, out = _run("drift", ref, cur, "--json", "--html", tmp_path / "r.html")
    data = json.loads(out)
    assert code == 0 and data["schema_version"] == 1 and data["drifted"] == ["x"]
    assert (tmp_path / "r.html").read_text().count("<svg") == 1
    code, out = _run(
        "drift", ref, cur, "--json", "--method", "x=ks", "--threshold", "x=0.01", "--column", "x"
    )
    column = json.loads(out)["columns"]
    assert code == 0 and [(c["column"], c["method"], c["threshold"]) for c in column] == [
        ("x", "ks", 0.01)
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "nope.csv", "does not exist"),
        (lambda d: _write(d / "bad.parquet", b"not parquet"), "bad.parquet"),
        (lambda d: _frame(d / "nox.csv", pd.DataFrame({"c": ["a"]})), "no column 'x'"),
        (lambda d: _frame(d / "empty.csv", pd.DataFrame({"x": [], "c": []})), "is empty"),
    ],
    ids=["missing-file", "bad-file", "missing-column", "empty-table"],
)
def test_mon_drift_cli_bad_input_exits_1(
    files: tuple[Path, Path], tmp_path: Path, make, message
) -> None:  # type: ignore[no-untyped-def]
    code, out = _run("drift", files[0], make(tmp_path))
    assert code == 1 and message in out and "Traceback" not in out


def test_mon_drift_cli_bad_options(files: tuple[Path, Path]) -> None:
    code, out = _run("drift", *files, "--threshold", "x=high")
    assert code == 1 and "The --threshold option must be a number or NAME=NUMBER" in out
    code, out = _run("drift", *files, "--method", "nope")
    assert code == 1 and "'method' setting of monitor.drift must be 'auto' or one of" in out


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _frame(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


MODULES = [
    "keel.monitoring",
    "keel.monitoring._profile",
    "keel.monitoring._drift",
    "keel.monitoring._methods",
    "keel.monitoring._stats_numeric",
    "keel.monitoring._stats_categorical",
    "keel.monitoring._drift_html",
]


@pytest.mark.parametrize("module", MODULES)
def test_mon_drift_docstring_examples(module: str) -> None:
    from keel.monitoring._methods import unregister

    try:
        result = doctest.testmod(
            importlib.import_module(module),
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        )
    finally:
        unregister("mean_shift")
    assert result.attempted > 0 and result.failed == 0


def test_mon_drift_cli_reads_sql_sources(files: tuple[Path, Path], tmp_path: Path) -> None:
    import sqlite3

    ref, cur = files
    url = f"sqlite:///{tmp_path / 'logs.db'}"
    with sqlite3.connect(tmp_path / "logs.db") as db:
        pd.read_csv(ref).to_sql("reference", db, index=False)
        pd.read_json(cur, lines=True).to_sql("scored", db, index=False)
    code, out = _run(
        "drift", url, url, "--json",
        "--reference-query", "SELECT x, c FROM reference",
        "--current-query", "SELECT x, c FROM scored",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["drifted"] == ["x"] and data["n_current"] == 3_000
    code, out = _run(
        "drift", url, url, "--reference-query", "SELECT * FROM nope", "--current-query", "SELECT 1"
    )
    assert code == 1 and "nope" in out and "Traceback" not in out
