"""The `datagenflow` command. Bad input of any kind prints one paragraph and exits with 2."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import click
from pydantic import ValidationError

from datagenflow.errors import DataGenFlowError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_NO_SUCCESS = 1
EXIT_BAD_INPUT = 2


def _user_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DataGenFlowError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except ValidationError as exc:  # only settings are validated outside DataGenFlowError
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']).upper() or 'settings'}: {e['msg']}"
                for e in exc.errors()
            )
            click.echo(f"error: invalid setting (environment or .env): {problems}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper  # type: ignore[return-value]


def _registry() -> Any:
    from datagenflow.engine.registry import discover
    from datagenflow.engine.registry import log as registry_log
    from datagenflow.settings import get_settings

    # the commands print discovery errors themselves (`_report_block_errors`), once
    registry_log.disabled = True
    try:
        return discover(get_settings().datagenflow_user_blocks)
    finally:
        registry_log.disabled = False


def _report_block_errors(registry: Any) -> None:
    for error in registry.errors:
        click.echo(f"error: block file {error.source}: {error.error}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="datagenflow")
def main() -> None:
    """DataGenFlow: visual pipelines for LLM data generation."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--host", default=None, help="Address to bind (default HOST or 127.0.0.1).")
@click.option(
    "--port", default=None, type=click.IntRange(0, 65535), help="Port (default PORT or 8000)."
)
@click.option(
    "--demo/--no-demo",
    default=True,
    help="Fall back to the built-in fake LLM when no endpoint is configured or answers.",
)
@_user_errors
def serve(host: str | None, port: int | None, demo: bool) -> None:
    """Start the web app and the API."""
    from datagenflow.api.server import check_bind, check_port, run_server
    from datagenflow.demo import start_demo_if_needed
    from datagenflow.settings import get_settings

    settings = get_settings()
    check_bind(host or settings.host, settings)  # before the demo LLM starts, to say only this
    check_port(host or settings.host, settings.port if port is None else port)
    fake = start_demo_if_needed() if demo else None
    try:
        run_server(host=host, port=port)
    finally:
        if fake is not None:
            fake.stop()


@main.command()
@click.argument("pipeline")
@click.option(
    "--seeds",
    "seeds_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Seed file: JSON, JSONL or CSV (optional for a template id).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=Path("output.jsonl"),
    show_default=True,
    help="Where to write one JSON line per successful record.",
)
@click.option(
    "--concurrency",
    default=64,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Records run at once.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default=None,
    help="Where records run: this process, or Ray workers (default DATAGENFLOW_EXECUTOR).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_user_errors
def run(
    pipeline: str,
    seeds_path: Path | None,
    out_path: Path,
    concurrency: int,
    executor: Literal["local", "ray"] | None,
    quiet: bool,
) -> None:
    """Run PIPELINE (a YAML/JSON file or a template id) over a seed file, with no server."""
    from datagenflow.headless import load_seeds, resolve_pipeline, run_to_files
    from datagenflow.progress import format_duration
    from datagenflow.settings import get_settings

    settings = get_settings()
    definition, template_seeds = resolve_pipeline(pipeline)
    seeds = load_seeds(seeds_path, template_seeds, settings.max_executions)
    registry = _registry()
    _report_block_errors(registry)
    summary, failed_path = run_to_files(
        definition,
        registry,
        seeds,
        out_path,
        concurrency=concurrency,
        show_progress=not quiet,
        executor=executor,
    )
    tokens = summary.usage["total_tokens"]
    click.echo(
        f"{summary.succeeded} succeeded, {summary.failed} failed in "
        f"{format_duration(summary.elapsed_s)} ({summary.elapsed_s:.2f} s, "
        f"{summary.rate:,.1f} records/s, {tokens:,} tokens)"
    )
    click.echo(f"records: {out_path}")
    if summary.failed:
        click.echo(f"failed records: {failed_path}")
    if summary.stopped:
        click.echo(summary.stopped, err=True)
    if summary.succeeded == 0:
        sys.exit(EXIT_NO_SUCCESS)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the block schemas as JSON.")
@_user_errors
def blocks(as_json: bool) -> None:
    """List the blocks found (built-in, user folder, entry points)."""
    registry = _registry()
    if as_json:
        click.echo(
            json.dumps(
                {"blocks": registry.describe(), "errors": [e.to_dict() for e in registry.errors]},
                indent=2,
            )
        )
    else:
        for info in registry.describe():
            outputs = ", ".join(info["outputs"]) or "-"
            click.echo(
                f"{info['type']:<22} {info['category']:<11} -> {outputs:<32} {info['description']}"
            )
        _report_block_errors(registry)
    if registry.errors:
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("pipeline")
@click.option(
    "--seeds",
    "seeds_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Check field references against this seed file's fields.",
)
@_user_errors
def validate(pipeline: str, seeds_path: Path | None) -> None:
    """Check a pipeline file (or template id) and list every problem."""
    from datagenflow.engine.pipeline import validate as check
    from datagenflow.engine.seeds import load_seed_file, seed_fields
    from datagenflow.headless import resolve_pipeline

    definition, _ = resolve_pipeline(pipeline)
    fields = seed_fields(load_seed_file(seeds_path)) if seeds_path else None
    registry = _registry()
    _report_block_errors(registry)
    problems = check(definition, registry, fields)
    if problems:
        click.echo(f"{pipeline}: {len(problems)} problem(s)", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"{pipeline}: valid ({len(definition.blocks)} blocks)")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the templates as JSON.")
def templates(as_json: bool) -> None:
    """List the bundled pipeline templates (usable wherever a pipeline file is)."""
    from datagenflow.templates import list_templates

    found = list_templates()
    if as_json:
        click.echo(json.dumps([t.to_dict() for t in found], indent=2))
        return
    for template in found:
        click.echo(f"{template.id:<22} {template.name:<22} {template.description}")


@main.command("mock-llm")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=11435, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Delay added to every answer.",
)
@click.option(
    "--error-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of requests answered 429 or 500.",
)
def mock_llm(host: str, port: int, latency_ms: float, error_rate: float) -> None:
    """Serve an OpenAI-compatible fake LLM for demos, tests and benchmarks."""
    from datagenflow.llm.mock_server import run_mock_server

    try:
        run_mock_server(host, port, latency_ms=latency_ms, error_rate=error_rate)
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
