"""The app with its real companions: Prometheus metrics, the prediction log and bearer-token
auth, through a real uvicorn server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from conftest import Versions, make_app


def test_metrics_log_and_auth_are_called(
    serve: Any, versions: Versions, cancer_records: list[dict[str, float]], tmp_path: Path
) -> None:
    from keel.serving._auth import Auth
    from keel.serving._metrics import Metrics
    from keel.serving._predlog import PredictionLog, read_predictions
    from keel.serving._spec import PredictionLogSpec

    roles = {"tok-reader": "reader", "tok-deployer": "deployer"}
    log = PredictionLog(tmp_path, PredictionLogSpec())
    spec = {"cache": {"size": 100}}
    app = make_app(versions, spec, auth=Auth(roles.get), metrics=Metrics(), log=log)
    server = serve(app)
    reader = {"Authorization": "Bearer tok-reader"}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/v2/health/live").status_code == 200  # health needs no token
        assert client.post("/predict/cancer", json=cancer_records[0]).status_code == 401
        for record in cancer_records[:10] * 2:  # the second round hits the cache
            answer = client.post("/predict/cancer", json=record, headers=reader)
            assert answer.status_code == 200
        assert client.post("/predict/cancer", json=[cancer_records[0]] * 3,
                           headers=reader).status_code == 200  # fmt: skip
        refused = client.post("/feedback/cancer", json={"request_id": "x", "label": 1},
                              headers=reader)  # fmt: skip
        assert refused.status_code == 403 and refused.json()["error"]
        feedback = {"request_id": answer.json()["request_id"], "label": 1}
        deployer = {"Authorization": "Bearer tok-deployer"}
        assert client.post("/feedback/cancer", json=feedback, headers=deployer).status_code == 202
        text = client.get("/metrics", headers=reader).text
    assert 'model="cancer"' in text and "keel_cache_hits" in text
    log.close()
    assert len(read_predictions(tmp_path, "cancer")) == 23  # every validated row
