"""Upload seeds, generate with live progress, then review (keys A, R, E), export and delete."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from e2e_page import tid, type_in_code_editor
from e2e_support import Server, screenshot
from playwright.sync_api import Page, expect
from support import EXPORT_KEYS

pytestmark = pytest.mark.e2e


def drop_file(page: Page, testid: str, name: str, text: str) -> None:
    """Drops a file onto an element, as dragging it from the desktop does."""
    transfer = page.evaluate_handle(
        """([name, text]) => {
            const dt = new DataTransfer();
            dt.items.add(new File([text], name, { type: 'application/octet-stream' }));
            return dt;
        }""",
        [name, text],
    )
    page.dispatch_event(tid(testid), "drop", {"dataTransfer": transfer})


def selected_id(page: Page) -> int:
    return int(
        page.locator(f'{tid("record-card")}[data-selected="true"]').get_attribute("data-record-id")
        or 0
    )


def statuses(server: Server, job_id: int) -> dict[int, str]:
    return {r["id"]: r["status"] for r in server.records(job_id)}


def test_generate_watch_progress_review_export_delete(
    server: Server, page: Page, tmp_path: Path
) -> None:
    pipeline = server.json("POST", "/api/pipelines/from_template/qa_generation")
    page.goto(f"{server.url}/generator?pipeline={pipeline['id']}")
    expect(page.locator(tid("generator-pipeline"))).to_have_value(str(pipeline["id"]))
    expect(page.locator(tid("generate-button"))).to_be_disabled()

    # a bad seed file is refused before anything starts, with the server's message
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [{"repetitions": 1, "metadata": {"content": "x"}}, {"repetitions": 0, "metadata": {}}]
        )
    )
    page.set_input_files(tid("seed-file-input"), str(bad))
    expect(page.locator(tid("seed-error"))).to_be_visible()
    expect(page.locator(tid("seed-error"))).to_contain_text("bad.json")
    expect(page.locator(tid("generate-button"))).to_be_disabled()

    # JSONL seeds dropped on the drop zone: 4 seeds x 3 repetitions = 12 records
    topics = [
        "Photosynthesis makes sugar.",
        "Rivers flow to the sea.",
        "Iron rusts in water.",
        "Bees make honey.",
    ]
    lines = [
        json.dumps({"repetitions": 3, "metadata": {"content": t, "level": "beginner"}})
        for t in topics
    ]
    drop_file(page, "seed-dropzone", "seeds.jsonl", "\n".join(lines) + "\n")
    expect(page.locator(tid("seed-validation"))).to_have_attribute("data-state", "ok")
    expect(page.locator(tid("seed-total-executions"))).to_have_text("12")

    page.click(tid("generate-button"))
    progress = page.locator(tid("job-progress"))
    expect(progress).to_be_visible()
    job_id = int(progress.get_attribute("data-job-id") or 0)
    assert job_id
    expect(page.locator(tid("job-status"))).to_have_attribute(
        "data-status", "completed", timeout=60_000
    )
    expect(page.locator(tid("job-percent"))).to_have_text("100%")
    expect(page.locator(tid("job-done"))).to_have_text("12 / 12")
    expect(page.locator(tid("job-succeeded"))).to_have_text("12")
    expect(page.locator(tid("job-failed"))).to_have_text("0")
    expect(page.locator(tid("job-progress-bar"))).to_have_attribute("aria-valuenow", "100")
    expect(page.locator(tid("job-cancel"))).to_have_count(0)
    expect(page.locator(tid(f"job-row-{job_id}"))).to_be_visible()
    screenshot(page, "generator")

    # the job page reloads (deep link) with its final counts
    page.goto(f"{server.url}/generator?job={job_id}")
    expect(page.locator(tid("job-done"))).to_have_text("12 / 12")

    # review: every record pending; keys act on the selected card
    page.click(tid("job-review-link"))
    expect(page.locator(tid("review-job-select"))).to_have_value(str(job_id))
    expect(page.locator(tid("status-count-pending"))).to_have_text("12")
    cards = page.locator(tid("record-card"))
    expect(cards).to_have_count(12)
    ids = [int(x) for x in cards.evaluate_all("els => els.map(e => e.dataset.recordId)")]
    expect(cards.first).to_have_attribute("data-selected", "true")

    page.keyboard.press("a")
    expect(page.locator(f'{tid("record-card")}[data-record-id="{ids[0]}"]')).to_have_attribute(
        "data-status", "accepted"
    )
    expect(page.locator(f'{tid("record-card")}[data-record-id="{ids[1]}"]')).to_have_attribute(
        "data-selected", "true"
    )
    page.keyboard.press("r")
    expect(page.locator(f'{tid("record-card")}[data-record-id="{ids[1]}"]')).to_have_attribute(
        "data-status", "rejected"
    )
    assert selected_id(page) == ids[2]
    page.keyboard.press("n")
    assert selected_id(page) == ids[3]
    page.keyboard.press("p")
    assert selected_id(page) == ids[2]

    # E edits: typed keys (a, r, e, n) go to the editor, not to the shortcuts
    record = server.json("GET", f"/api/records/{ids[2]}")
    page.keyboard.press("e")
    modal = page.locator(tid("edit-modal"))
    expect(modal).to_be_visible()
    new_output: Any
    if isinstance(record["output"], str):
        new_output = "an edited answer, reviewed and rewritten"
        page.fill(tid("edit-output-text"), new_output)
    else:
        new_output = {"question": "an edited question?", "answer": "a rewritten answer"}
        type_in_code_editor(page, "edit-output-json", json.dumps(new_output))
    page.click(tid("edit-save"))
    expect(modal).to_have_count(0)
    edited_card = page.locator(f'{tid("record-card")}[data-record-id="{ids[2]}"]')
    expect(edited_card).to_have_attribute("data-status", "edited")

    # the state, checked through the API
    now = statuses(server, job_id)
    assert now[ids[0]] == "accepted"
    assert now[ids[1]] == "rejected"
    assert now[ids[2]] == "edited"
    assert sorted(now.values()).count("pending") == 9
    edited = server.json("GET", f"/api/records/{ids[2]}")
    assert edited["output"] == new_output
    assert edited["original_output"] == record["output"]
    expect(page.locator(tid("status-count-accepted"))).to_have_text("1")
    expect(page.locator(tid("status-count-rejected"))).to_have_text("1")
    expect(page.locator(tid("status-count-edited"))).to_have_text("1")
    expect(page.locator(tid("status-count-pending"))).to_have_text("9")

    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "review")

    # a record's card: output, seed metadata, accumulated state and the execution trace
    edited_card.locator(f"{tid('record-trace-toggle')} > summary").click()
    for block in pipeline["definition"]["blocks"]:
        expect(edited_card.locator(tid(f"trace-entry-{block['id']}"))).to_be_visible()
    first_step = edited_card.locator(
        tid(f"trace-entry-{pipeline['definition']['blocks'][0]['id']}")
    )
    first_step.locator("summary").click()
    expect(first_step).to_contain_text("ms")
    expect(first_step).to_contain_text("tokens")
    screenshot(edited_card, "review-trace")

    # filtered by status; export of the filtered records
    page.click(tid("status-filter-accepted"))
    expect(cards).to_have_count(1)
    exported = export(page, tmp_path / "accepted.jsonl")
    assert [row["id"] for row in exported] == [ids[0]]

    page.click(tid("status-filter-all"))
    expect(cards).to_have_count(12)
    exported = export(page, tmp_path / "all.jsonl")
    assert len(exported) == 12
    assert all(set(row) == EXPORT_KEYS for row in exported)
    by_id = {row["id"]: row for row in exported}
    assert by_id[ids[2]]["status"] == "edited" and by_id[ids[2]]["output"] == new_output
    assert {row["job_id"] for row in exported} == {job_id}

    # pagination
    page.select_option(tid("page-size"), "10")
    expect(cards).to_have_count(10)
    expect(page.locator(tid("page-info"))).to_have_text("1\u201310 of 12")
    page.click(tid("page-next"))
    expect(cards).to_have_count(2)
    expect(page.locator(tid("page-info"))).to_have_text("11\u201312 of 12")
    page.click(tid("page-prev"))
    expect(cards).to_have_count(10)

    # bulk accept of the filtered (pending) records, with confirmation
    page.click(tid("status-filter-pending"))
    expect(cards).to_have_count(9)
    page.click(tid("bulk-accept"))
    expect(page.locator(tid("confirm-dialog"))).to_contain_text("9")
    page.click(tid("confirm-ok"))
    expect(page.locator(tid("status-count-pending"))).to_have_text("0")
    expect(page.locator(tid("status-count-accepted"))).to_have_text("10")
    assert sorted(statuses(server, job_id).values()).count("accepted") == 10

    # a deep link to the review of this job reloads
    page.goto(f"{server.url}/review?job={job_id}&status=rejected")
    expect(cards).to_have_count(1)
    expect(page.locator(tid("status-filter-rejected"))).to_have_attribute("aria-selected", "true")

    # delete the job's records (and the job), with confirmation
    page.click(tid("delete-job-records"))
    expect(page.locator(tid("confirm-dialog"))).to_contain_text("12")
    page.click(tid("confirm-ok"))
    expect(page.locator(tid("review-message"))).to_contain_text("Deleted 12")
    assert server.api.get(f"/api/jobs/{job_id}").status_code == 404
    assert server.json("GET", "/api/records", params={"job_id": job_id})["total"] == 0
    expect(page.locator(tid("review-no-jobs"))).to_be_visible()


def export(page: Page, target: Path) -> list[dict[str, Any]]:
    with page.expect_download() as info:
        page.click(tid("export-button"))
    info.value.save_as(target)
    assert info.value.suggested_filename.endswith(".jsonl")
    return [json.loads(line) for line in target.read_text().splitlines() if line.strip()]


def test_failed_records_show_their_error_and_retry(
    server: Server, page: Page, tmp_path: Path
) -> None:
    # the fake LLM answers prose, so a strict JSON check fails every record
    pipeline = server.json(
        "POST",
        "/api/pipelines",
        json={
            "name": "Always fails",
            "seed_fields": ["topic"],
            "blocks": [
                {
                    "id": "ask",
                    "type": "LLMBlock",
                    "config": {"user_prompt": "Say something about {{ topic }}"},
                },
                {
                    "id": "parse",
                    "type": "JSONValidatorBlock",
                    "config": {"field_name": "assistant", "strict": True},
                },
            ],
            "edges": [["ask", "parse"]],
        },
    )
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("topic\nrain\nsnow\n")
    page.goto(f"{server.url}/generator?pipeline={pipeline['id']}")
    page.set_input_files(tid("seed-file-input"), str(seeds))
    expect(page.locator(tid("seed-total-executions"))).to_have_text("2")
    page.click(tid("generate-button"))
    # a job whose every record failed ends "failed"
    expect(page.locator(tid("job-status"))).to_have_attribute(
        "data-status", "failed", timeout=60_000
    )
    expect(page.locator(tid("job-failed"))).to_have_text("2")
    expect(page.locator(tid("job-succeeded"))).to_have_text("0")
    job_id = int(page.locator(tid("job-progress")).get_attribute("data-job-id") or 0)

    page.click(tid("job-review-link"))
    expect(page.locator(tid("status-count-failed"))).to_have_text("2")
    page.click(tid("status-filter-failed"))
    card = page.locator(tid("record-card")).first
    expect(card.locator(tid("record-error"))).not_to_be_empty()
    card.locator(f"{tid('record-trace-toggle')} > summary").click()
    failed_step = card.locator(tid("trace-entry-parse"))
    expect(failed_step).to_have_class("trace-entry failed")
    failed_step.locator("summary").click()
    expect(failed_step.locator(tid("trace-error"))).not_to_be_empty()
    # the steps before the failure are kept
    expect(card.locator(tid("trace-entry-ask"))).not_to_have_class(re.compile("failed"))
    expect(page.locator(tid("bulk-accept"))).to_be_disabled()
    # failed records are retried, not reviewed
    expect(card.locator(tid("record-accept"))).to_have_count(0)
    page.keyboard.press("a")
    expect(page.locator(tid("review-message"))).to_contain_text("retry")
    screenshot(page, "review-failed")

    page.click(tid("retry-failed"))
    expect(page.locator(tid("review-message"))).to_contain_text("Retrying")
    job = server.wait_for_job(job_id)
    assert job["failed"] == 2
    assert sum(1 for r in server.records(job_id) if r["status"] == "failed") == 2


def test_a_job_stopped_early_offers_to_run_what_it_never_reached(
    server: Server, page: Page
) -> None:
    # every record fails (prose is not JSON): the job stops after its first 25
    pipeline = server.json(
        "POST",
        "/api/pipelines",
        json={
            "name": "Stops early",
            "seed_fields": ["topic"],
            "blocks": [
                {"id": "ask", "type": "LLMBlock", "config": {"user_prompt": "About {{ topic }}"}},
                {
                    "id": "parse",
                    "type": "JSONValidatorBlock",
                    "config": {"field_name": "assistant", "strict": True},
                },
            ],
        },
    )
    seeds = json.dumps([{"repetitions": 200, "metadata": {"topic": "tides"}}]).encode()
    started = server.api.post(
        "/api/generate",
        files={"file": ("tides.json", seeds)},
        data={"pipeline_id": str(pipeline["id"])},
    )
    assert started.status_code == 201, started.text
    job = server.wait_for_job(started.json()["job_id"])
    assert job["status"] == "failed" and "first 25 executions all failed" in job["error"]
    unrun = job["total"] - job["done"]
    assert unrun > 0

    page.goto(f"{server.url}/review?job={job['id']}")
    retry = page.locator(tid("retry-failed"))
    expect(retry).to_have_text(f"Retry failed ({job['failed']}) + {unrun} not run")
    expect(retry).to_have_attribute("title", re.compile("never reached"))
    retry.click()
    expect(page.locator(tid("review-message"))).to_contain_text("Retrying")
    again = server.wait_for_job(job["id"])  # the prompt is still broken: stopped early again
    assert again["status"] == "failed" and "first 25 executions all failed" in again["error"]
    assert again["finished_at"] != job["finished_at"]
