"""The OpenAPI 3 document of a server, generated from each served model's signature, at
``/openapi.json``, and a docs page at ``/docs``.

Each model gets its own paths (``/predict/churn``, ``/v2/models/churn/infer``...) whose
request schema lists its fields with their JSON types and allowed ranges, so a client
generator or a fuzzer (schemathesis) sees exactly what the validator accepts.
"""

from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from keel.serving._app import endpoint
from keel.serving._app_context import Call, Context
from keel.serving._app_request import json_response
from keel.serving._host import ServedModel
from keel.serving._openapi_schemas import (
    ERROR,
    feedback_schema,
    infer_schema,
    predict_schema,
    record_schema,
)

__all__ = ["openapi_document", "openapi_routes"]


def openapi_routes(context: Context) -> list[Route]:
    async def document(request: Request, call: Call) -> Response:
        return json_response(openapi_document(context))

    async def docs(request: Request, call: Call) -> Response:
        return HTMLResponse(docs_page(context))

    return [
        Route("/openapi.json", endpoint(context, "reader", document), methods=["GET"]),
        Route("/docs", endpoint(context, "reader", docs), methods=["GET"]),
    ]


def openapi_document(context: Context) -> dict[str, Any]:
    """The whole document: the fixed endpoints, then each model's paths."""
    paths: dict[str, Any] = {
        "/v2": _get("Server metadata (Open Inference Protocol v2)"),
        "/v2/health/live": _get("Liveness"),
        "/v2/health/ready": _get("Readiness: every model is loaded"),
        "/metrics": _get("Prometheus metrics", "text/plain"),
        "/admin/reload": _post("Reload models (deployer)", _ADMIN_BODY),
        "/admin/rollback": _post("Move a model's alias back and reload it (deployer)", _ADMIN_BODY),
    }
    for served in context.host.models():
        paths.update(_model_paths(served))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "keel model server",
            "version": "1",
            "description": "Models: " + ", ".join(context.host.names()),
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        **({"security": [{"bearer": []}]} if context.auth is not None else {}),
    }


_ADMIN_BODY = {
    "type": "object",
    "properties": {"model": {"type": "string"}},
    "additionalProperties": False,
}


def _model_paths(served: ServedModel) -> dict[str, Any]:
    name, record = served.name, record_schema(served.schema)
    what = f"{name} (version {served.version})"
    return {
        f"/predict/{name}": _post(f"Predict with {what}", predict_schema(record)),
        f"/explain/{name}": _post(f"SHAP contributions of one record for {what}", record),
        f"/feedback/{name}": _post(
            f"Ground truth or a reward for a prediction of {name}", feedback_schema()
        ),
        f"/v2/models/{name}": _get(f"Metadata of {what}"),
        f"/v2/models/{name}/ready": _get(f"Readiness of {name}"),
        f"/v2/models/{name}/infer": _post(
            f"Infer with {what} (Open Inference Protocol v2)", infer_schema(served.schema)
        ),
    }


def _get(summary: str, media: str = "application/json") -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": _responses(media)}}


def _post(summary: str, schema: dict[str, Any]) -> dict[str, Any]:
    body = {"required": True, "content": {"application/json": {"schema": schema}}}
    return {"post": {"summary": summary, "requestBody": body, "responses": _responses()}}


def _responses(media: str = "application/json") -> dict[str, Any]:
    error = {
        "description": "Refused",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    return {"200": {"description": "OK", "content": {media: {}}}, "4XX": error}


def docs_page(context: Context) -> str:
    """An HTML page: each model's fields, and Swagger UI over /openapi.json when the
    browser can load it from its CDN (the field list needs nothing from outside)."""
    sections = [_model_section(served) for served in context.host.models()]
    return _PAGE.format(models="\n".join(sections))


def _model_section(served: ServedModel) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(c.name)}</td><td>{c.type}</td><td>{c.nullable}</td></tr>"
        for c in served.schema.features()
    )
    title = html.escape(f"{served.name} — version {served.version}, {served.task}")
    return (
        f"<h2>{title}</h2><p>POST /predict/{html.escape(served.name)}</p>"
        f"<table><tr><th>field</th><th>type</th><th>nullable</th></tr>{rows}</table>"
    )


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>keel model server</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"></head>
<body><h1>keel model server</h1>
<p>The OpenAPI document: <a href="openapi.json">/openapi.json</a>.</p>
{models}
<div id="swagger"></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>
if (window.SwaggerUIBundle) SwaggerUIBundle({{url: "openapi.json", dom_id: "#swagger"}});
</script>
</body></html>"""
