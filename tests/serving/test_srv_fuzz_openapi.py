"""Fuzzing from the server's own OpenAPI document (schemathesis): valid and invalid requests
for every endpoint of the model, and never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from conftest import Versions, make_app

# The admin calls reload models (seconds each); they are tested on their own.
_SKIPPED = ("/admin/",)


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzing_finds_no_server_error(serve: Any, versions: Versions, mode: Any) -> None:
    server = serve(make_app(versions))
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    session = requests.Session()
    failures: list[str] = []
    operations = [r.ok() for r in schema.get_all_operations()]
    tested = 0
    for operation in operations:
        if operation.path.startswith(_SKIPPED):
            continue
        tested += 1

        @settings(
            max_examples=50 if operation.method == "post" else 5,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            answer = case.call(base_url=server.url, session=session)
            if answer.status_code >= 500:
                failures.append(f"{case.method} {case.path} {case.body!r}: {answer.text[:300]}")

        try:
            check()
        except Unsatisfiable:  # a GET without parameters has no invalid form to send
            assert mode == GenerationMode.NEGATIVE and operation.method == "get"
    assert tested >= 10
    assert not failures, "\n".join(failures[:5])
