"""The JSON API end to end against a real uvicorn server: predictions match the package's own
predictor, bad input is named field by field, and the limits answer 413 and 504."""

from __future__ import annotations

import time
from typing import Any

import httpx
import numpy as np
import pytest

from conftest import Versions, make_app
from keel.models import load_package


@pytest.fixture
def client(serve: Any, versions: Versions) -> httpx.Client:
    feedback: list[tuple[Any, ...]] = []

    def sink(model: str, request_id: str, **fields: Any) -> None:
        feedback.append((model, request_id, fields))

    app = make_app(versions, {"limits": {"max_body_bytes": 64 * 1024}}, feedback=sink)
    server = serve(app)
    client = httpx.Client(base_url=server.url, timeout=30)
    client.feedback = feedback  # type: ignore[attr-defined]
    return client


def expected(versions: Versions, records: list[dict[str, float]]) -> np.ndarray:
    predictor = load_package(versions.packages[1]).predictor()
    return np.array([predictor.predict_proba_one(r) for r in records])


def test_one_many_and_columns_agree_with_the_predictor(
    client: httpx.Client, versions: Versions, cancer_records: list[dict[str, float]]
) -> None:
    records = cancer_records[:5]
    want = expected(versions, records)
    one = client.post("/predict/cancer", json=records[0]).json()
    assert one["model"] == "cancer" and one["version"] == 1 and len(one["request_id"]) == 32
    np.testing.assert_allclose(one["probabilities"][0], want[0], atol=1e-9)
    many = client.post("/predict/cancer", json=records).json()
    np.testing.assert_allclose(many["probabilities"], want, atol=1e-9)
    assert many["predictions"] == want.argmax(axis=1).tolist()
    columns = {name: [r[name] for r in records] for name in records[0]}
    by_columns = client.post("/predict/cancer", json={"columns": columns}).json()
    assert by_columns["predictions"] == many["predictions"]


def test_request_id_is_echoed(client: httpx.Client, cancer_records: list[dict]) -> None:
    answer = client.post(
        "/predict/cancer", json=cancer_records[0], headers={"X-Request-ID": "abc-123"}
    )
    assert answer.headers["x-request-id"] == "abc-123"
    assert answer.json()["request_id"] == "abc-123"


def test_bad_fields_are_named_with_value_and_expectation(
    client: httpx.Client, cancer_records: list[dict]
) -> None:
    record = {**cancer_records[0], "mean radius": "wide", "mean area": None}
    del record["worst area"]
    answer = client.post("/predict/cancer", json=record)
    assert answer.status_code == 422
    fields = {f["field"]: f for f in answer.json()["fields"]}
    assert fields["mean radius"]["value"] == "wide"
    assert "number" in fields["mean radius"]["expected"]
    assert set(fields) == {"mean radius", "mean area", "worst area"}
    many = client.post("/predict/cancer", json=[cancer_records[0], record]).json()
    assert {f["row"] for f in many["fields"]} == {1}


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b"", 400), (b"[]", 422), (b"3", 400), (b'["x"]', 422)],
)
def test_malformed_bodies_are_refused_as_json(
    client: httpx.Client, body: bytes, status: int
) -> None:
    answer = client.post("/predict/cancer", content=body)
    assert answer.status_code == status
    assert answer.json()["error"] and answer.json()["fields"]


def test_unknown_model_and_route_are_json_404(client: httpx.Client) -> None:
    answer = client.post("/predict/nope", json={})
    assert answer.status_code == 404 and "cancer" in answer.json()["error"]
    assert client.get("/nowhere").json()["fields"][0]["field"] == "path"


def test_body_over_the_limit_is_413(client: httpx.Client, cancer_records: list[dict]) -> None:
    answer = client.post("/predict/cancer", json=cancer_records * 20)
    assert answer.status_code == 413
    assert answer.json()["fields"][0]["field"] == "body"

    def chunks() -> Any:  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b" " * 1024

    assert client.post("/predict/cancer", content=chunks()).status_code == 413


def test_explain_gives_shap_contributions(client: httpx.Client, cancer_records: list[dict]) -> None:
    answer = client.post("/explain/cancer", json=cancer_records[0]).json()
    contributions = answer["contributions"]
    assert len(contributions) == 30 and answer["explainer"] == "tree"
    total = answer["base_value"] + sum(c["shap"] for c in contributions)
    assert total == pytest.approx(answer["prediction"])
    assert client.post("/explain/cancer", json=[cancer_records[0]]).status_code == 400


def test_feedback_reaches_the_sink(client: httpx.Client) -> None:
    answer = client.post("/feedback/cancer", json={"request_id": "r1", "label": 1})
    assert answer.status_code == 202
    assert client.feedback[0][:2] == ("cancer", "r1")  # type: ignore[attr-defined]
    bad = client.post("/feedback/cancer", json={"request_id": "r1", "label": 1, "reward": 2})
    assert bad.status_code == 422


def test_metrics_off_docs_and_openapi(client: httpx.Client) -> None:
    assert client.get("/metrics").status_code == 404
    assert "mean radius" in client.get("/docs").text
    document = client.get("/openapi.json").json()
    record = document["paths"]["/predict/cancer"]["post"]["requestBody"]["content"]
    properties = record["application/json"]["schema"]["oneOf"][0]["properties"]
    assert properties["mean radius"]["type"] == "number"


class _Slow:
    """A real package whose predictor takes ``seconds`` per batch (the 504 test's model)."""

    def __init__(self, package: Any, seconds: float):
        self._package, self._seconds = package, seconds

    def __getattr__(self, name: str) -> Any:
        return getattr(self._package, name)

    def predictor(self) -> Any:
        return _SlowPredictor(self._package.predictor(), self._seconds)


class _SlowPredictor:
    _one_session = None
    _compiled_batch = None

    def __init__(self, predictor: Any, seconds: float):
        self._predictor, self._seconds = predictor, seconds

    def __getattr__(self, name: str) -> Any:
        return getattr(self._predictor, name)

    def output(self, frame: Any) -> Any:
        time.sleep(self._seconds)
        return self._predictor.output(frame)


def test_a_slow_answer_is_504_and_the_server_keeps_serving(
    serve: Any, cancer_packages: dict, cancer_records: list[dict]
) -> None:
    versions = Versions(cancer_packages, wrap=lambda package: _Slow(package, 0.3))
    server = serve(make_app(versions, {"limits": {"timeout_s": 0.1}}))
    with httpx.Client(base_url=server.url, timeout=30) as client:
        answer = client.post("/predict/cancer", json=cancer_records[0])
        assert answer.status_code == 504
        assert "timeout_s" in answer.json()["error"]
        assert client.get("/v2/health/ready").status_code == 200
