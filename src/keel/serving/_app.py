"""The ASGI application: the Open Inference Protocol v2, the JSON API, OpenAPI and docs,
metrics and the admin calls, over the models of a ModelHost.

Every endpoint runs inside ``endpoint``: it sets the request id (X-Request-ID in and out),
checks the role, bounds the time (504) and turns every refusal into JSON with a 4xx status;
bad input never reaches a 500. Starlette's own middleware stack is left out of the hot
path: a BaseHTTPMiddleware layer costs tens of µs per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from keel.errors import RegistryError
from keel.serving._app_context import Call, Context
from keel.serving._app_request import json_response, load_json, read_body, request_id
from keel.serving._deploy import finish
from keel.serving._errors import ApiError, Overloaded, wrong
from keel.serving._host import ModelHost
from keel.serving._spec import ServeSpec

__all__ = ["create_app", "endpoint"]

log = logging.getLogger("keel.serving")

Handler = Callable[[Request, Call], Awaitable[Response]]


def create_app(
    host: ModelHost,
    spec: ServeSpec,
    *,
    auth: Any = None,
    metrics: Any = None,
    log: Any = None,
    feedback: Callable[..., Any] | None = None,
    rollback: Callable[[str], Any] | None = None,
    deployments: Any = None,
) -> Starlette:
    """The Starlette app serving ``host``'s models as ``spec`` says.

    Args:
        auth: keel.serving Auth (every call but health needs a token), or None (open).
        metrics: keel.serving Metrics, or None (``/metrics`` answers 404).
        log: the PredictionLog every prediction is written to, or None.
        feedback: called as ``feedback(model, request_id, label=..., reward=..., at=...)``
            for POST /feedback; the prediction log's ``feedback`` when None.
        rollback: called with a model name by POST /admin/rollback to move its alias back
            (the CLI passes one built on the registry); the host then reloads the model.
        deployments: keel.serving._deploy.Deployments answered at /predict/{name} and
            /v2/models/{name}/infer by routing each request (keel.rollout keeps them
            current), or None.
    """
    from keel.serving._json_api import json_routes
    from keel.serving._oip import oip_routes
    from keel.serving._openapi import openapi_routes

    context = Context(
        host, spec, auth=auth, metrics=metrics, log=log, feedback=feedback, rollback=rollback,
        deployments=deployments,
    )  # fmt: skip
    if deployments is not None:
        deployments.shadows.start(log)
    _report_loads(host, metrics)
    routes = [
        *oip_routes(context),
        *json_routes(context),
        *openapi_routes(context),
        *admin_routes(context),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=_lifespan(context),
    )
    app.state.keel = context
    for served in host.models():
        context.runtime(served)  # batchers ready before the first request
    return app


def endpoint(context: Context, role: str | None, handler: Handler) -> Callable[..., Any]:
    """``handler`` wrapped with the request id, the role check, the time limit and the
    mapping of refusals to JSON answers; ``role`` None needs no token (health)."""
    timeout = context.spec.limits.timeout_s
    auth, metrics = context.auth, context.metrics

    async def run(request: Request) -> Response:
        call = Call(request_id(request), time.perf_counter())
        try:
            if auth is not None and role is not None:
                auth.require(request, role)
            async with asyncio.timeout(timeout):
                response = await handler(request, call)
        except Exception as exc:
            response = _refusal(exc, timeout, call)
        response.headers["x-request-id"] = call.request_id
        if call.model is None:
            return response
        seconds = time.perf_counter() - call.started
        if metrics is not None:
            metrics.request(call.model, call.version, response.status_code, seconds)
        if call.route is not None:
            response.headers["x-model-version"] = str(call.version)
            finish(call, response.status_code, seconds)
        return response

    return run


def _refusal(exc: Exception, timeout: float, call: Call) -> Response:
    if isinstance(exc, Overloaded):
        exc = exc.as_api_error()
    if isinstance(exc, TimeoutError):
        exc = ApiError(
            504, f"The request was not answered within {timeout} s (serve.limits.timeout_s)."
        )
    status_code = getattr(exc, "status_code", None)
    if isinstance(status_code, int) and hasattr(exc, "as_json"):  # AuthFailed
        return json_response(exc.as_json(), status_code, getattr(exc, "headers", None))
    if isinstance(exc, RegistryError):  # e.g. a rollback with no earlier version
        exc = ApiError(409, str(exc))
    if isinstance(exc, ApiError):
        return json_response(exc.body(), exc.status, exc.headers)
    log.exception("request %s failed", call.request_id)
    return json_response(
        {
            "error": f"Internal error (request id {call.request_id}); the "
            "server log has the details.",
            "fields": [],
        },
        500,
    )


def admin_routes(context: Context) -> list[Route]:
    """POST /admin/reload and /admin/rollback (deployer) and GET /metrics (reader)."""

    async def reload(request: Request, call: Call) -> Response:
        name = _admin_model(context, await _optional_json(request, context))
        swaps = await asyncio.to_thread(context.host.reload, name)
        return json_response({"swaps": [vars(s) for s in swaps]})

    async def rollback(request: Request, call: Call) -> Response:
        name = _admin_model(context, await _optional_json(request, context))
        if name is None:
            raise ApiError(
                400,
                "Say which model to roll back.",
                [wrong("model", None, f"one of {context.host.names()}")],
            )
        if context.rollback is None:
            raise ApiError(
                409,
                "This server has no registry to roll back in (it serves "
                "package paths); deploy the earlier package instead.",
            )
        moved = await asyncio.to_thread(context.rollback, name)
        swaps = await asyncio.to_thread(context.host.reload, name)
        return json_response({"rollback": _plain(moved), "swaps": [vars(s) for s in swaps]})

    async def metrics(request: Request, call: Call) -> Response:
        if context.metrics is None:
            raise ApiError(404, "Metrics are off on this server.")
        body, content_type = context.metrics.render()
        return Response(body, media_type=content_type)

    return [
        Route("/admin/reload", endpoint(context, "deployer", reload), methods=["POST"]),
        Route("/admin/rollback", endpoint(context, "deployer", rollback), methods=["POST"]),
        Route("/metrics", endpoint(context, "reader", metrics), methods=["GET"]),
    ]


async def _optional_json(request: Request, context: Context) -> Any:
    body = await read_body(request, context.spec.limits.max_body_bytes)
    return load_json(body) if body.strip() else {}


def _admin_model(context: Context, payload: Any) -> str | None:
    if not isinstance(payload, dict):
        raise ApiError(
            400,
            'The body must be a JSON object such as {"model": "churn"}.',
            [wrong("body", payload, "an object")],
        )
    name = payload.get("model")
    if name is None:
        return None
    served = context.model(name) if isinstance(name, str) else None
    if not isinstance(served, ApiError) and served is not None:
        return served.name
    raise ApiError(
        404,
        f"No model {name!r} is served here.",
        [wrong("model", name, f"one of {context.host.names()}")],
    )


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | dict | list):
        return value
    return vars(value) if hasattr(value, "__dict__") else str(value)


def _report_loads(host: ModelHost, metrics: Any) -> None:
    if metrics is None:
        return
    for served in host.models():
        metrics.model_load(served.name, served.version, served.load_seconds)
    host.on_load = lambda served: metrics.model_load(
        served.name, served.version, served.load_seconds
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 400)
    detail = getattr(exc, "detail", "") or "Not Found"
    fields = [wrong("path", request.url.path, "one of the routes in /openapi.json")]
    headers = getattr(exc, "headers", None)
    return json_response(
        {
            "error": f"{detail}: {request.method} {request.url.path}.",
            "fields": fields if status == 404 else [],
        },
        status,
        headers,
    )


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_response(
        {"error": "Internal error; the server log has the details.", "fields": []}, 500
    )


def _lifespan(context: Context) -> Callable[[Starlette], Any]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for runtime in context.runtimes():  # the batchers' worker threads
            runtime.close()
        if context.deployments is not None:
            context.deployments.shadows.close()

    return lifespan
