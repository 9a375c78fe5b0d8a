"""Property-based requests generated from the OpenAPI spec against a live server: never a 500,
and every answer matches the schema the spec documents (the frontend's types come from it)."""

from __future__ import annotations

import hypothesis
import schemathesis
from api_helpers import create_pipeline, seeds, start_job, wait_for_job
from conftest import LiveServer
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from datagenflow.llm.mock_server import MockServerThread

EXAMPLES = 40


def test_api_never_answers_500(server: LiveServer, fake_llm: MockServerThread) -> None:
    pipeline_id = create_pipeline(server.client)
    wait_for_job(server.client, start_job(server.client, pipeline_id, seeds(3)))
    schema = schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @hypothesis.given(case=operation.as_strategy())
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.url, timeout=30)
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
