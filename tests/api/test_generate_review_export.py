from __future__ import annotations

import json
import threading
from typing import Any

import httpx
from api_helpers import (
    assert_error,
    create_pipeline,
    records,
    seeds,
    start_job,
    upload,
)
from support import EXPORT_KEYS

from datagenflow.llm.mock_server import MockServerThread


def read_events(client: httpx.Client, job_id: int) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    name = ""
    with client.stream("GET", f"/api/jobs/{job_id}/events", timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                if name == "end":
                    break
    return events


def test_upload_progress_review_export_delete(
    client: httpx.Client, fake_llm: MockServerThread
) -> None:
    fake_llm.server.state.latency_ms = 20
    pipeline_id = create_pipeline(client)
    job_id = start_job(client, pipeline_id, seeds(6, repetitions=2))

    events = read_events(client, job_id)
    assert events[-1][0] == "end"
    final = events[-1][1]
    assert final["status"] == "completed"
    assert (final["total"], final["done"], final["succeeded"], final["failed"]) == (12, 12, 12, 0)
    assert final["usage"]["total_tokens"] > 0 and final["eta_s"] is None
    progress = [e for name, e in events if name == "progress"]
    assert [e["done"] for e in progress] == sorted(e["done"] for e in progress)
    assert client.get("/api/jobs/active").json() == {"job": None}
    assert client.get("/api/jobs").json()["jobs"][0]["id"] == job_id

    page = records(client, job_id)
    assert page["total"] == 12 and page["counts"]["pending"] == 12
    keys = {(r["seed_index"], r["repetition"]) for r in page["records"]}
    assert keys == {(s, r) for s in range(6) for r in range(2)}
    first, second, third = page["records"][:3]
    assert first["trace"][0]["block_id"] == "ask" and first["trace"][1]["input"]["topic"]

    accepted = client.put(f"/api/records/{first['id']}", json={"status": "accepted"}).json()
    assert accepted["status"] == "accepted"
    client.put(f"/api/records/{second['id']}", json={"status": "rejected"})
    edited = client.put(f"/api/records/{third['id']}", json={"output": "better text"}).json()
    assert edited["status"] == "edited" and edited["output"] == "better text"
    assert edited["original_output"] == third["output"]
    assert edited["accumulated_state"]["output"] == "better text"
    again = client.put(f"/api/records/{third['id']}", json={"output": "best text"}).json()
    assert again["original_output"] == third["output"]
    assert client.get(f"/api/records/{third['id']}").json()["output"] == "best text"

    bulk = client.put(
        "/api/records", json={"job_id": job_id, "status": "accepted", "filter_status": "pending"}
    )
    assert bulk.json() == {"updated": 9}
    counts = records(client, job_id)["counts"]
    assert counts == {"pending": 0, "accepted": 10, "rejected": 1, "edited": 1, "failed": 0}
    rejected_only = records(client, job_id, status="rejected")
    assert rejected_only["total"] == 1 and rejected_only["records"][0]["id"] == second["id"]
    by_ids = client.put(
        "/api/records", json={"status": "pending", "ids": [first["id"], second["id"]]}
    )
    assert by_ids.json() == {"updated": 2}

    export = client.get("/api/export", params={"job_id": job_id})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert f"datagenflow-job-{job_id}" in export.headers["content-disposition"]
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert len(lines) == 12
    assert set(lines[0]) == EXPORT_KEYS
    edited_line = next(line for line in lines if line["id"] == third["id"])
    assert edited_line["output"] == "best text"
    assert edited_line["accumulated_state"]["output"] == "best text"
    chosen = client.get("/api/export", params={"job_id": job_id, "status": "accepted,edited"})
    statuses = [json.loads(line)["status"] for line in chosen.text.splitlines()]
    assert len(statuses) == 10 and set(statuses) == {"accepted", "edited"}

    deleted = client.delete("/api/records", params={"job_id": job_id})
    assert deleted.json() == {"deleted": 12}
    assert_error(client.get(f"/api/jobs/{job_id}"), 404)
    assert client.get("/api/records").json()["total"] == 0


def test_two_generate_calls_at_once_one_409(
    client: httpx.Client, fake_llm: MockServerThread
) -> None:
    fake_llm.server.state.latency_ms = 100
    pipeline_id = create_pipeline(client)
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=30) as own:
            barrier.wait()
            answers.append(upload(own, pipeline_id, seeds(40)))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409], [a.text for a in answers]
    started = next(a for a in answers if a.status_code == 201).json()["job_id"]
    conflict = assert_error(next(a for a in answers if a.status_code == 409), 409, str(started))
    assert conflict["detail"]["job_id"] == started
    assert client.get("/api/jobs/active").json()["job"]["id"] == started
    assert_error(client.delete("/api/records", params={"job_id": started}), 409, "cancel")
    assert client.delete(f"/api/jobs/{started}").json()["status"] == "cancelled"
    assert len(client.get("/api/jobs").json()["jobs"]) == 1


