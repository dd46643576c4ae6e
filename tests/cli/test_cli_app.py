"""The root command: help, version, the workspace option, and how errors are reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from keel import __version__

KEEL = Path(sys.executable).parent / "keel"


def test_help_lists_every_noun(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("init", "runs", "experiments", "gc", "demo", "data"):
        assert command in result.stdout


def test_no_arguments_shows_help(cli):
    result = cli()
    assert "Usage" in result.output
    assert "runs" in result.output


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"keel {__version__}"


@pytest.mark.slow
def test_version_from_the_console_script():
    done = subprocess.run([KEEL, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"keel {__version__}"


def test_importing_the_cli_does_not_import_the_library():
    code = (
        "import sys, keel.cli; "
        "print(sorted(m for m in ('keel.workspace', 'sqlalchemy', 'keel.store') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_unknown_command_is_a_usage_error(cli):
    result = cli("frobnicate")
    assert result.exit_code == 2


def test_missing_keel_yaml(cli, tmp_path):
    result = cli("-w", tmp_path, "runs", "list")
    assert result.exit_code == 1
    assert "No keel.yaml" in result.stderr
    assert "keel init" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_workspace_is_searched_upward_and_read_from_the_environment(cli, populated, monkeypatch):
    below = populated.root / "notebooks" / "deep"
    below.mkdir(parents=True)
    assert cli("-w", below, "runs", "list").exit_code == 0
    monkeypatch.setenv("KEEL_WORKSPACE", str(below))
    result = cli("runs", "list")
    assert result.exit_code == 0, result.output
    assert "alpha" in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("project: [unclosed\n", "not valid YAML"),
        ("project: demo\nstore: {bogus: 1}\n", "store.bogus"),
        ("- just\n- a list\n", "must be a mapping"),
    ],
)
def test_broken_keel_yaml(cli, tmp_path, text, expected):
    (tmp_path / "keel.yaml").write_text(text)
    result = cli("-w", tmp_path, "experiments", "list")
    assert result.exit_code == 1
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(cli, populated):
    plain = cli("-w", populated.root, "runs", "show", "0" * 32)
    assert plain.exit_code == 1
    assert "Traceback" not in plain.output
    debug = cli("-w", populated.root, "--debug", "runs", "show", "0" * 32)
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr
    assert "RunNotFoundError" in debug.stderr
    assert "No run with id" in debug.stderr


def test_an_os_error_is_a_message_not_a_traceback(cli, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli("init", blocker / "ws")
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "a-file" in result.stderr
    assert "Traceback" not in result.output
