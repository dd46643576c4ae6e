"""The public surface changes only on purpose, and `import keel` stays light."""

from __future__ import annotations

import subprocess
import sys

import keel


def test_public_names_are_pinned() -> None:
    assert sorted(keel.__all__) == [
        "ActiveRun",
        "ArtifactCorruptedError",
        "ArtifactError",
        "ConfigError",
        "ExperimentNotFoundError",
        "FilterError",
        "KeelError",
        "ParamConflictError",
        "RunNotFoundError",
        "RunRecord",
        "StoreError",
        "StoreVersionError",
        "TrackingError",
        "Workspace",
        "__version__",
        "load_config",
    ]
    for name in keel.__all__:
        assert getattr(keel, name) is not None


def test_errors_form_one_tree() -> None:
    for name in keel.__all__:
        value = getattr(keel, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, keel.KeelError)


def test_opening_a_workspace_imports_nothing_heavy(workspace: keel.Workspace) -> None:
    # import keel + Workspace.open is budgeted at 0.3 s (docs/benchmarks.md); SQLAlchemy,
    # Alembic and fsspec each cost 0.1-0.3 s, so opening an embedded store must not load them.
    code = (
        "import sys, keel; keel.Workspace.open(sys.argv[1]);"
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'fsspec', 'typer', 'rich')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(workspace.root)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"
