"""Open Inference Protocol v2 conformance, checked with the real Triton client
(tritonclient.http) against a real uvicorn server."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest
import tritonclient.http as triton

from conftest import Versions, make_app
from keel.models import load_package


@pytest.fixture
def server(serve: Any, versions: Versions) -> Any:
    return serve(make_app(versions))


@pytest.fixture
def client(server: Any) -> Any:
    client = triton.InferenceServerClient(server.address)
    yield client
    client.close()


def test_health_and_metadata(client: Any) -> None:
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("cancer") and client.is_model_ready("cancer", "1")
    assert not client.is_model_ready("cancer", "7") and not client.is_model_ready("nope")
    assert client.get_server_metadata()["name"] == "keel"
    metadata = client.get_model_metadata("cancer")
    assert metadata["versions"] == ["1"] and len(metadata["inputs"]) == 30
    assert {o["name"] for o in metadata["outputs"]} == {"label", "probabilities"}
    assert client.get_model_metadata("cancer", "1")["name"] == "cancer"


def _inputs(records: list[dict[str, float]], binary: bool = False) -> list[Any]:
    inputs = []
    for name in records[0]:
        tensor = triton.InferInput(name, [len(records)], "FP64")
        tensor.set_data_from_numpy(np.array([r[name] for r in records]), binary_data=binary)
        inputs.append(tensor)
    return inputs


def test_infer_with_one_tensor_per_column(
    client: Any, versions: Versions, cancer_records: list[dict[str, float]]
) -> None:
    records = cancer_records[:4]
    outputs = [
        triton.InferRequestedOutput(n, binary_data=False) for n in ("label", "probabilities")
    ]
    result = client.infer("cancer", _inputs(records), outputs=outputs, request_id="req-7")
    predictor = load_package(versions.packages[1]).predictor()
    want = np.array([predictor.predict_proba_one(r) for r in records])
    np.testing.assert_allclose(result.as_numpy("probabilities"), want, atol=1e-9)
    assert result.as_numpy("label").tolist() == want.argmax(axis=1).tolist()
    assert result.get_response()["id"] == "req-7"
    assert result.get_response()["model_version"] == "1"


def test_infer_with_binary_tensors(client: Any, cancer_records: list[dict[str, float]]) -> None:
    # tritonclient's defaults: binary input tensors (the binary tensor data extension).
    result = client.infer("cancer", _inputs(cancer_records[:3], binary=True))
    assert result.as_numpy("probabilities").shape == (3, 2)
    assert result.as_numpy("label").shape == (3,)


def test_infer_with_one_2d_tensor(client: Any, cancer_records: list[dict[str, float]]) -> None:
    matrix = np.array([list(r.values()) for r in cancer_records[:3]])
    tensor = triton.InferInput("input", list(matrix.shape), "FP64")
    tensor.set_data_from_numpy(matrix, binary_data=False)
    result = client.infer("cancer", [tensor], model_version="1")
    assert result.as_numpy("probabilities").shape == (3, 2)


def test_bad_tensors_name_the_field(server: Any, cancer_records: list[dict[str, float]]) -> None:
    url = f"{server.url}/v2/models/cancer/infer"
    tensor = {"name": "mean radius", "datatype": "BYTES", "shape": [1], "data": ["wide"]}
    others = [
        {"name": n, "datatype": "FP64", "shape": [1], "data": [v]}
        for n, v in cancer_records[0].items()
        if n != "mean radius"
    ]
    answer = httpx.post(url, json={"inputs": [tensor, *others]})
    assert answer.status_code == 422
    assert answer.json()["fields"][0]["field"] == "mean radius"
    wrong_shape = {
        "inputs": [{"name": "input", "datatype": "FP64", "shape": [1, 3], "data": [1, 2]}]
    }
    assert httpx.post(url, json=wrong_shape).status_code == 400
    assert (
        httpx.post(
            url,
            json={"inputs": [{"name": "height", "datatype": "FP64", "shape": [1], "data": [1]}]},
        ).status_code
        == 400
    )
