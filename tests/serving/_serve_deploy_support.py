"""Shared helpers of the test_serve_deploy_* tests: a real workspace (SQLite store, real
registry) with the two "cancer" versions of conftest registered, and server replicas
built the way ``Workspace.serve`` builds them (``ws.serving_deployments``), each on a
real uvicorn server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

import keel


def workspace(root: Path, packages: dict[int, Path]) -> keel.Workspace:
    """A new workspace holding cancer/1 (20 trees) and cancer/2 (60 trees)."""
    keel.Workspace.init(root, project="cancer").close()
    ws = keel.Workspace.open(root)
    for version in sorted(packages):
        ws.registry.register("cancer", packages[version])
    return ws


class Replica:
    """One server replica answering ``names``: its DeploymentServing, app and client."""

    def __init__(self, ws: keel.Workspace, names: list[str], serve: Any, **options: Any):
        from keel.serving._app import create_app
        from keel.serving._host import ModelHost

        rollout = options.pop("rollout", {})
        log = options.pop("log", None)
        self.spec = ws.serve_spec({"rollout": {**ws.config.serve.rollout.model_dump(), **rollout}})
        self.serving = ws.serving_deployments(names, self.spec)
        app = create_app(
            ModelHost([], ws.serving_load), self.spec, deployments=self.serving.table, log=log
        )
        self.server = serve(app)
        self.client = httpx.Client(base_url=self.server.url, timeout=30)

    def predict(self, name: str, record: dict, unit: str | None = None) -> httpx.Response:
        headers = {"X-Unit-ID": unit} if unit is not None else {}
        return self.client.post(f"/predict/{name}", json=record, headers=headers)

    def close(self) -> None:
        self.client.close()
        self.server.__exit__()
