"""Layers import downward only (DESIGN.md): checked on the source, not by convention."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "keel"

# Each layer and the keel modules it may import (besides itself and keel.errors).
ALLOWED = {
    "store": set(),
    "tracking": {"store"},
    "testing": {"store", "tracking"},
    "config": {"features", "train", "evaluate", "serving", "rollout", "monitoring"},
    "workspace": {
        "config",
        "store",
        "tracking",
        "_template",
        "_workspace_data",
        "_workspace_features",
        "_workspace_train",
        "_workspace_evaluate",
        "_workspace_models",
        "_workspace_serving",
        "_workspace_rollout",
        "_workspace_monitoring",
    },
    "_workspace_data": {"config", "store", "data"},
    "_workspace_features": {"config", "store", "data", "features", "tracking"},
    "_workspace_train": {
        "config",
        "store",
        "data",
        "features",
        "tracking",
        "train",
        "_workspace_train_run",
        "_workspace_features",
    },
    "_workspace_evaluate": {
        "_workspace_train",
        "config",
        "store",
        "data",
        "evaluate",
        "tracking",
        "train",
        "features",
    },
    "_workspace_train_run": {
        "evaluate",
        "_workspace_train",
        "data",
        "features",
        "store",
        "tracking",
        "train",
        "workspace",
    },
    "demo": {
        "workspace",
        "store",
        "tracking",
        "models",
        "_workspace_train",
        "_workspace_evaluate",
    },
    "data": {"store", "tracking"},
    "features": {"store", "tracking", "data"},
    "train": {"store", "tracking", "data", "features"},
    "evaluate": {"store", "tracking", "data", "features", "train"},
    "models": {"store", "tracking", "data", "features", "train", "evaluate"},
    # Serving never trains: it reads packages (models) and the signature (data).
    "serving": {"store", "tracking", "data", "features", "evaluate", "models"},
    # The serving façade: packages from the registry (models), servers and tokens (serving).
    "_workspace_serving": {"config", "store", "models", "serving", "rollout"},
    # Drift, performance and alerts over what serving logged; never rollout or pipeline.
    "monitoring": {"store", "tracking", "data", "features", "evaluate", "models", "serving"},
    "_workspace_monitoring": {"config", "store", "data", "models", "serving", "monitoring"},
    # Statistics only: experiments know nothing of models or servers.
    "experiments": set(),
    # Deployments route between served versions (serving's Router seam) by evidence.
    "rollout": {"store", "data", "models", "serving", "experiments"},
    "_workspace_rollout": {"config", "store", "models", "serving", "rollout", "experiments"},
    "_workspace_models": {
        "config",
        "store",
        "data",
        "features",
        "tracking",
        "train",
        "evaluate",
        "models",
        "_workspace_train",
    },
}


def _keel_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "keel" and len(parts) > 1:
                found.add(parts[1])
    return found


def _files(layer: str) -> list[Path]:
    folder = SRC / layer
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [SRC / f"{layer}.py"]


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_below(layer: str) -> None:
    for path in _files(layer):
        bad = _keel_imports(path) - ALLOWED[layer] - {layer, "errors"}
        assert not bad, f"{path.relative_to(SRC)} imports keel.{', keel.'.join(sorted(bad))}"
