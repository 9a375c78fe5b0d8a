from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from api_helpers import LLM_AND_OUTPUT, assert_error, create_pipeline


def test_template_becomes_a_pipeline(client: httpx.Client) -> None:
    templates = client.get("/api/templates").json()["templates"]
    assert templates, "no bundled templates"
    first = templates[0]
    assert {"id", "name", "description", "definition", "example_seeds"} <= set(first)
    created = client.post(f"/api/pipelines/from_template/{first['id']}")
    assert created.status_code == 201, created.text
    pipeline = created.json()
    assert pipeline["name"] == first["definition"]["name"]
    assert [b["id"] for b in pipeline["definition"]["blocks"]]
    listed = client.get("/api/pipelines").json()["pipelines"]
    assert [p["id"] for p in listed] == [pipeline["id"]]
    missing = client.post("/api/pipelines/from_template/qa_generatoin")
    assert_error(missing, 404, "did you mean")


def test_pipeline_crud_and_validation(client: httpx.Client) -> None:
    pipeline_id = create_pipeline(client)
    got = client.get(f"/api/pipelines/{pipeline_id}").json()
    assert got["definition"]["blocks"][0]["type"] == "LLMBlock"

    renamed = {**LLM_AND_OUTPUT, "name": "Renamed", "layout": {"ask": {"x": 1.0, "y": 2.0}}}
    updated = client.put(f"/api/pipelines/{pipeline_id}", json=renamed)
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Renamed"
    assert updated.json()["definition"]["layout"] == {"ask": {"x": 1.0, "y": 2.0}}

    bad = {
        "name": "Broken",
        "blocks": [
            {"id": "a", "type": "LLMBlok", "config": {}},
            {"id": "b", "type": "OutputBlock", "config": {}},
        ],
    }
    refused = assert_error(client.put(f"/api/pipelines/{pipeline_id}", json=bad), 422)
    kinds = {(p["block_id"], p["kind"]) for p in refused["detail"]["problems"]}
    assert ("a", "unknown_type") in kinds and ("b", "missing_config") in kinds
    assert "LLMBlock" in refused["error"]

    report = client.post("/api/pipelines/validate", json=bad).json()
    assert report["valid"] is False and len(report["problems"]) == 2
    good = client.post(
        "/api/pipelines/validate", json={**LLM_AND_OUTPUT, "seed_fields": ["topic"]}
    ).json()
    assert good == {
        "valid": True,
        "problems": [],
        "fields": {"ask": ["topic"], "out": ["topic", "assistant"]},
        "blocks": {
            "ask": {"available": ["topic"], "outputs": ["assistant"]},
            "out": {"available": ["topic", "assistant"], "outputs": ["output"]},
        },
    }

    assert client.delete(f"/api/pipelines/{pipeline_id}").status_code == 204
    assert_error(client.get(f"/api/pipelines/{pipeline_id}"), 404, str(pipeline_id))


