"""The examples in docs/ and in docstrings run, and print what the docs say."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

DOCS = sorted((Path(__file__).parents[1] / "docs").glob("*.md"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _keel_cli(*args: str, quiet: bool = False) -> str | None:
    """Run the CLI in process: print stdout, then stderr and a non-zero exit code."""
    from typer.testing import CliRunner

    from keel.cli import app

    result = CliRunner().invoke(app, list(args))
    if quiet:
        return result.stdout
    print((result.stdout + result.stderr).rstrip())
    if result.exit_code:
        print(f"exit code {result.exit_code}")
    return None


@pytest.mark.parametrize("page", DOCS, ids=[p.name for p in DOCS])
def test_docs_examples(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KEEL_STORE_URL", raising=False)
    monkeypatch.delenv("KEEL_WORKSPACE", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=FLAGS,
        verbose=False,
        globs={"keel": _keel_cli},
    )
    assert result.failed == 0


@pytest.mark.parametrize(
    "module",
    [
        "keel",
        "keel.config",
        "keel.workspace",
        "keel.store._filter",
        "keel.store._json",
        "keel.testing",
        "keel.data",
        "keel.data._sources",
        "keel.data._schema_model",
        "keel.features",
        "keel.features._pipeline",
        "keel.features._persist",
        "keel.features._spec",
        "keel.features._prepare",
        "keel.features._task",
    ],
)
def test_docstring_examples(module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(importlib.import_module(module), optionflags=FLAGS)
    assert result.failed == 0


def _modules_with_examples(package: str) -> list[str]:
    folder = Path(__file__).parents[1] / "src" / Path(*package.split("."))
    return [
        package if path.stem == "__init__" else f"{package}.{path.stem}"
        for path in sorted(folder.glob("*.py"))
        if ">>>" in path.read_text()
    ]


@pytest.mark.parametrize(
    "module",
    [
        module
        for package in (
            "keel.models",
            "keel.serving",
            "keel.rollout",
            "keel.experiments",
            "keel.monitoring",
        )
        for module in _modules_with_examples(package)
    ],
)
def test_layer_docstring_examples(
    module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(importlib.import_module(module), optionflags=FLAGS)
    assert result.attempted > 0 and result.failed == 0
