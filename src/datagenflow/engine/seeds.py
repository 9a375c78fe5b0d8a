"""Seed files (JSON, JSONL, CSV) read whole and refused whole, naming the first bad entry."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datagenflow.engine.nesting import MAX_DEPTH, too_deep
from datagenflow.errors import InvalidInputError, utf8_text

_SEED_KEYS = {"metadata", "repetitions"}
_CONTAINERS = (dict, list)  # what JSON nests


class SeedError(InvalidInputError):
    pass


@dataclass(frozen=True)
class Seed:
    index: int
    metadata: dict[str, Any]
    repetitions: int = 1


def _entry(raw: Any, index: int, where: str) -> Seed:
    if not isinstance(raw, dict):
        raise SeedError(
            f"{where}: a seed must be an object like "
            f'{{"metadata": {{...}}, "repetitions": 1}}, not {type(raw).__name__}',
            {"index": index},
        )
    keys = set(raw)
    if "metadata" in raw and keys <= _SEED_KEYS:
        metadata = raw["metadata"]
        if not isinstance(metadata, dict):
            raise SeedError(
                f"{where}: 'metadata' must be an object, not {type(metadata).__name__}",
                {"index": index},
            )
        _check_nesting(metadata, index, where)
        repetitions = raw.get("repetitions", 1)
        if isinstance(repetitions, bool) or not isinstance(repetitions, int) or repetitions < 1:
            raise SeedError(
                f"{where}: 'repetitions' must be a positive integer, not {repetitions!r}",
                {"index": index},
            )
        return Seed(index, metadata, repetitions)
    if "metadata" in raw or "repetitions" in raw:
        extra = ", ".join(sorted(keys - _SEED_KEYS)) or "none"
        missing = "" if "metadata" in raw else "; 'metadata' is missing"
        raise SeedError(
            f"{where}: a seed holds only 'metadata' and 'repetitions' "
            f"(unexpected keys: {extra}){missing}",
            {"index": index},
        )
    _check_nesting(raw, index, where)
    return Seed(index, raw, 1)


def _check_nesting(metadata: dict[str, Any], index: int, where: str) -> None:
    # JSON has no shared parts (no aliases), so only depth matters; flat values need no walk
    for value in metadata.values():
        if type(value) in _CONTAINERS and too_deep(value, MAX_DEPTH - 1):
            raise SeedError(
                f"{where}: the metadata is nested more than {MAX_DEPTH} levels deep",
                {"index": index},
            )


def _too_deep(where: str, **detail: Any) -> SeedError:
    return SeedError(f"{where}: nested more than {MAX_DEPTH} levels deep", detail)


def _parse_json(text: str, filename: str) -> list[Seed]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SeedError(
            f"{filename}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            {"line": exc.lineno, "column": exc.colno},
        ) from None
    except RecursionError:
        raise _too_deep(filename) from None
    items = data if isinstance(data, list) else [data]
    return [_entry(item, i, f"{filename}: seed {i}") for i, item in enumerate(items)]


def _parse_jsonl(text: str, filename: str) -> list[Seed]:
    seeds: list[Seed] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SeedError(
                f"{filename}: line {lineno} is not valid JSON (column {exc.colno}: {exc.msg})",
                {"line": lineno, "index": len(seeds)},
            ) from None
        except RecursionError:
            raise _too_deep(f"{filename}: line {lineno}", line=lineno, index=len(seeds)) from None
        seeds.append(_entry(item, len(seeds), f"{filename}: line {lineno} (seed {len(seeds)})"))
    return seeds


def _parse_csv(text: str, filename: str) -> list[Seed]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise SeedError(f"{filename}: the CSV file is empty") from None
    except csv.Error as exc:
        raise SeedError(f"{filename}: line 1: {exc}") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise SeedError(f"{filename}: line 1: the CSV header is empty")
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if blank:
        raise SeedError(f"{filename}: line 1: header column {blank[0]} has no name")
    twice = [h for i, h in enumerate(header) if h in header[:i]]
    if twice:
        raise SeedError(f"{filename}: line 1: header column '{twice[0]}' appears twice")
    seeds: list[Seed] = []
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            lineno = reader.line_num
            if len(row) != len(header):
                raise SeedError(
                    f"{filename}: line {lineno} has {len(row)} values but the header has "
                    f"{len(header)} columns",
                    {"line": lineno, "index": len(seeds)},
                )
            seeds.append(Seed(len(seeds), dict(zip(header, row, strict=True)), 1))
    except csv.Error as exc:
        raise SeedError(f"{filename}: line {reader.line_num}: {exc}") from None
    return seeds


def parse_seeds(
    data: bytes, filename: str = "seeds.json", max_executions: int = 10_000_000
) -> list[Seed]:
    """Parse a seed file by its extension (JSON when unknown); raise SeedError naming the entry."""
    text = utf8_text(data, filename, SeedError)
    if not text.strip():
        raise SeedError(f"{filename}: the file is empty")
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        seeds = _parse_csv(text, filename)
    elif suffix in (".jsonl", ".ndjson"):
        seeds = _parse_jsonl(text, filename)
    else:
        stripped = text.lstrip()
        if suffix != ".json" and not stripped.startswith(("[", "{")):
            raise SeedError(f"{filename}: not JSON, JSONL or CSV (use one of those extensions)")
        if suffix != ".json" and stripped.startswith("{") and "\n{" in stripped.strip():
            seeds = _parse_jsonl(text, filename)
        else:
            seeds = _parse_json(text, filename)
    if not seeds:
        raise SeedError(f"{filename}: holds no seeds")
    total = sum(s.repetitions for s in seeds)
    if total > max_executions:
        raise SeedError(
            f"{filename}: {total:,} executions (seeds x repetitions) exceed the limit of "
            f"{max_executions:,} (setting MAX_EXECUTIONS)",
            {"total": total, "limit": max_executions},
        )
    return seeds


def load_seed_file(path: Path, max_executions: int = 10_000_000) -> list[Seed]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SeedError(f"seed file {path} does not exist") from None
    except OSError as exc:
        raise SeedError(f"cannot read seed file {path}: {exc.strerror}") from None
    return parse_seeds(data, str(path), max_executions)


def seed_fields(seeds: list[Seed]) -> list[str]:
    fields: dict[str, None] = {}
    for seed in seeds:
        fields.update(dict.fromkeys(seed.metadata))
    return list(fields)


def total_executions(seeds: list[Seed]) -> int:
    return sum(s.repetitions for s in seeds)
