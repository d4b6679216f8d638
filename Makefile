# Masthead: `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
# Prefer a working uv on PATH; otherwise install one into .tools with the machine's Python.
UV := $(shell uv --version >/dev/null 2>&1 && echo uv || echo .tools/bin/uv)
PY := $(UV) run --frozen python
DEMO_ARTICLES ?= 300
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test lint format serve-prod worker demo bench bench-smoke clean

help: ## List the targets with one line of help each
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

.tools/bin/uv:
	@python3 -m venv .tools && .tools/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: pyproject.toml uv.lock | $(if $(filter uv,$(UV)),,.tools/bin/uv)
	@$(UV) sync --frozen --quiet
	@touch $@

install: .venv/.synced ## Create or update the Python environment from the lock file

run: .venv/.synced ## Install, migrate, load the demo library if empty, and serve on http://127.0.0.1:8000
	@$(PY) manage.py migrate --no-input -v0
	@$(PY) manage.py demo_library --if-empty --articles $(DEMO_ARTICLES)
	@MASTHEAD_BASE_URL=http://$(HOST):$(PORT) $(PY) manage.py ensure_editor
	@echo "Serving The Meridian Review on http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the task worker)"
	@echo "Emails the publication sends: http://$(HOST):$(PORT)/dev/outbox/"
	@trap 'kill 0' EXIT; $(PY) manage.py db_worker --interval 1 >var/worker.log 2>&1 & $(PY) manage.py runserver $(HOST):$(PORT)

demo: .venv/.synced ## Add demo articles: make demo DEMO_ARTICLES=1000
	@$(PY) manage.py migrate --no-input -v0
	@$(PY) manage.py demo_library --articles $(DEMO_ARTICLES)

worker: .venv/.synced ## Run the task worker (search index updates, emails) in the foreground
	@$(PY) manage.py db_worker

test: .venv/.synced ## Run the whole test suite on SQLite, then on PostgreSQL when reachable
	@$(UV) run --frozen scripts/test.sh

lint: .venv/.synced ## Check style (ruff), formatting and types (mypy)
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .
	@$(UV) run --frozen mypy masthead

format: .venv/.synced ## Apply ruff's fixes and formatting
	@$(UV) run --frozen ruff check --fix .
	@$(UV) run --frozen ruff format .

serve-prod: .venv/.synced ## Serve with granian, DEBUG off (set SECRET_KEY; see .env.example)
	@DJANGO_SETTINGS_MODULE=masthead.settings.production $(PY) manage.py collectstatic --no-input -v0
	@DJANGO_SETTINGS_MODULE=masthead.settings.production $(PY) manage.py migrate --no-input -v0
	DJANGO_SETTINGS_MODULE=masthead.settings.production $(UV) run --frozen granian --interface wsgi \
		--host $(HOST) --port $(PORT) --workers $${WEB_WORKERS:-2} --blocking-threads $${WEB_THREADS:-4} \
		masthead.wsgi:application

bench: .venv/.synced ## Benchmark at 100,000 articles beside nginx and a minimal Django view (not run in CI)
	@$(UV) run --frozen python -m bench.run --profile full

bench-smoke: .venv/.synced ## One-minute benchmark that checks the harness works (CI runs it)
	@$(UV) run --frozen python -m bench.run --profile smoke

clean: ## Remove the environment and local data (database, media, outbox)
	rm -rf .venv .tools var
