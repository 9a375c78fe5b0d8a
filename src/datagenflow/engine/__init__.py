"""Pure domain: blocks, pipelines, validation, execution, templating and seeds (no web, no SQL)."""

from datagenflow.engine.block import BaseBlock, Param
from datagenflow.engine.definition import PipelineDefinition, parse_definition
from datagenflow.engine.executor import RecordResult, Step, execute_record, full_trace
from datagenflow.engine.pipeline import Pipeline, PipelineInvalid, Problem, build_pipeline, validate
from datagenflow.engine.registry import BlockRegistry, discover
from datagenflow.engine.seeds import Seed, parse_seeds

__all__ = [
    "BaseBlock",
    "BlockRegistry",
    "Param",
    "Pipeline",
    "PipelineDefinition",
    "PipelineInvalid",
    "Problem",
    "RecordResult",
    "Seed",
    "Step",
    "build_pipeline",
    "discover",
    "execute_record",
    "full_trace",
    "parse_definition",
    "parse_seeds",
    "validate",
]