def test_execute_one_seed_and_state_schema(client: httpx.Client) -> None:
    pipeline_id = create_pipeline(client, {**LLM_AND_OUTPUT, "seed_fields": ["topic"]})
    result = client.post(
        f"/api/pipelines/{pipeline_id}/execute", json={"metadata": {"topic": "owls"}}
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["status"] == "succeeded" and body["output"].startswith("owls: ")
    assert [t["block_id"] for t in body["trace"]] == ["ask", "out"]
    assert body["trace"][1]["input"]["assistant"] == body["accumulated_state"]["assistant"]
    assert body["trace"][0]["usage"]["total_tokens"] > 0
    assert client.get("/api/records").json()["total"] == 0

    missing_field = client.post(f"/api/pipelines/{pipeline_id}/execute", json={"metadata": {}})
    assert_error(missing_field, 422, "topic")

    schema = client.get(f"/api/pipelines/{pipeline_id}/accumulated_state_schema").json()
    assert schema["seed_fields"] == ["topic"]
    assert schema["fields"] == ["topic", "assistant", "output"]
    assert schema["blocks"]["out"] == {"available": ["topic", "assistant"], "outputs": ["output"]}


def test_bad_requests_answer_readable_422s(client: httpx.Client) -> None:
    not_json = client.post(
        "/api/pipelines", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert_error(not_json, 422, "not valid JSON")
    wrong_type = client.post("/api/pipelines", json={"name": "x", "blocks": "ask"})
    assert_error(wrong_type, 422, "blocks")
    assert_error(client.get("/api/records", params={"limit": 10_000}), 422, "limit")
    assert_error(client.get("/api/records", params={"status": "great"}), 422, "great")
    assert_error(client.get("/api/pipelines/abc"), 422, "pipeline_id")
    assert_error(client.get("/api/nothing-here"), 404)
    assert_error(client.put("/api/records/1", json={}), 422)
    assert_error(client.put("/api/records", json={"status": "accepted"}), 422, "job_id")
    assert_error(client.put("/api/records", json={"job_id": 1, "status": "great"}), 422, "status")
    assert_error(client.delete("/api/records"), 422, "job_id")


def test_blocks_list_reports_broken_user_blocks(make_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "user_blocks"
    folder.mkdir()
    (folder / "broken.py").write_text("import nothing_such_module\n")
    (folder / "upper.py").write_text(
        "from typing import Any\n"
        "from datagenflow import BaseBlock\n\n"
        "class Uppercase(BaseBlock):\n"
        "    name = 'Uppercase'\n"
        "    inputs = ['text']\n"
        "    outputs = ['result']\n\n"
        "    async def execute(self, data: dict[str, Any]) -> dict[str, Any]:\n"
        "        return {'result': data['text'].upper()}\n"
    )
    client = make_server().client
    body = client.get("/api/blocks").json()
    assert "Uppercase" in {b["type"] for b in body["blocks"]}
    assert body["errors"][0]["source"].endswith("broken.py")
    assert "nothing_such_module" in body["errors"][0]["error"]


MULTILINE = {
    "name": "Quiz: Q&A / v2",
    "seed_fields": ["content"],
    "blocks": [
        {
            "id": "ask",
            "type": "LLMBlock",
            "config": {
                "system_prompt": "You write quiz questions.\nOne per answer.\n",
                "user_prompt": "Content:\n  {{ content }}\n\nWrite one question.",
            },
        },
        {"id": "out", "type": "OutputBlock", "config": {"format_template": "{{ assistant }}"}},
    ],
    "layout": {"ask": {"x": 10.0, "y": 20.5}, "out": {"x": 10.0, "y": 200.0}},
}


def test_download_then_import_gives_the_same_pipeline(client: httpx.Client) -> None:
    pipeline_id = create_pipeline(client, MULTILINE)
    stored = client.get(f"/api/pipelines/{pipeline_id}").json()["definition"]

    as_yaml = client.get(f"/api/pipelines/{pipeline_id}/download")
    assert as_yaml.status_code == 200, as_yaml.text
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    disposition = as_yaml.headers["content-disposition"]
    assert disposition == 'attachment; filename="quiz-q-a-v2.yaml"'
    text = as_yaml.text
    assert text.startswith("name: 'Quiz: Q&A / v2'\n")
    assert "  system_prompt: |\n      You write quiz questions.\n      One per answer.\n" in text

    imported = client.post(
        "/api/pipelines/import",
        content=text.encode(),
        params={"filename": "quiz-q-a-v2.yaml"},
        headers={"Content-Type": "application/yaml"},
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["id"] != pipeline_id
    assert imported.json()["definition"] == stored

    as_json = client.get(f"/api/pipelines/{pipeline_id}/download", params={"format": "json"})
    assert as_json.headers["content-disposition"].endswith('quiz-q-a-v2.json"')
    assert json.loads(as_json.text) == {k: v for k, v in stored.items() if v is not None}
    again = client.post(
        "/api/pipelines/import",
        content=as_json.content,
        headers={"Content-Type": "application/json"},
    )
    assert again.status_code == 201, again.text
    assert again.json()["definition"] == stored
    assert len(client.get("/api/pipelines").json()["pipelines"]) == 3

    assert_error(client.get("/api/pipelines/999/download"), 404)
    assert_error(client.get(f"/api/pipelines/{pipeline_id}/download?format=xml"), 422, "format")


def test_a_downloaded_pipeline_runs_from_the_command_line(
    client: httpx.Client, tmp_path: Path
) -> None:
    pipeline_id = create_pipeline(client, MULTILINE)
    path = tmp_path / "quiz.yaml"
    path.write_bytes(client.get(f"/api/pipelines/{pipeline_id}/download").content)
    (tmp_path / "seeds.jsonl").write_text('{"content": "owls"}\n{"content": "bats"}\n')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "datagenflow",
            "run",
            str(path),
            "--seeds",
            "seeds.jsonl",
            "--out",
            "out.jsonl",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert [json.loads(line)["metadata"]["content"] for line in lines] == ["owls", "bats"]


def test_import_refuses_bad_files_naming_the_problem(client: httpx.Client) -> None:
    def send(
        body: bytes, filename: str = "p.yaml", kind: str = "application/yaml"
    ) -> httpx.Response:
        return client.post(
            "/api/pipelines/import",
            content=body,
            params={"filename": filename},
            headers={"Content-Type": kind},
        )

    assert_error(
        send(b"name: p\nblocks:\n\t- x\n"), 422, "p.yaml is not valid YAML or JSON at line 3"
    )
    assert_error(
        send(b'{"name": "p", "blocks": [}', "p.json"), 422, "p.json is not valid JSON at line 1"
    )
    assert_error(send(b"- just\n- a list\n"), 422, "must be a mapping")
    assert_error(send(b"name: p\nblocks: [{type: LLMBlok}]\n"), 422, "did you mean 'LLMBlock'")
    invalid = assert_error(send(b"name: p\nblocks: [{type: LLMBlock}, {type: OutputBlock}]\n"), 422)
    assert {p["block_id"] for p in invalid["detail"]["problems"]} == {"llm_block", "output_block"}
    assert_error(send(b"name: p\xff\n"), 422, "not UTF-8")
    assert_error(send(b"name: p\nblocks: " + b"[" * 5000 + b"]" * 5000), 422, "nested")
    assert_error(send(b"x" * (1024 * 1024 + 1)), 413, "p.yaml")
    assert client.get("/api/pipelines").json()["pipelines"] == []
