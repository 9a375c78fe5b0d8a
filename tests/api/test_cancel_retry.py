from __future__ import annotations

import time

import httpx
from api_helpers import assert_error, create_pipeline, records, seeds, start_job, wait_for_job

from datagenflow.llm.mock_server import MockServerThread


def test_cancel_mid_run_keeps_finished_records(
    client: httpx.Client, fake_llm: MockServerThread
) -> None:
    fake_llm.server.state.latency_ms = 200
    pipeline_id = create_pipeline(client)
    job_id = start_job(client, pipeline_id, seeds(100))
    running = wait_for_job(client, job_id, lambda j: j["done"] >= 8)
    assert running["status"] == "running" and running["current_blocks"] == ["ask"]
    assert running["rate"] > 0 and running["eta_s"] is not None

    started = time.monotonic()
    cancelled = client.delete(f"/api/jobs/{job_id}")
    assert time.monotonic() - started < 1.0
    assert cancelled.status_code == 200, cancelled.text
    job = cancelled.json()
    assert job["status"] == "cancelled" and job["finished_at"] is not None
    assert 8 <= job["done"] < 100
    page = records(client, job_id)
    assert page["total"] == job["done"] == len(page["records"])
    assert all(r["status"] == "pending" for r in page["records"])
    calls = fake_llm.stats()["requests"]
    time.sleep(0.3)
    assert fake_llm.stats()["requests"] == calls, "LLM calls went on after the cancel"
    assert_error(client.delete(f"/api/jobs/{job_id}"), 409, "cancelled")
    # cancelling was a choice: nothing failed, so there is nothing to retry (the rest stays unrun)
    assert_error(client.post(f"/api/jobs/{job_id}/retry_failed"), 409, "no failed")


def test_retry_failed_reruns_only_failed_records_in_place(make_server, fake_llm) -> None:  # type: ignore[no-untyped-def]
    client = make_server().client
    fake_llm.server.state.error_rate = 0.4
    fake_llm.server.state.rng.seed(7)
    pipeline_id = create_pipeline(client)
    job_id = start_job(client, pipeline_id, seeds(30))
    first = wait_for_job(client, job_id)
    assert first["status"] == "completed" and 0 < first["failed"] < 30, first
    before = records(client, job_id)
    failed = {r["id"]: r for r in before["records"] if r["status"] == "failed"}
    kept = {r["id"]: r for r in before["records"] if r["status"] != "failed"}
    assert before["counts"]["failed"] == first["failed"] == len(failed)
    sample = next(iter(failed.values()))
    assert sample["error"] and "HTTP" in sample["error"]
    assert sample["trace"][0]["error"] and sample["output"] is None

    fake_llm.server.state.error_rate = 0.0
    retry = client.post(f"/api/jobs/{job_id}/retry_failed")
    assert retry.status_code == 202, retry.text
    again = wait_for_job(client, job_id)
    assert (again["status"], again["done"], again["failed"], again["succeeded"]) == (
        "completed",
        30,
        0,
        30,
    )
    after = {r["id"]: r for r in records(client, job_id)["records"]}
    assert set(after) == set(failed) | set(kept)
    for record_id, old in failed.items():
        new = after[record_id]
        assert new["status"] == "pending" and new["error"] is None
        assert (new["seed_index"], new["repetition"]) == (old["seed_index"], old["repetition"])
    for record_id, old in kept.items():
        assert after[record_id]["updated_at"] == old["updated_at"]
    assert_error(client.post(f"/api/jobs/{job_id}/retry_failed"), 409, "no failed")


def test_retry_after_an_early_stop_also_runs_what_never_ran(make_server, fake_llm) -> None:  # type: ignore[no-untyped-def]
    client = make_server(llm_max_retries=0).client
    fake_llm.configure(error_rate=1.0)
    pipeline_id = create_pipeline(client)
    job_id = start_job(client, pipeline_id, seeds(150))
    stopped = wait_for_job(client, job_id)
    assert stopped["status"] == "failed" and "first 25 executions all failed" in stopped["error"]
    assert 25 <= stopped["done"] == stopped["failed"] < 150

    fake_llm.configure(error_rate=0.0)
    retry = client.post(f"/api/jobs/{job_id}/retry_failed")
    assert retry.status_code == 202, retry.text
    again = wait_for_job(client, job_id)
    assert (again["status"], again["done"], again["succeeded"], again["failed"]) == (
        "completed",
        150,
        150,
        0,
    )
    page = records(client, job_id)
    assert page["total"] == 150 and page["counts"]["pending"] == 150
    keys = {(r["seed_index"], r["repetition"]) for r in page["records"]}
    assert keys == {(i, 0) for i in range(150)}
    assert_error(client.post(f"/api/jobs/{job_id}/retry_failed"), 409, "no failed")
