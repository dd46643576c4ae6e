"""The Open Inference Protocol v2 REST API (KServe, Triton, MLServer): health, server and
model metadata, readiness and inference, so their clients (``tritonclient.http``) work.

Inference answers the tensors ``label`` (the predicted class, or the value of a
regressor) and, for a classifier, ``probabilities`` of shape ``[n, n_classes]``; a request
may name the ones it wants in ``outputs``. The request's ``id`` is echoed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from keel.serving._app import endpoint
from keel.serving._app_context import Call, Context
from keel.serving._app_request import json_response, load_json, read_body
from keel.serving._deploy import answer_facts
from keel.serving._errors import ApiError, wrong
from keel.serving._host import ServedModel
from keel.serving._oip_binary import split_binary
from keel.serving._oip_tensors import input_metadata, label_datatype, tensor_rows

__all__ = ["oip_routes"]

_MODEL = "/v2/models/{name}"
_VERSION = "/v2/models/{name}/versions/{version}"


def oip_routes(context: Context) -> list[Route]:
    limit = context.spec.limits.max_body_bytes

    async def live(request: Request, call: Call) -> Response:
        return json_response({"live": True})

    async def ready(request: Request, call: Call) -> Response:
        return json_response({"ready": bool(context.names())})

    async def server(request: Request, call: Call) -> Response:
        return json_response({"name": "keel", "version": _keel_version(), "extensions": []})

    async def metadata(request: Request, call: Call) -> Response:
        return json_response(model_metadata(_served(context, request, call, counted=False)))

    async def model_ready(request: Request, call: Call) -> Response:
        served = _served(context, request, call, counted=False)
        return json_response({"name": served.name, "ready": True})

    async def infer(request: Request, call: Call) -> Response:
        served = _served(context, request, call)
        body = await read_body(request, limit)
        header = request.headers.get("inference-header-content-length")
        payload = load_json(body) if header is None else split_binary(body, header)
        if not isinstance(payload, dict):
            raise ApiError(
                400,
                "An infer request is a JSON object with 'inputs'.",
                [wrong("body", payload, '{"inputs": [...]}')],
            )
        wanted = _wanted_outputs(payload.get("outputs"), served)
        rows = tensor_rows(payload.get("inputs"), served.validator)
        out = await context.runtime(served).output(rows)
        context.log_prediction(call, served, rows, out)
        answer_facts(call, served, rows, out)
        answer = {
            "model_name": served.name,
            "model_version": _version(served),
            "outputs": [t for t in output_tensors(served, out) if t["name"] in wanted],
        }
        request_id = payload.get("id")
        if isinstance(request_id, str):
            answer["id"] = request_id
        return json_response(answer)

    health = [("/v2/health/live", live), ("/v2/health/ready", ready)]
    reads = [
        ("/v2", server),
        (_MODEL, metadata),
        (_VERSION, metadata),
        (_MODEL + "/ready", model_ready),
        (_VERSION + "/ready", model_ready),
    ]
    return [
        *(Route(path, endpoint(context, None, h), methods=["GET"]) for path, h in health),
        *(Route(path, endpoint(context, "reader", h), methods=["GET"]) for path, h in reads),
        Route(_MODEL + "/infer", endpoint(context, "reader", infer), methods=["POST"]),
        Route(_VERSION + "/infer", endpoint(context, "reader", infer), methods=["POST"]),
    ]


def model_metadata(served: ServedModel) -> dict[str, Any]:
    """GET /v2/models/{name}: its versions, inputs (one per feature) and outputs."""
    n_classes = -1 if served.labels is None else len(served.labels)
    outputs = [{"name": "label", "datatype": label_datatype(served.labels), "shape": [-1]}]
    if served.labels is not None:
        outputs.append({"name": "probabilities", "datatype": "FP64", "shape": [-1, n_classes]})
    return {
        "name": served.name,
        "versions": [] if served.version is None else [str(served.version)],
        "platform": f"keel_{served.predictor.backend}",
        "inputs": input_metadata(served.schema),
        "outputs": outputs,
        "parameters": {"task": served.task, "classes": served.labels},
    }


def output_tensors(served: ServedModel, out: np.ndarray) -> list[dict[str, Any]]:
    """The ``label`` tensor (and ``probabilities`` for a classifier) of a batch's outputs."""
    labels = served.labels
    if labels is None:
        return [{"name": "label", "datatype": "FP64", "shape": [len(out)], "data": out}]
    datatype = label_datatype(labels)
    predicted = [labels[i] for i in out.argmax(axis=1).tolist()]
    if datatype == "BYTES":
        predicted = [str(v) for v in predicted]
    return [
        {"name": "label", "datatype": datatype, "shape": [len(out)], "data": predicted},
        {
            "name": "probabilities",
            "datatype": "FP64",
            "shape": list(out.shape),
            "data": out.reshape(-1),
        },
    ]


def _served(context: Context, request: Request, call: Call, *, counted: bool = True) -> ServedModel:
    params = request.path_params
    return context.served(params["name"], call, request, params.get("version"), counted=counted)


def _keel_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("keel")
    except PackageNotFoundError:
        return ""


def _version(served: ServedModel) -> str:
    return "" if served.version is None else str(served.version)


def _wanted_outputs(requested: Any, served: ServedModel) -> set[str]:
    names = {"label"} if served.labels is None else {"label", "probabilities"}
    if requested is None:
        return names
    if not isinstance(requested, list) or not all(
        isinstance(o, dict) and isinstance(o.get("name"), str) for o in requested
    ):
        raise ApiError(
            400,
            "'outputs' must be a list of {\"name\": ...} objects.",
            [wrong("outputs", requested, f"names among {sorted(names)}")],
        )
    asked = {o["name"] for o in requested}
    unknown = sorted(asked - names)
    if unknown:
        raise ApiError(
            400,
            f"The model has no output {unknown[0]!r}.",
            [wrong("outputs", unknown, f"names among {sorted(names)}")],
        )
    return asked