def test_bad_seeds_and_missing_fields_start_nothing(client: httpx.Client) -> None:
    pipeline_id = create_pipeline(client)
    bad = [{"metadata": {"topic": "a"}}, {"metadata": {"topic": "b"}, "repetitions": 0}]
    refused = assert_error(upload(client, pipeline_id, bad), 422, "seed 1", "repetitions")
    assert refused["detail"]["index"] == 1
    wrong_field = [{"metadata": {"subject": "a"}}]
    assert_error(upload(client, pipeline_id, wrong_field), 422, "topic")
    assert_error(upload(client, pipeline_id, b"{not json", "seeds.json"), 422, "line 1")
    assert_error(upload(client, 999, seeds(1)), 404, "999")
    no_file = client.post(
        "/api/generate", data={"pipeline_id": str(pipeline_id)}, files={"x": ("a", b"1")}
    )
    assert_error(no_file, 422, "file")
    not_multipart = client.post("/api/generate", json={"pipeline_id": pipeline_id})
    assert_error(not_multipart, 422, "multipart")
    assert client.get("/api/jobs").json() == {"jobs": []}

    report = client.post(
        "/api/seeds/validate",
        files={"file": ("seeds.csv", b"topic,level\nowls,easy\nbats,hard\n")},
    )
    assert report.json() == {"seeds": 2, "total_executions": 2, "fields": ["topic", "level"]}
    csv_bad = client.post("/api/seeds/validate", files={"file": ("s.csv", b"a,b\n1\n")})
    assert_error(csv_bad, 422, "line 2")


def test_oversized_upload_is_refused_with_413(make_server) -> None:  # type: ignore[no-untyped-def]
    client = make_server(max_upload_bytes=10_000).client
    pipeline_id = create_pipeline(client)
    big = json.dumps(seeds(2000)).encode()
    assert len(big) > 10_000
    refused = upload(client, pipeline_id, big)
    assert_error(refused, 413, "MAX_UPLOAD_BYTES")
    validate = client.post("/api/seeds/validate", files={"file": ("s.json", big)})
    assert_error(validate, 413)
    boundary = "xyz"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.json"\r\n\r\n'
    ).encode()

    def chunked():  # type: ignore[no-untyped-def]
        yield head
        for _ in range(100):
            yield b" " * 1000

    streamed = client.post(
        "/api/seeds/validate",
        content=chunked(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_error(streamed, 413, "limit")
    assert client.get("/api/jobs").json() == {"jobs": []}
    assert upload(client, pipeline_id, seeds(3)).status_code == 201


def test_deeply_nested_input_is_a_4xx_not_a_500(client: httpx.Client) -> None:
    pipeline_id = create_pipeline(client)
    deep = "[" * 5000 + "1" + "]" * 5000
    refused = upload(client, pipeline_id, f'[{{"metadata": {{"topic": {deep}}}}}]'.encode())
    assert_error(refused, 422, "nested more than 100 levels deep")
    for name in ("s.json", "s.jsonl"):
        body = f'{{"topic": {deep}}}'.encode()
        report = client.post("/api/seeds/validate", files={"file": (name, body)})
        assert_error(report, 422, "nested more than 100 levels deep")
    assert client.get("/api/jobs").json() == {"jobs": []}

    below_parser_limit = json.loads("[" * 150 + "]" * 150)
    tried = client.post(
        f"/api/pipelines/{pipeline_id}/execute", json={"metadata": {"topic": below_parser_limit}}
    )
    assert_error(tried, 422, "metadata is nested more than 100 levels deep")
    definition = {
        "name": "deep",
        "blocks": [{"type": "OutputBlock", "config": {"x": below_parser_limit}}],
    }
    for method, path in (("POST", "/api/pipelines"), ("POST", "/api/pipelines/validate")):
        answer = client.request(method, path, json=definition)
        assert_error(answer, 422, "nested more than 100 levels deep")
