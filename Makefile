# Quick start: `make run` (the application on its embedded defaults) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test install install-test lint frontend

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q '.[test]'
	touch $(STAMP)

install: $(STAMP)
	scripts/system-packages.sh

install-test: $(STAMP) node_modules/.package-lock.json
	scripts/system-packages.sh test

# axe-core for the browser tests' accessibility checks, from the npm registry.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py create_demo_users
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Every test on SQLite, then again on PostgreSQL (the browser journeys once), with real Redis,
# Celery workers, SMTP and IMAP servers.
test: install-test
	scripts/check-services.sh
	$(BIN)/ruff check .
	$(BIN)/pytest
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest -m "not browser"

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Rebuild static/govuk from the govuk-frontend npm package (needs Node.js and npm).
frontend:
	npm ci --no-audit --no-fund
	npm run build
