"""A long job on a slow fake LLM, behind an API token: live progress, 409, cancel, export."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_page import tid
from e2e_support import MockLLM, Server, screenshot
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

TOKEN = "e2e-secret-token"


@pytest.fixture(scope="module")
def slow_server(web_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("slow")
    llm = MockLLM(workdir, latency_ms=2000)
    # four records at a time, two seconds each: a 40-record job takes about 20 s
    server = Server(workdir / "server", llm, token=TOKEN, extra_env={"JOB_CONCURRENCY": "4"})
    yield server
    server.stop()
    llm.stop()


def test_token_prompt_progress_conflict_and_cancel(
    slow_server: Server, page: Page, tmp_path: Path
) -> None:
    server = slow_server
    pipeline = server.json(
        "POST",
        "/api/pipelines",
        json={
            "name": "Slow answers",
            "seed_fields": ["topic"],
            "blocks": [
                {
                    "id": "ask",
                    "type": "LLMBlock",
                    "config": {"user_prompt": "Tell me about {{ topic }}"},
                }
            ],
        },
    )
    seeds = tmp_path / "seeds.json"
    seeds.write_text(json.dumps([{"repetitions": 40, "metadata": {"topic": "tides"}}]))

    # the server wants a token: the app asks for it, keeps it, and sends it
    page.goto(f"{server.url}/generator")
    dialog = page.locator(tid("token-dialog"))
    expect(dialog).to_be_visible()
    page.fill(tid("token-input"), TOKEN)
    page.click(tid("token-save"))
    expect(dialog).to_have_count(0)
    expect(page.locator(tid("generator-pipeline"))).to_have_value(str(pipeline["id"]))
    assert page.evaluate("localStorage.getItem('datagenflow.apiToken')") == TOKEN

    page.set_input_files(tid("seed-file-input"), str(seeds))
    expect(page.locator(tid("seed-total-executions"))).to_have_text("40")
    page.click(tid("generate-button"))
    progress = page.locator(tid("job-progress"))
    expect(progress).to_have_attribute("data-status", "running")
    job_id = int(progress.get_attribute("data-job-id") or 0)

    # live progress over the event stream (the token goes in its query)
    expect(page.locator(tid("job-current-blocks"))).to_contain_text("ask")
    expect(page.locator(tid("job-done"))).not_to_have_text("0 / 40", timeout=20_000)
    assert progress.get_attribute("data-mode") == "stream"
    # elapsed, rate and ETA while it runs
    expect(page.locator(tid("job-elapsed"))).to_have_text(re.compile(r"^\d"))
    expect(page.locator(tid("job-rate"))).to_have_text(re.compile(r"^[\d.]+/s$"))
    expect(page.locator(tid("job-eta"))).to_have_text(re.compile(r"^\d"))
    assert page.locator(tid("job-cancel")).is_visible()
    # the header shows the active job on every page
    indicator = page.locator(tid("active-job-indicator"))
    expect(indicator).to_be_visible()
    expect(indicator).to_have_attribute("data-job-id", str(job_id))
    expect(indicator.get_by_role("status")).to_be_visible()  # its spinner
    expect(page.locator(tid("active-job-percent"))).to_contain_text("%")
    screenshot(page, "generator-running")

    # a second job while one runs: 409, shown with a link to the running job
    page.click(tid("generate-button"))
    conflict = page.locator(tid("generate-conflict"))
    expect(conflict).to_be_visible()
    expect(page.locator(tid("generate-conflict-link"))).to_have_attribute(
        "href", f"/generator?job={job_id}"
    )

    # opening the generator again shows the running job
    page.click(tid("nav-pipelines"))
    expect(page.locator(tid("active-job-indicator"))).to_be_visible()
    page.click(tid("active-job-link"))
    expect(page.locator(tid("job-progress"))).to_have_attribute("data-job-id", str(job_id))
    page.goto(f"{server.url}/generator")
    expect(page.locator(tid("job-progress"))).to_have_attribute("data-job-id", str(job_id))

    # cancel: prompt, and the finished records are kept
    started = time.monotonic()
    page.click(tid("job-cancel"))
    expect(page.locator(tid("job-status"))).to_have_attribute(
        "data-status", "cancelled", timeout=10_000
    )
    assert time.monotonic() - started < 8
    expect(page.locator(tid("job-cancel"))).to_have_count(0)
    expect(page.locator(tid("active-job-none"))).to_be_visible()
    job = server.json("GET", f"/api/jobs/{job_id}")
    assert job["status"] == "cancelled"
    assert 0 < job["done"] < 40
    kept = server.records(job_id)
    assert len(kept) == job["done"]
    # the final counts stay on screen
    expect(page.locator(tid("job-done"))).to_have_text(f"{job['done']} / 40")
    screenshot(page, "generator-cancelled")

    # export with a token set: fetched with the header, saved as a file
    page.click(tid("job-review-link"))
    expect(page.locator(tid("record-card")).first).to_be_visible()
    with page.expect_download() as info:
        page.click(tid("export-button"))
    target = tmp_path / "export.jsonl"
    info.value.save_as(target)
    rows = [json.loads(line) for line in target.read_text().splitlines() if line.strip()]
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in kept)
