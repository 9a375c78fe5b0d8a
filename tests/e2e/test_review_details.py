"""Generator pipeline choice and final stats; review: job selector, record contents, keys
ignored while typing, and bulk reject of the filtered records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from e2e_page import tid
from e2e_support import Server
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def answers_pipeline(server: Server, name: str) -> dict[str, Any]:
    """An LLM answer formatted as text: records whose output is a string."""
    return dict(
        server.json(
            "POST",
            "/api/pipelines",
            json={
                "name": name,
                "seed_fields": ["topic"],
                "blocks": [
                    {
                        "id": "ask",
                        "type": "LLMBlock",
                        "config": {"user_prompt": "Tell me about {{ topic }}"},
                    },
                    {
                        "id": "out",
                        "type": "OutputBlock",
                        "config": {"format_template": "Answer: {{ assistant }}"},
                    },
                ],
            },
        )
    )


def card(page: Page, record_id: int) -> Any:
    return page.locator(f'{tid("record-card")}[data-record-id="{record_id}"]')


def statuses(server: Server, job_id: int) -> dict[int, str]:
    return {r["id"]: r["status"] for r in server.records(job_id)}


def test_job_choice_review_contents_typing_and_bulk_reject(
    server: Server, page: Page, tmp_path: Path
) -> None:
    other = answers_pipeline(server, "Other answers")
    chosen = answers_pipeline(server, "Chosen answers")

    # the generator: the pipeline picked in the list is the one run
    seeds = tmp_path / "tides.json"
    seeds.write_text(json.dumps([{"repetitions": 5, "metadata": {"topic": "tides"}}]))
    page.goto(f"{server.url}/generator")
    choice = page.locator(tid("generator-pipeline"))
    expect(choice.locator("option")).to_have_count(2)
    choice.select_option(str(chosen["id"]))
    expect(page.locator(tid("generator-form"))).to_contain_text("ask → out")
    page.set_input_files(tid("seed-file-input"), str(seeds))
    expect(page.locator(tid("seed-total-executions"))).to_have_text("5")
    page.click(tid("generate-button"))
    expect(page.locator(tid("job-status"))).to_have_attribute("data-status", "completed")
    job_id = int(page.locator(tid("job-progress")).get_attribute("data-job-id") or 0)
    assert server.json("GET", f"/api/jobs/{job_id}")["pipeline_id"] == chosen["id"]
    # the final figures stay: elapsed, rate; no ETA once done
    expect(page.locator(tid("job-elapsed"))).to_have_text(re.compile(r"^\d"))
    expect(page.locator(tid("job-rate"))).to_have_text(re.compile(r"^[\d.]+/s$"))
    expect(page.locator(tid("job-eta"))).to_have_text("—")

    # a second job, of the other pipeline, started through the API
    started = server.api.post(
        "/api/generate",
        files={"file": ("snow.jsonl", b'{"repetitions": 2, "metadata": {"topic": "snow"}}\n')},
        data={"pipeline_id": str(other["id"])},
    )
    assert started.status_code == 201, started.text
    other_job = started.json()["job_id"]
    assert server.wait_for_job(other_job)["status"] == "completed"

    # review: the job selector switches between the jobs' records
    page.goto(f"{server.url}/review?job={job_id}")
    select = page.locator(tid("review-job-select"))
    expect(select).to_have_value(str(job_id))
    expect(page.locator(tid("status-count-all"))).to_have_text("5")
    select.select_option(str(other_job))
    expect(page).to_have_url(re.compile(rf"[?&]job={other_job}\b"))
    expect(page.locator(tid("status-count-all"))).to_have_text("2")
    expect(page.locator(tid("record-card"))).to_have_count(2)
    select.select_option(str(job_id))
    expect(page.locator(tid("status-count-pending"))).to_have_text("5")
    cards = page.locator(tid("record-card"))
    expect(cards).to_have_count(5)
    ids = [int(x) for x in cards.evaluate_all("els => els.map(e => e.dataset.recordId)")]

    # a card: its output, seed metadata and accumulated state
    first = card(page, ids[0])
    record = server.json("GET", f"/api/records/{ids[0]}")
    assert isinstance(record["output"], str) and record["output"].startswith("Answer: ")
    expect(first.locator(tid("record-output"))).to_contain_text("Answer: ")
    first.locator("summary", has_text="Seed metadata").click()
    expect(first.locator(tid("record-metadata"))).to_contain_text('"topic": "tides"')
    first.locator("summary", has_text="Accumulated state").click()
    state = first.locator(tid("record-state"))
    expect(state).to_contain_text('"assistant"')
    expect(state).to_contain_text('"output"')
    # its execution trace, collapsed until opened: per block input, output, state, time, tokens
    trace = first.locator(tid("record-trace"))
    expect(trace).to_be_hidden()
    first.locator(f"{tid('record-trace-toggle')} > summary").click()
    ask, out = trace.locator(tid("trace-entry-ask")), trace.locator(tid("trace-entry-out"))
    expect(ask.locator(tid("trace-duration"))).to_have_text(re.compile(r"^\d+\.\d ms$"))
    expect(ask.locator(tid("trace-tokens"))).to_have_text(re.compile(r"\d+ tokens$"))
    expect(out.locator(tid("trace-tokens"))).to_have_count(0)  # no LLM call
    ask.locator("summary").click()
    expect(ask.locator(tid("trace-input"))).to_contain_text('"topic": "tides"')
    expect(ask.locator(tid("trace-output"))).to_contain_text('"assistant"')
    expect(ask.locator(tid("trace-state"))).to_contain_text('"topic": "tides"')
    expect(ask.locator(tid("trace-state"))).not_to_contain_text('"output"')
    out.locator("summary").click()
    expect(out.locator(tid("trace-output"))).to_contain_text('"output": "Answer: ')
    expect(out.locator(tid("trace-state"))).to_contain_text('"assistant"')
    expect(first.locator(tid("trace-error"))).to_have_count(0)

    # keys are ignored while typing: in the edit dialog's text area, and in a focused select
    expect(first).to_have_attribute("data-selected", "true")
    page.keyboard.press("e")
    modal = page.locator(tid("edit-modal"))
    expect(modal).to_be_visible()
    area = page.locator(tid("edit-output-text"))
    area.click()
    page.keyboard.press("End")
    page.keyboard.type(" a r e n p")
    expect(area).to_have_value(record["output"] + " a r e n p")
    expect(modal).to_be_visible()
    page.click(tid("edit-cancel"))
    expect(modal).to_have_count(0)
    page.locator(tid("page-size")).focus()
    page.keyboard.press("a")
    page.keyboard.press("r")
    expect(first).to_have_attribute("data-selected", "true")
    assert set(statuses(server, job_id).values()) == {"pending"}
    assert server.json("GET", f"/api/records/{ids[0]}")["output"] == record["output"]

    # accept one with its button; then reject every other pending record at once
    card(page, ids[1]).locator(tid("record-accept")).click()
    expect(card(page, ids[1])).to_have_attribute("data-status", "accepted")
    page.click(tid("status-filter-pending"))
    expect(cards).to_have_count(4)
    page.click(tid("bulk-reject"))
    dialog = page.locator(tid("confirm-dialog"))
    expect(dialog).to_contain_text("4")
    expect(dialog).to_contain_text("rejected")
    page.click(tid("confirm-cancel"))
    expect(dialog).to_have_count(0)
    assert sorted(statuses(server, job_id).values()) == ["accepted"] + ["pending"] * 4
    page.click(tid("bulk-reject"))
    page.click(tid("confirm-ok"))
    expect(page.locator(tid("review-message"))).to_have_text("4 records rejected.")
    expect(page.locator(tid("status-count-pending"))).to_have_text("0")
    expect(page.locator(tid("status-count-rejected"))).to_have_text("4")
    expect(page.locator(tid("status-count-accepted"))).to_have_text("1")
    expect(page.locator(tid("review-empty"))).to_be_visible()

    # through the API: only the filtered records of this job were rejected
    now = statuses(server, job_id)
    assert now[ids[1]] == "accepted"
    assert sorted(now.values()) == ["accepted"] + ["rejected"] * 4
    assert set(statuses(server, other_job).values()) == {"pending"}
    page.click(tid("status-filter-rejected"))
    expect(cards).to_have_count(4)
    expect(card(page, ids[1])).to_have_count(0)
