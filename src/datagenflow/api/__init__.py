"""The HTTP API and the web UI server (FastAPI); `create_app` builds it, `run_server` serves it."""
