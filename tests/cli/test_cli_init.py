"""keel init."""

from __future__ import annotations


def test_init_creates_the_workspace(cli, tmp_path):
    target = tmp_path / "new"
    result = cli("init", target, "--project", "churn")
    assert result.exit_code == 0, result.output
    assert "churn" in result.stdout
    assert str(target / "keel.yaml") in result.stdout
    assert 'project: "churn"' in (target / "keel.yaml").read_text()
    assert (target / ".keel" / "keel.db").is_file()


def test_init_defaults_to_the_workspace_option_and_folder_name(cli, tmp_path):
    result = cli("-w", tmp_path / "my proj", "init")
    assert result.exit_code == 0, result.output
    assert 'project: "my-proj"' in (tmp_path / "my proj" / "keel.yaml").read_text()
    listed = cli("-w", tmp_path / "my proj", "runs", "list")
    assert listed.exit_code == 0
    assert "No runs" in listed.stdout


def test_init_refuses_an_existing_workspace(cli, tmp_path):
    assert cli("init", tmp_path).exit_code == 0
    before = (tmp_path / "keel.yaml").read_text()
    result = cli("init", tmp_path, "--project", "other")
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert (tmp_path / "keel.yaml").read_text() == before


def test_init_refuses_a_bad_project_name(cli, tmp_path):
    result = cli("init", tmp_path, "--project", "no spaces allowed")
    assert result.exit_code == 1
    assert "project" in result.stderr
    assert "Traceback" not in result.output


def test_init_with_a_bad_project_name_leaves_nothing_behind(cli, tmp_path):
    cli("init", tmp_path, "--project", "no spaces allowed")
    assert not (tmp_path / "keel.yaml").exists()
    assert cli("init", tmp_path, "--project", "fine").exit_code == 0


def test_a_name_yaml_would_misread_stays_a_string(cli, tmp_path):
    assert cli("init", tmp_path, "--project", "1.5").exit_code == 0
    assert cli("-w", tmp_path, "runs", "list").exit_code == 0
