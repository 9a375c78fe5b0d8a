"""`datagenflow serve`: one uvicorn worker, since jobs live in this process; loopback unless
a token is set.

`python -m datagenflow.api.server [--host H] [--port P]` runs the same server (tests use it to
kill a real server process).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import socket
import sys

import uvicorn

from datagenflow.errors import DataGenFlowError
from datagenflow.jobs.executors import make_executor
from datagenflow.settings import Settings, get_settings
from datagenflow.storage.database import async_url, display_url

log = logging.getLogger("datagenflow.server")

GRACEFUL_SHUTDOWN_S = 3


class UnsafeBindError(DataGenFlowError):
    pass


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings) -> None:
    if not is_loopback(host) and not settings.datagenflow_api_token:
        raise UnsafeBindError(
            f"refusing to listen on {host} without an API token: anyone who can reach it could "
            "run pipelines and read every record. Set DATAGENFLOW_API_TOKEN, or bind 127.0.0.1",
            {"host": host},
        )


def check_port(host: str, port: int) -> None:
    """Fail before migrations and the demo LLM start, not from inside uvicorn (exit status 3)."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise DataGenFlowError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                {"host": host, "port": port},
            ) from None


def startup_line(host: str, port: int, settings: Settings) -> str:
    shown = f"[{host}]" if ":" in host else host
    line = (
        f"DataGenFlow {'(DEMO MODE) ' if settings.demo_mode else ''}serving on "
        f"http://{shown}:{port} (database {display_url(settings.database_url)}, "
        f"LLM {settings.llm_base_url})"
    )
    if settings.demo_mode:
        line += (
            "\nDEMO MODE: answers come from the bundled fake LLM; set LLM_BASE_URL in .env to "
            "use a real model"
        )
    return line


def build_config(host: str, port: int, settings: Settings) -> uvicorn.Config:
    from datagenflow.api.app import create_app

    return uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        workers=1,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        lifespan="on",
    )


def run_server(
    host: str | None = None, port: int | None = None, settings: Settings | None = None
) -> None:
    """Serve until interrupted; raises DataGenFlowError for an unsafe or invalid configuration."""
    settings = settings or get_settings()
    host = host or settings.host
    port = settings.port if port is None else port
    check_bind(host, settings)
    check_port(host, port)
    async_url(settings.database_url)
    make_executor(settings)  # an unusable executor setting fails here, before uvicorn starts
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    log.info(startup_line(host, port, settings))
    server = uvicorn.Server(build_config(host, port, settings))
    server.run()
    if not server.started:
        raise DataGenFlowError(f"the server could not start on {host}:{port} (see the log above)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datagenflow.api.server")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    try:
        run_server(args.host, args.port)
    except DataGenFlowError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
