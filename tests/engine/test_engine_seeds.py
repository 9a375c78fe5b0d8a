"""Seed files: JSON, JSONL, CSV; a bad file is refused whole, naming the first bad entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from datagenflow.engine.seeds import (
    Seed,
    SeedError,
    load_seed_file,
    parse_seeds,
    seed_fields,
    total_executions,
)


def _json(data: object) -> bytes:
    return json.dumps(data).encode()


def test_json_array() -> None:
    seeds = parse_seeds(
        _json([{"repetitions": 3, "metadata": {"topic": "a"}}, {"metadata": {"topic": "b"}}]),
        "s.json",
    )
    assert seeds == [Seed(0, {"topic": "a"}, 3), Seed(1, {"topic": "b"}, 1)]
    assert total_executions(seeds) == 4
    assert seed_fields(seeds) == ["topic"]


def test_single_object() -> None:
    seeds = parse_seeds(_json({"repetitions": 2, "metadata": {"topic": "a", "n": 1}}), "s.json")
    assert seeds == [Seed(0, {"topic": "a", "n": 1}, 2)]


def test_plain_object_is_metadata() -> None:
    assert parse_seeds(_json([{"topic": "a"}]), "s.json") == [Seed(0, {"topic": "a"}, 1)]


def test_jsonl() -> None:
    text = '{"metadata": {"t": 1}, "repetitions": 2}\n\n{"metadata": {"t": 2, "u": 3}}\n'
    seeds = parse_seeds(text.encode(), "s.jsonl")
    assert seeds == [Seed(0, {"t": 1}, 2), Seed(1, {"t": 2, "u": 3}, 1)]
    assert seed_fields(seeds) == ["t", "u"]


def test_jsonl_detected_without_extension() -> None:
    text = '{"metadata": {"t": 1}}\n{"metadata": {"t": 2}}\n'
    assert len(parse_seeds(text.encode(), "upload")) == 2


def test_csv() -> None:
    text = 'topic,level\nPython,beginner\n"Rust, the language","advanced"\n\n'
    seeds = parse_seeds(text.encode(), "s.csv")
    assert seeds == [
        Seed(0, {"topic": "Python", "level": "beginner"}, 1),
        Seed(1, {"topic": "Rust, the language", "level": "advanced"}, 1),
    ]


def test_utf8_bom_accepted() -> None:
    assert parse_seeds(b"\xef\xbb\xbf" + _json([{"metadata": {"a": "é"}}]), "s.json")[
        0
    ].metadata == {"a": "é"}


@pytest.mark.parametrize("value", [0, -1, "2", True, 1.5, None])
def test_bad_repetitions(value: object) -> None:
    data = [{"metadata": {"a": 1}}, {"repetitions": value, "metadata": {"a": 2}}]
    with pytest.raises(SeedError) as info:
        parse_seeds(_json(data), "s.json")
    assert "seed 1" in info.value.message
    assert "'repetitions' must be a positive integer" in info.value.message
    assert repr(value) in info.value.message
    assert info.value.detail == {"index": 1}


def test_bad_json_names_line_and_column() -> None:
    with pytest.raises(SeedError) as info:
        parse_seeds(b'[\n {"metadata": {"a": 1}},\n {"metadata": {"a": }}\n]', "s.json")
    assert "invalid JSON at line 3" in info.value.message
    assert info.value.detail["line"] == 3


def test_bad_jsonl_line_named() -> None:
    with pytest.raises(SeedError) as info:
        parse_seeds(b'{"metadata": {"a": 1}}\n{"metadata": \n', "s.jsonl")
    assert "line 2 is not valid JSON" in info.value.message


def test_jsonl_bad_entry_names_line_and_seed() -> None:
    with pytest.raises(SeedError) as info:
        parse_seeds(
            b'{"metadata": {"a": 1}}\n\n{"metadata": {"a": 1}, "repetitions": 0}\n', "s.jsonl"
        )
    assert "line 3 (seed 1)" in info.value.message


@pytest.mark.parametrize("metadata", [[1, 2], "text", 3, None])
def test_metadata_must_be_an_object(metadata: object) -> None:
    with pytest.raises(SeedError, match=r"seed 0: 'metadata' must be an object"):
        parse_seeds(_json([{"metadata": metadata}]), "s.json")


def test_unknown_keys_refused() -> None:
    with pytest.raises(SeedError) as info:
        parse_seeds(_json([{"metadata": {}}, {"metadata": {}, "repetition": 2}]), "s.json")
    assert "seed 1" in info.value.message and "unexpected keys: repetition" in info.value.message
    with pytest.raises(SeedError, match="'metadata' is missing"):
        parse_seeds(_json([{"repetitions": 2, "topic": "x"}]), "s.json")


def test_entry_not_an_object() -> None:
    with pytest.raises(SeedError, match="seed 2: a seed must be an object"):
        parse_seeds(_json([{"a": 1}, {"a": 2}, "oops"]), "s.json")


def test_csv_ragged_row() -> None:
    with pytest.raises(SeedError) as info:
        parse_seeds(b"a,b\n1,2\n3\n4,5\n", "s.csv")
    assert "line 3 has 1 values but the header has 2 columns" in info.value.message
    assert info.value.detail == {"line": 3, "index": 1}


def test_csv_header_problems() -> None:
    with pytest.raises(SeedError, match="header column 2 has no name"):
        parse_seeds(b"a,,c\n1,2,3\n", "s.csv")
    with pytest.raises(SeedError, match="header column 'a' appears twice"):
        parse_seeds(b"a,b,a\n1,2,3\n", "s.csv")
    with pytest.raises(SeedError, match="holds no seeds"):
        parse_seeds(b"a,b\n", "s.csv")


@pytest.mark.parametrize("name", ["s.json", "s.jsonl", "s.csv", "s"])
@pytest.mark.parametrize("content", [b"", b"  \n\n "])
def test_empty_file(name: str, content: bytes) -> None:
    with pytest.raises(SeedError, match="the file is empty"):
        parse_seeds(content, name)


def test_empty_array() -> None:
    with pytest.raises(SeedError, match="holds no seeds"):
        parse_seeds(b"[]", "s.json")


@pytest.mark.parametrize("name", ["s.json", "s.csv", "s.jsonl"])
def test_non_utf8(name: str) -> None:
    with pytest.raises(SeedError) as info:
        parse_seeds(b'[{"metadata": {"a": "caf\xe9"}}]', name)
    assert "not UTF-8" in info.value.message and "offset 24" in info.value.message


def test_unknown_format() -> None:
    with pytest.raises(SeedError, match="not JSON, JSONL or CSV"):
        parse_seeds(b"topic: python\n", "seeds.yaml")


def test_max_executions_cap() -> None:
    data = _json([{"repetitions": 6, "metadata": {}}, {"repetitions": 5, "metadata": {}}])
    assert len(parse_seeds(data, "s.json", max_executions=11)) == 2
    with pytest.raises(SeedError) as info:
        parse_seeds(data, "s.json", max_executions=10)
    assert "11 executions" in info.value.message and "limit of 10" in info.value.message
    assert info.value.detail == {"total": 11, "limit": 10}


def test_default_cap_is_ten_million() -> None:
    with pytest.raises(SeedError, match="10,000,000"):
        parse_seeds(_json([{"repetitions": 10_000_001, "metadata": {}}]), "s.json")


def test_load_seed_file(tmp_path: Path) -> None:
    path = tmp_path / "seeds.csv"
    path.write_text("topic\nx\ny\n", encoding="utf-8")
    assert [s.metadata for s in load_seed_file(path)] == [{"topic": "x"}, {"topic": "y"}]
    with pytest.raises(SeedError, match="does not exist"):
        load_seed_file(tmp_path / "missing.json")
    with pytest.raises(SeedError, match="cannot read seed file"):
        load_seed_file(tmp_path)


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        # Python's own JSON parser gives up near a thousand levels
        ("deep.json", f'[{{"metadata": {{"x": {_nested(5000)}}}}}]', "deep.json: nested"),
        ("deep.jsonl", f'{{"a": 1}}\n{{"x": {_nested(5000)}}}\n', "deep.jsonl: line 2: nested"),
        # parsed, but deeper than the cap: refused naming the seed
        (
            "deep.json",
            f'[{{"a": 1}}, {{"metadata": {{"x": {_nested(150)}}}}}]',
            "seed 1: the metadata",
        ),
        ("deep.jsonl", f'{{"x": {_nested(150)}}}\n', "line 1 (seed 0): the metadata"),
    ],
)
def test_deeply_nested_seeds_refused(name: str, content: str, where: str) -> None:
    with pytest.raises(SeedError, match="nested more than 100 levels deep") as caught:
        parse_seeds(content.encode(), name)
    assert where in caught.value.message


def test_nesting_up_to_the_cap_accepted() -> None:
    seeds = parse_seeds(f'{{"x": {_nested(99)}}}'.encode(), "ok.jsonl")
    assert len(seeds) == 1
