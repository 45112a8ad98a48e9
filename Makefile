# Social Flow — the two commands: `make run` (serve everything embedded) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_ARGS ?=
SCENARIO ?= all

.PHONY: help install install-dev run serve migrate demo test test-pg lint format bench schema fuzz clean

help:
	@echo "make run    - set up (venv, deps, migrations, demo data) and serve on http://$(HOST):$(PORT)"
	@echo "make test   - set up and run the test suite (parallel)"
	@echo "make lint   - ruff lint + format check, import contracts, migrations, schema"
	@echo "make bench  - benchmarks (SCENARIO=feed|fanout|transcode|upload|chat|...)"
	@echo "make fuzz   - schemathesis over the served API and its schema (FUZZ_EXAMPLES per operation)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt $(VENV)/.runtime-installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# Studio browser code (tus-js-client) from npm, pinned by package-lock.json; served from node_modules.
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: install Node.js 18+ with npm (Debian: apt-get install nodejs npm); the Studio upload page needs tus-js-client"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.runtime-installed node_modules/.package-lock.json
install-dev: $(VENV)/.dev-installed node_modules/.package-lock.json

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

# Migrations, demo data (once) and static files against the embedded Redis, then supervisord in the
# foreground: Redis, web, worker, beat and the RTMP ingest, each restarted if it dies (socialflow/embedded).
run: install
	PORT=$(PORT) HOST=$(HOST) exec $(BIN)/python -m socialflow.embedded run

# The same processes without the set-up steps.
serve: install
	PORT=$(PORT) HOST=$(HOST) exec $(BIN)/python -m socialflow.embedded serve

test: $(VENV)/.dev-installed node_modules/.package-lock.json
	$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file $(VENV)/openapi-check.yaml
	@cmp -s docs/openapi.yaml $(VENV)/openapi-check.yaml || { echo "docs/openapi.yaml is stale: run make schema"; exit 1; }

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: install
	$(BIN)/python manage.py spectacular --file docs/openapi.yaml --validate --fail-on-warn

# Serves the app (embedded mode, fresh seeded database) and fuzzes every operation against the schema.
fuzz: $(VENV)/.dev-installed
	$(BIN)/python -m fuzz

bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench $(SCENARIO)

clean:
	rm -rf var .pytest_cache .ruff_cache node_modules

# The real `make run` stack from a fresh clone of HEAD under a minute of real clients (smoke/).
# SMOKE_MODE=pg needs DATABASE_URL (a <name>_smoke database is made beside it) and a redis-server.
SMOKE_MODE ?= embedded
SMOKE_ARGS ?=
.PHONY: smoke
smoke: $(VENV)/.dev-installed
	$(BIN)/python -m smoke --mode $(SMOKE_MODE) $(SMOKE_ARGS)

# The scale-out topology on this machine (scaleout/, docs/deploy.md): two web processes, a worker on
# RabbitMQ, beat and a moto S3 server against PostgreSQL and Redis, checked across processes.
.PHONY: scaleout-test
scaleout-test: $(VENV)/.dev-installed
	$(BIN)/python -m scaleout
