# Two commands on a fresh machine: `make run` and `make test`. Each installs what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
WEB := src/datagenflow/web/index.html
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/package.json frontend/vite.config.ts -type f 2>/dev/null)
PYTEST_ARGS ?=

.PHONY: setup run run-dev dev test test-unit test-e2e lint format frontend bench clean

# `setup` installs what the app needs to run; `dev` adds the test, lint and Ray tools.
setup: $(STAMP) $(WEB)

dev: $(DEV_STAMP) $(WEB)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(DEV_STAMP)

frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB): frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && npm run build --silent

frontend: $(WEB)

run: setup
	$(BIN)/datagenflow serve

run-dev: dev
	$(BIN)/datagenflow serve

# The browser tests run in their own pytest process: Playwright's sync API keeps an event loop
# running in the main thread, which the asyncio tests cannot share.
test: dev
	@bash scripts/ensure-chromium.sh
	$(BIN)/pytest -q --ignore=tests/e2e $(PYTEST_ARGS)
	$(BIN)/pytest -q tests/e2e $(PYTEST_ARGS)
	cd frontend && npm test --silent

test-unit: dev
	$(BIN)/pytest -q --ignore=tests/e2e $(PYTEST_ARGS)

test-e2e: dev
	@bash scripts/ensure-chromium.sh
	$(BIN)/pytest -q tests/e2e $(PYTEST_ARGS)

lint: dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	cd frontend && npm run lint --silent && npm run check:api --silent
	@git diff --quiet -- frontend/openapi.json frontend/src/api/schema.d.ts 2>/dev/null || \
		{ echo "the OpenAPI spec changed: commit frontend/openapi.json and src/api/schema.d.ts"; exit 1; }

format: $(DEV_STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: dev
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_server.py
	$(BIN)/python bench/bench_ray.py

clean:
	rm -rf $(VENV) frontend/node_modules src/datagenflow/web .pytest_cache .mypy_cache .ruff_cache
