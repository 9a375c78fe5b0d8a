"""A definition checked against the registry and turned into runnable blocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from datagenflow.engine.block import BaseBlock
from datagenflow.engine.config_schema import check_config
from datagenflow.engine.definition import PipelineDefinition
from datagenflow.engine.graph import Graph
from datagenflow.engine.registry import BlockRegistry
from datagenflow.engine.templating import _env, check_template, template_variables
from datagenflow.errors import InvalidInputError, did_you_mean

_JINJA_GLOBALS = frozenset(_env.globals)


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    block_id: str | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "block_id": self.block_id,
            "field": self.field,
            "kind": self.kind,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = f"block '{self.block_id}'" if self.block_id else "pipeline"
        if self.field:
            where += f", {self.field}"
        return f"{where}: {self.message}"


class PipelineInvalid(InvalidInputError):
    def __init__(self, problems: list[Problem], name: str = "pipeline") -> None:
        count = len(problems)
        lines = "; ".join(str(p) for p in problems[:10])
        more = f" (and {count - 10} more)" if count > 10 else ""
        super().__init__(
            f"{name} is invalid ({count} problem{'s' if count != 1 else ''}): {lines}{more}",
            {"problems": [p.to_dict() for p in problems]},
        )
        self.problems = problems


@dataclass
class Node:
    id: str
    type: str
    block: BaseBlock
    preds: list[str]
    ancestors: list[str]
    outputs: list[str]


@dataclass
class Pipeline:
    definition: PipelineDefinition
    nodes: dict[str, Node]
    order: list[str]
    is_chain: bool
    seed_fields: list[str] | None = field(default=None)


@dataclass
class _Analysis:
    problems: list[Problem]
    blocks: dict[str, BaseBlock]
    graph: Graph
    ancestors: dict[str, list[str]]
    outputs: dict[str, list[str]]


def _analyse(
    definition: PipelineDefinition, registry: BlockRegistry, seed_fields: list[str] | None
) -> _Analysis:
    definition = definition.with_ids()
    problems: list[Problem] = []
    ids = definition.ids()
    if not definition.blocks:
        problems.append(Problem("empty", "the pipeline has no blocks"))
    seen: set[str] = set()
    for block_id in ids:
        if block_id in seen:
            problems.append(
                Problem("duplicate_id", f"block id '{block_id}' is used twice", block_id)
            )
        seen.add(block_id)

    blocks: dict[str, BaseBlock] = {}
    outputs: dict[str, list[str]] = {}
    for spec in definition.blocks:
        block_id = spec.id or ""
        if spec.type not in registry:
            hint = did_you_mean(spec.type, registry.blocks)
            problems.append(Problem("unknown_type", f"unknown block '{spec.type}'{hint}", block_id))
            continue
        cls = registry.get(spec.type)
        outputs[block_id] = list(cls.outputs)
        clean, config_problems = check_config(cls, spec.config)
        for param, kind, message in config_problems:
            problems.append(Problem(kind, message, block_id, param))
        if config_problems:
            continue
        try:
            instance = cls(**clean)
        except Exception as exc:
            problems.append(Problem("invalid_config", f"{type(exc).__name__}: {exc}", block_id))
            continue
        blocks[block_id] = instance
        outputs[block_id] = instance.declared_outputs()

    edges = definition.edge_list()
    known = set(ids)
    for a, b in edges:
        for end in (a, b):
            if end not in known:
                hint = did_you_mean(end, known)
                other = b if end == a else a
                problems.append(
                    Problem(
                        "unknown_edge",
                        f"edge [{a}, {b}] names unknown block '{end}'{hint}",
                        other if other in known else end,
                        "edges",
                    )
                )
        if a == b:
            problems.append(Problem("cycle", f"edge [{a}, {b}] connects a block to itself", a))
    graph = Graph(ids, edges)
    cycle = graph.find_cycle()
    if cycle and len(cycle) > 2:
        problems.append(Problem("cycle", "blocks form a cycle: " + " -> ".join(cycle), cycle[0]))
    lonely: set[str] = set()
    if definition.edges is not None and len(ids) > 1:
        for block_id in ids:
            if not graph.preds[block_id] and not graph.succs[block_id]:
                lonely.add(block_id)
                problems.append(
                    Problem("unconnected", "the block is not connected to any other", block_id)
                )
    ancestors = graph.ancestors()
    # A block in or behind a cycle, or connected to nothing, has no meaningful upstream: its
    # references are checked once the graph problem already reported is fixed.
    placed = set(graph.topological())
    checkable = {b for b in blocks if b in placed and b not in lonely}
    _check_references(blocks, checkable, outputs, ancestors, seed_fields, problems)
    _check_conflicts([b for b in ids if b in placed], outputs, ancestors, problems)
    return _Analysis(problems, blocks, graph, ancestors, outputs)


def _check_references(
    blocks: dict[str, BaseBlock],
    checkable: set[str],
    outputs: dict[str, list[str]],
    ancestors: dict[str, list[str]],
    seed_fields: list[str] | None,
    problems: list[Problem],
) -> None:
    """Templates must parse (every block); the fields they and field references name must be
    provided upstream (blocks in `checkable`, whose upstream is known)."""
    producers: dict[str, list[str]] = {}
    for block_id, keys in outputs.items():
        for key in keys:
            producers.setdefault(key, []).append(block_id)
    for block_id, block in blocks.items():
        wanted: list[tuple[str, str]] = []
        for param, source in block.templates().items():
            error = check_template(source)
            if error:
                problems.append(Problem("template", error, block_id, param))
                continue
            wanted.extend((param, v) for v in sorted(template_variables(source) - _JINJA_GLOBALS))
        upstream = ancestors.get(block_id, [])
        # Behind a block of unknown type or one that may write anything, any field may exist.
        if block_id not in checkable or any(
            u not in outputs or "*" in outputs[u] for u in upstream
        ):
            continue
        available = set(seed_fields or [])
        for u in upstream:
            available.update(outputs.get(u, []))
        for param, names in block.field_references().items():
            wanted.extend((param, n) for n in names)
        # declared `inputs` are fields the block reads, too ("*" reads whatever is there)
        wanted.extend(("inputs", n) for n in type(block).inputs if n != "*")
        for param, name in wanted:
            if name in available:
                continue
            elsewhere = [p for p in producers.get(name, []) if p != block_id and p not in upstream]
            if elsewhere:
                problems.append(
                    Problem(
                        "field_reference",
                        f"'{name}' is produced by block '{elsewhere[0]}', which is not upstream "
                        "of this block",
                        block_id,
                        param,
                    )
                )
            elif seed_fields is not None:
                hint = did_you_mean(name, available)
                shown = ", ".join(sorted(available)) or "none"
                problems.append(
                    Problem(
                        "field_reference",
                        f"no upstream block or seed provides '{name}'{hint} (available: {shown})",
                        block_id,
                        param,
                    )
                )


def _check_conflicts(
    ids: list[str],
    outputs: dict[str, list[str]],
    ancestors: dict[str, list[str]],
    problems: list[Problem],
) -> None:
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if a in ancestors.get(b, []) or b in ancestors.get(a, []):
                continue
            shared = (set(outputs.get(a, [])) & set(outputs.get(b, []))) - {"*"}
            for key in sorted(shared):
                problems.append(
                    Problem(
                        "output_conflict",
                        f"blocks '{a}' and '{b}' run in parallel branches and both write "
                        f"'{key}'; connect one after the other or rename an output",
                        b,
                    )
                )


def validate(
    definition: PipelineDefinition,
    registry: BlockRegistry,
    seed_fields: list[str] | None = None,
) -> list[Problem]:
    """Every problem of a definition at once (an empty list means it can run)."""
    fields = seed_fields if seed_fields is not None else definition.seed_fields
    return _analyse(definition, registry, fields).problems


def available_fields(
    definition: PipelineDefinition,
    registry: BlockRegistry,
    seed_fields: list[str] | None = None,
) -> dict[str, dict[str, list[str]]]:
    """For each block: the state fields it can read and the ones it adds (best effort)."""
    fields = seed_fields if seed_fields is not None else (definition.seed_fields or [])
    analysis = _analyse(definition, registry, fields)
    result: dict[str, dict[str, list[str]]] = {}
    for block_id in definition.with_ids().ids():
        available = list(dict.fromkeys(fields))
        for upstream in analysis.ancestors.get(block_id, []):
            for key in analysis.outputs.get(upstream, []):
                if key not in available:
                    available.append(key)
        result[block_id] = {
            "available": available,
            "outputs": analysis.outputs.get(block_id, []),
        }
    return result


def build_pipeline(
    definition: PipelineDefinition,
    registry: BlockRegistry,
    seed_fields: list[str] | None = None,
) -> Pipeline:
    """Validate and instantiate; raises PipelineInvalid listing every problem."""
    definition = definition.with_ids()
    fields = seed_fields if seed_fields is not None else definition.seed_fields
    analysis = _analyse(definition, registry, fields)
    if analysis.problems:
        raise PipelineInvalid(analysis.problems, f"pipeline '{definition.name}'")
    graph = analysis.graph
    nodes = {
        spec.id or "": Node(
            id=spec.id or "",
            type=spec.type,
            block=analysis.blocks[spec.id or ""],
            preds=list(graph.preds[spec.id or ""]),
            ancestors=analysis.ancestors[spec.id or ""],
            outputs=analysis.outputs[spec.id or ""],
        )
        for spec in definition.blocks
    }
    return Pipeline(definition, nodes, graph.topological(), graph.is_chain(), fields)
