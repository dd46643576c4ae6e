"""The JSON API: POST /predict/{name}, /explain/{name} and /feedback/{name}.

``/predict`` answers ``{"request_id", "model", "version", "predictions", "probabilities"}``
(``probabilities`` in ``classes`` order, null for a regressor); one record or many.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from keel.serving._app import endpoint
from keel.serving._app_context import Call, Context
from keel.serving._app_request import json_response, load_json, read_body
from keel.serving._deploy import answer_facts
from keel.serving._deploy_feedback import credit_feedback
from keel.serving._errors import ApiError, wrong
from keel.serving._host import ServedModel
from keel.serving._json_api_records import records_to_rows

__all__ = ["json_routes", "predictions_of"]


def json_routes(context: Context) -> list[Route]:
    limit = context.spec.limits.max_body_bytes

    async def predict(request: Request, call: Call) -> Response:
        served = context.served(request.path_params["name"], call, request)
        rows = records_to_rows(load_json(await read_body(request, limit)), served.validator)
        if isinstance(rows, ApiError):
            raise rows
        out = await context.runtime(served).output(rows)
        predictions, probabilities = predictions_of(served, out)
        context.log_prediction(call, served, rows, out)
        answer_facts(call, served, rows, out)
        return json_response(
            {
                "request_id": call.request_id,
                "model": served.name,
                "version": served.version,
                "predictions": predictions,
                "probabilities": probabilities,
            }
        )

    async def explain(request: Request, call: Call) -> Response:
        from keel.serving._explain import explain_record

        served = context.served(request.path_params["name"], call, request, counted=False)
        payload = load_json(await read_body(request, limit))
        if not isinstance(payload, dict):
            raise ApiError(
                400,
                "Explain takes one record: a JSON object of field -> value.",
                [wrong("body", payload, "an object")],
            )
        rows = records_to_rows(payload, served.validator)
        if isinstance(rows, ApiError):
            raise rows
        explained = await asyncio.to_thread(explain_record, served, rows)
        return json_response(
            {
                "request_id": call.request_id,
                "model": served.name,
                "version": served.version,
                **explained,
            }
        )

    async def feedback(request: Request, call: Call) -> Response:
        name = request.path_params["name"]
        payload = load_json(await read_body(request, limit))
        request_id, label, reward = _feedback_fields(payload)
        route = context.deployments.get(name) if context.deployments is not None else None
        if route is not None:
            credited = credit_feedback(route, request_id, payload, label, reward)
            call.model, call.version = name, credited
        else:
            served = context.served(name, call, request, counted=False)
            name = served.name
        sink = context.feedback or getattr(context.log, "feedback", None)
        if sink is None and route is not None:
            return json_response({"request_id": request_id, "accepted": True}, 202)
        if sink is None:
            raise ApiError(409, "This server keeps no feedback: the prediction log is off.")
        sink(name, request_id, label=label, reward=reward, at=time.time())
        return json_response({"request_id": request_id, "accepted": True}, 202)

    return [
        Route("/predict/{name}", endpoint(context, "reader", predict), methods=["POST"]),
        Route("/explain/{name}", endpoint(context, "reader", explain), methods=["POST"]),
        Route("/feedback/{name}", endpoint(context, "deployer", feedback), methods=["POST"]),
    ]


def predictions_of(served: ServedModel, out: np.ndarray) -> tuple[list[Any], Any]:
    """(labels or values, probabilities or None) of a batch of outputs."""
    labels = served.labels
    if labels is None:
        return out.tolist(), None
    return [labels[i] for i in out.argmax(axis=1).tolist()], out


def _feedback_fields(payload: Any) -> tuple[str, Any, float | None]:
    expected = 'an object {"request_id": "...", "label": ...} or {"request_id", "reward"}'
    if not isinstance(payload, dict):
        raise ApiError(400, f"Feedback must be {expected}.", [wrong("body", payload, expected)])
    bad = []
    request_id = payload.get("request_id")
    if not isinstance(request_id, str) or not 0 < len(request_id) <= 200:
        bad.append(wrong("request_id", request_id, "the request id of a prediction (a string)"))
    has_label, reward = "label" in payload, payload.get("reward")
    if has_label == ("reward" in payload):
        bad.append(wrong("label", payload.get("label"), "exactly one of label or reward"))
    elif not has_label and not _finite_number(reward):
        bad.append(wrong("reward", reward, "a finite number"))
    if has_label and isinstance(payload["label"], dict | list):
        bad.append(wrong("label", payload["label"], "a class label or a number"))
    if bad:
        raise ApiError(
            422, "The feedback is not usable: " + ", ".join(f["field"] for f in bad) + ".", bad
        )
    return str(request_id), payload.get("label"), None if has_label else float(reward or 0)


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
