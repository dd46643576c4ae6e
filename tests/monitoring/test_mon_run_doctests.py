"""keel.yaml's ``monitor:`` section (its docstring examples run in tests/test_docs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_monitor_section_of_keel_yaml_loads_and_names_bad_keys(tmp_path: Path) -> None:
    from keel.config import load_config
    from keel.errors import ConfigError

    path = tmp_path / "keel.yaml"
    path.write_text(
        "project: p\nmonitor:\n  window: 5000\n  reference: previous\n"
        "  alerts:\n    - {when: 'drift.share > 0.3', send: email, to: [a@b.c]}\n"
    )
    monitor = load_config(path).monitor
    assert monitor.window_rows == 5000 and monitor.alerts[0].send == "email"
    path.write_text("project: p\nmonitor:\n  windw: 1h\n")
    with pytest.raises(ConfigError, match=r"unknown key 'monitor\.windw'"):
        load_config(path)
