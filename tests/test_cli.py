"""The real `datagenflow` command in a subprocess, against the fake LLM over real sockets."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import EXPORT_KEYS, UPPERCASE

from datagenflow.llm.mock_server import MockServerThread
from datagenflow.templates import list_templates

_SCRIPT = Path(sys.executable).with_name("datagenflow")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "datagenflow.cli"]


PIPELINE = """\
name: Q&A
blocks:
  - id: ask
    type: LLMBlock
    config:
      system_prompt: "You write quiz questions."
      user_prompt: "Write one question about: {{ topic }}"
  - id: check
    type: ValidatorBlock
    config: {min_length: 10}
  - id: out
    type: OutputBlock
    config:
      format_template: '{"topic": {{ topic | tojson }}, "question": {{ assistant | tojson }}}'
      parse_json: true
"""


class Cli:
    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*COMMAND, *args],
            cwd=self.workdir,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.workdir / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture
def cli(tmp_path: Path, fake_llm: MockServerThread) -> Iterator[Cli]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "DATAGENFLOW_"))}
    env.update(
        LLM_BASE_URL=fake_llm.base_url,
        LLM_MAX_RETRIES="2",
        DATAGENFLOW_USER_BLOCKS=str(tmp_path / "user_blocks"),
        PYTHONUNBUFFERED="1",
    )
    yield Cli(tmp_path, env)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _one_paragraph_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    text = result.stderr.strip()
    assert text.startswith("error: "), text
    assert "\n\n" not in text
    return text


def _seeds(cli: Cli, counts: list[int]) -> Path:
    data = [{"repetitions": n, "metadata": {"topic": f"topic {i}"}} for i, n in enumerate(counts)]
    return cli.write("seeds.json", json.dumps(data))


def test_run_writes_one_line_per_record(cli: Cli, fake_llm: MockServerThread) -> None:
    cli.write("pipeline.yaml", PIPELINE)
    _seeds(cli, [3, 1, 2])
    result = cli("run", "pipeline.yaml", "--seeds", "seeds.json", "--out", "out/records.jsonl",
                 "--concurrency", "3")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "6 succeeded, 0 failed" in result.stdout
    lines = _lines(cli.workdir / "out" / "records.jsonl")
    assert len(lines) == 6
    assert not (cli.workdir / "out" / "records.failed.jsonl").exists()
    assert len({line["id"] for line in lines}) == 6
    assert len({line["job_id"] for line in lines}) == 1
    for line in lines:
        assert set(line) >= EXPORT_KEYS
        assert line["status"] == "pending"
        topic = line["metadata"]["topic"]
        state = line["accumulated_state"]
        assert set(state) == {"assistant", "is_valid", "validation_errors", "output"}
        assert line["output"] == {"topic": topic, "question": state["assistant"]}
        assert topic in state["assistant"]  # the fake echoes the rendered prompt
        assert line["created_at"] and line["updated_at"]
    counts: dict[str, int] = {}
    for line in lines:
        counts[line["metadata"]["topic"]] = counts.get(line["metadata"]["topic"], 0) + 1
    assert counts == {"topic 0": 3, "topic 1": 1, "topic 2": 2}
    stats = fake_llm.stats()
    assert stats["requests"] == 6 and stats["max_in_flight"] <= 3


@pytest.fixture
def flaky_llm() -> Iterator[MockServerThread]:
    with MockServerThread(error_rate=0.5, seed=7) as server:
        yield server


def test_failed_records_go_to_their_own_file(cli: Cli, flaky_llm: MockServerThread) -> None:
    cli.write("pipeline.yaml", PIPELINE)
    _seeds(cli, [5, 5])
    result = cli("run", "pipeline.yaml", "--seeds", "seeds.json", "--out", "records.jsonl",
                 "--concurrency", "2", "--quiet",
                 LLM_BASE_URL=flaky_llm.base_url, LLM_MAX_RETRIES="0")  # fmt: skip
    assert result.returncode == 0, result.stderr
    good = _lines(cli.workdir / "records.jsonl")
    bad = _lines(cli.workdir / "records.failed.jsonl")
    assert good and bad and len(good) + len(bad) == 10
    assert f"{len(good)} succeeded, {len(bad)} failed" in result.stdout
    assert "records.failed.jsonl" in result.stdout
    assert flaky_llm.stats()["requests"] == 10  # no retries
    for line in bad:
        assert set(line) >= EXPORT_KEYS
        assert line["status"] == "failed"
        assert line["error_block"] == "ask"
        assert "LLMHTTPError" in line["error"] and (
            "429" in line["error"] or "500" in line["error"]
        )
        assert line["output"] is None
        assert line["trace"][0]["block_id"] == "ask" and line["trace"][0]["error"] == line["error"]
    assert {(line["seed_index"], line["repetition"]) for line in good + bad} == {
        (s, r) for s in range(2) for r in range(5)
    }


def test_exit_1_when_no_record_succeeds(cli: Cli) -> None:
    cli.write("pipeline.yaml", PIPELINE)
    _seeds(cli, [3])
    with MockServerThread(error_rate=1.0) as broken:
        result = cli("run", "pipeline.yaml", "--seeds", "seeds.json", "--out", "r.jsonl",
                     LLM_BASE_URL=broken.base_url, LLM_MAX_RETRIES="0")  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "0 succeeded, 3 failed" in result.stdout
    assert len(_lines(cli.workdir / "r.failed.jsonl")) == 3
    assert _lines(cli.workdir / "r.jsonl") == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: p\nblocks:\n\t- id: a\n", "is not valid YAML or JSON at line 3"),
        ("name: p\nblocks:\n  - type: LLMBlok\n    config: {user_prompt: x}\n",
         "unknown block 'LLMBlok'; did you mean 'LLMBlock'?"),
        ("name: p\nblocks: 5\n", "blocks: Input should be a valid list"),
        ("name: p\nblocks:\n  - type: LLMBlock\n    config: {user_prompt: x, temperature: hot}\n",
         "'temperature' = 'hot'"),
        ("- just\n- a list\n", "must be a mapping"),
        ("name: p\nblocks:\n  - type: OutputBlock\n    config: {format_template: '{{ nope }}'}\n",
         "no upstream block or seed provides 'nope'"),
    ],
)  # fmt: skip
def test_malformed_pipeline_exits_2(cli: Cli, text: str, words: str) -> None:
    cli.write("bad.yaml", text)
    _seeds(cli, [1])
    result = cli("run", "bad.yaml", "--seeds", "seeds.json", "--out", "r.jsonl")
    message = _one_paragraph_error(result)
    assert words in message
    assert not (cli.workdir / "r.jsonl").exists()  # nothing started


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("seeds.json", b'[{"metadata": {"topic": "a"}}, {"metadata": }]', "invalid JSON at line 1"),
        (
            "seeds.json",
            b'[{"metadata": {"topic": "a"}, "repetitions": 0}]',
            "seed 0: 'repetitions'",
        ),
        ("seeds.csv", b"topic,level\na,b\nc\n", "line 3 has 1 values"),
        ("seeds.jsonl", b"", "the file is empty"),
        ("seeds.json", b'[{"metadata": {"topic": "caf\xe9"}}]', "not UTF-8"),
    ],
)
def test_malformed_seed_file_exits_2(cli: Cli, name: str, content: bytes, words: str) -> None:
    cli.write("pipeline.yaml", PIPELINE)
    cli.write(name, content)
    result = cli("run", "pipeline.yaml", "--seeds", name, "--out", "r.jsonl")
    assert words in _one_paragraph_error(result)
    assert not (cli.workdir / "r.jsonl").exists()


def test_seed_cap_from_settings(cli: Cli) -> None:
    cli.write("pipeline.yaml", PIPELINE)
    _seeds(cli, [3, 3])
    result = cli("run", "pipeline.yaml", "--seeds", "seeds.json", MAX_EXECUTIONS="5")
    assert "6 executions" in _one_paragraph_error(result)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "qa_generaton"], "did you mean 'qa_generation'?"),
        (["run", "missing.yaml", "--seeds", "s.json"], "pipeline file missing.yaml does not exist"),
        (["run", "pipeline.yaml"], "--seeds FILE is required"),
        (["run", "pipeline.yaml", "--seeds", "nope.json"], "seed file nope.json does not exist"),
        (["validate", "nonsense"], "neither a pipeline file nor a template id"),
    ],
)
def test_bad_arguments_exit_2(cli: Cli, args: list[str], words: str) -> None:
    cli.write("pipeline.yaml", PIPELINE)
    assert words in _one_paragraph_error(cli(*args))


def test_bad_setting_exits_2(cli: Cli) -> None:
    cli.write("pipeline.yaml", PIPELINE)
    _seeds(cli, [1])
    result = cli("run", "pipeline.yaml", "--seeds", "seeds.json", LLM_MAX_RETRIES="many")
    assert "LLM_MAX_RETRIES" in _one_paragraph_error(result)


def test_bad_option_exits_2(cli: Cli) -> None:
    result = cli("run", "x.yaml", "--concurrency", "0")
    assert result.returncode == 2 and "concurrency" in result.stderr


def test_validate(cli: Cli) -> None:
    cli.write("good.yaml", PIPELINE)
    result = cli("validate", "good.yaml")
    assert result.returncode == 0, result.stderr
    assert "good.yaml: valid (3 blocks)" in result.stdout

    cli.write(
        "bad.yaml",
        "name: p\nblocks:\n"
        "  - {id: ask, type: LLMBlok}\n"
        "  - {id: check, type: ValidatorBlock, config: {min_length: ten}}\n"
        "  - {id: out, type: OutputBlock, config: {format_template: '{{ oops '}}\n"
        "edges: [[ask, check], [check, out], [out, ask]]\n",
    )
    result = cli("validate", "bad.yaml")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "bad.yaml: 4 problem(s)"
    assert lines[1:] == [
        "  - block 'ask': unknown block 'LLMBlok'; did you mean 'LLMBlock'?",
        "  - block 'check', min_length: 'min_length' = 'ten': Input should be a valid integer, "
        "unable to parse string as an integer",
        "  - block 'ask': blocks form a cycle: ask -> check -> out -> ask",
        "  - block 'out', format_template: template does not parse: unexpected end of template, "
        "expected 'end of print statement'. (line 1)",
    ]


def test_validate_with_seed_fields(cli: Cli) -> None:
    cli.write("good.yaml", PIPELINE)
    cli.write("seeds.csv", "subject\nx\n")
    result = cli("validate", "good.yaml", "--seeds", "seeds.csv")
    assert result.returncode == 2
    assert "no upstream block or seed provides 'topic'" in result.stderr


def test_templates_lists_the_three(cli: Cli) -> None:
    result = cli("templates")
    assert result.returncode == 0
    ids = [line.split()[0] for line in result.stdout.strip().splitlines()]
    assert ids == ["json_generation", "qa_generation", "text_classification"]
    as_json = json.loads(cli("templates", "--json").stdout)
    assert [t["id"] for t in as_json] == ids
    assert all(t["example_seeds"] and t["definition"]["blocks"] for t in as_json)


@pytest.mark.parametrize("template", [t.id for t in list_templates()])
def test_each_template_runs_with_its_example_seeds(
    cli: Cli, fake_llm: MockServerThread, template: str
) -> None:
    result = cli("run", template, "--out", "t.jsonl", "--concurrency", "4")
    assert result.returncode == 0, result.stderr
    lines = _lines(cli.workdir / "t.jsonl")
    expected = {
        t.id: sum(s.get("repetitions", 1) for s in t.example_seeds) for t in list_templates()
    }[template]
    assert len(lines) == expected
    assert f"{expected} succeeded, 0 failed" in result.stdout
    assert not (cli.workdir / "t.failed.jsonl").exists()
    for line in lines:
        assert set(line) >= EXPORT_KEYS
        assert isinstance(line["output"], dict) and line["output"]
    assert fake_llm.stats()["requests"] >= expected


def test_blocks_lists_builtins_and_user_blocks(cli: Cli) -> None:
    folder = cli.workdir / "user_blocks"
    folder.mkdir()
    (folder / "uppercase.py").write_text(UPPERCASE, encoding="utf-8")
    result = cli("blocks")
    assert result.returncode == 0, result.stderr
    types = [line.split()[0] for line in result.stdout.strip().splitlines()]
    assert types == sorted(
        ["JSONValidatorBlock", "LLMBlock", "OutputBlock", "StructuredGenerator", "ValidatorBlock",
         "Uppercase"]
    )  # fmt: skip
    listed = json.loads(cli("blocks", "--json").stdout)
    upper = next(b for b in listed["blocks"] if b["type"] == "Uppercase")
    assert upper["source"] == "user" and upper["outputs"] == ["result"]
    assert listed["errors"] == []


def test_blocks_reports_a_broken_file_and_exits_2(cli: Cli) -> None:
    folder = cli.workdir / "user_blocks"
    folder.mkdir()
    (folder / "uppercase.py").write_text(UPPERCASE, encoding="utf-8")
    broken = folder / "broken.py"
    broken.write_text("from datagenflow import BaseBlock\nclass Broken(BaseBlock:\n    pass\n")
    result = cli("blocks")
    assert result.returncode == 2
    assert "Uppercase" in result.stdout  # the rest is still listed
    assert f"error: block file {broken}: SyntaxError" in result.stderr
    assert result.stderr.count(str(broken)) == 1  # said once, not also by the logger
    assert "(line 2)" in result.stderr


def test_run_with_a_user_block(cli: Cli) -> None:
    folder = cli.workdir / "user_blocks"
    folder.mkdir()
    (folder / "uppercase.py").write_text(UPPERCASE, encoding="utf-8")
    cli.write(
        "shout.yaml", "name: shout\nblocks:\n  - type: Uppercase\n    config: {suffix: '!'}\n"
    )
    cli.write("seeds.json", '[{"metadata": {"text": "hello"}}]')
    result = cli("run", "shout.yaml", "--seeds", "seeds.json", "--out", "shout.jsonl")
    assert result.returncode == 0, result.stderr
    assert _lines(cli.workdir / "shout.jsonl")[0]["accumulated_state"] == {"result": "HELLO!"}


def test_deeply_nested_files_exit_2_with_a_message(cli: Cli) -> None:
    deep = "[" * 5000 + "]" * 5000
    cli.write("deep.yaml", f"name: deep\nblocks: {deep}\n")
    cli.write("deep.json", f'{{"name": "deep", "blocks": {deep}}}')
    cli.write("seeds.jsonl", f'{{"topic": {deep}}}\n')
    cli.write("good.yaml", PIPELINE)
    for args in (
        ("validate", "deep.yaml"),
        ("validate", "deep.json"),
        ("run", "good.yaml", "--seeds", "seeds.jsonl"),
    ):
        result = cli(*args)
        assert result.returncode == 2, result.stderr
        assert "nested more than 100 levels deep" in result.stderr


def test_serve_and_mock_llm_on_a_busy_or_bad_port_exit_2(cli: Cli) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        for command in ("serve", "mock-llm"):
            result = cli(command, "--port", port)
            assert result.returncode == 2, (command, result.stderr)
            assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
            assert "DEMO MODE" not in result.stderr  # refused before anything started
    for command in ("serve", "mock-llm"):
        result = cli(command, "--port", "99999")
        assert result.returncode == 2 and "99999 is not in the range" in result.stderr
    result = cli("serve", PORT="70000")
    assert result.returncode == 2 and "PORT" in result.stderr


def test_a_run_whose_first_executions_all_fail_stops_early(cli: Cli) -> None:
    cli.write("pipeline.yaml", PIPELINE)
    _seeds(cli, [1] * 300)
    with MockServerThread(error_rate=1.0) as broken:
        env = {"LLM_BASE_URL": broken.base_url, "LLM_MAX_RETRIES": "0"}
        args = ("run", "pipeline.yaml", "--seeds", "seeds.json", "--concurrency", "4", "--out",
                "records.jsonl")  # fmt: skip
        result = cli(*args, **env)
        assert result.returncode == 1, result.stderr
        assert (
            "stopped: the first 25 executions all failed (setting JOB_FAIL_FAST)" in result.stderr
        )
        failed = _lines(cli.workdir / "records.failed.jsonl")
        assert 25 <= len(failed) < 300
        assert f"0 succeeded, {len(failed)} failed" in result.stdout
        assert f"{len(failed)}/300 failed {len(failed)}" in result.stderr  # the final progress

        result = cli(*args, "--quiet", JOB_FAIL_FAST="0", **env)
        assert result.returncode == 1 and "stopped" not in result.stderr
        assert len(_lines(cli.workdir / "records.failed.jsonl")) == 300
