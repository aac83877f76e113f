# MHI Hub developer commands.
#
#   make setup               .venv with the project and its test tools, node_modules, static/dist
#   make demo [PORT=8001]    the demo site with sample data (see `mhi demo --help`)
#   make test                everything CI checks: installs Chromium and PostgreSQL (Debian packages) if
#                            missing, lints, checks migrations, runs pytest on SQLite (with the browser
#                            tests) and again on a throwaway PostgreSQL server. .ci/run runs this.
#   make lint | clean | distclean
#
# Setup steps are skipped when nothing they depend on changed (stamp files under .venv, node_modules and
# static/dist), so a second `make setup` takes about a second.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# pytest-xdist workers; PYTEST_WORKERS=0 runs serially. PYTEST_ARGS adds options (-x, -k NAME, ...).
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
PG_PORT ?= 54329
APT_PACKAGES := chromium fonts-liberation postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

PYTEST := $(BIN)/python -m pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS)) $(PYTEST_ARGS)
# What the tests run with (conftest.py explains why these are set before pytest starts). Each run gets its
# own temporary var directory, removed afterwards.
TEST_ENV = env -u DATABASE_URL MHI_VAR_DIR="$$var" MHI_TASKS_IMMEDIATE=1 MHI_PLAIN_STATIC=1 MHI_E2E_REQUIRED=1
WITH_TMP_VAR = var="$$(mktemp -d -t mhi-test-var.XXXXXX)"; trap 'rm -rf "$$var"' EXIT;

STATIC_SOURCES := static/build.mjs $(shell find static/src -type f 2>/dev/null)

.PHONY: help setup demo test lint check-migrations test-sqlite test-postgres system-packages clean distclean

help:
	@sed -n '2,12s/^# \{0,1\}//p' Makefile

# --- setup -------------------------------------------------------------------------------------------------
setup: $(VENV)/.stamp-pip node_modules/.stamp-npm static/dist/.stamp-build

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-pip: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

node_modules/.stamp-npm: package.json $(wildcard package-lock.json)
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $@

# build.mjs empties static/dist first, so the stamp is written after it.
static/dist/.stamp-build: $(STATIC_SOURCES) node_modules/.stamp-npm
	npm run --silent build
	touch $@

# --- demo --------------------------------------------------------------------------------------------------
demo: setup
	$(BIN)/mhi demo --port $(PORT)

# --- tests -------------------------------------------------------------------------------------------------
# Runs every check even after one fails, then fails if any did, naming them.
test: setup system-packages
	@failed=""; \
	$(MAKE) lint || failed="$$failed lint"; \
	$(MAKE) check-migrations || failed="$$failed check-migrations"; \
	$(MAKE) test-sqlite || failed="$$failed test-sqlite"; \
	$(MAKE) test-postgres || failed="$$failed test-postgres"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi; \
	echo "make test: all checks passed"

lint: setup
	$(BIN)/ruff check .

check-migrations: setup
	@$(WITH_TMP_VAR) set -x; $(TEST_ENV) $(BIN)/mhi makemigrations --check --dry-run

# SQLite (in-memory test database), including the browser tests.
test-sqlite: setup system-packages
	@echo "=== pytest on SQLite (with browser tests) ==="
	@$(WITH_TMP_VAR) set -x; $(TEST_ENV) $(PYTEST)

# PostgreSQL: the same suite without the browser tests.
test-postgres: setup system-packages
	@echo "=== pytest on PostgreSQL (without browser tests) ==="
	@$(WITH_TMP_VAR) set -x; $(TEST_ENV) scripts/ci-postgres.sh --port $(PG_PORT) -- $(PYTEST) -m "not e2e"

# Debian packages the tests need, installed only when missing (as root, or through sudo).
system-packages:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# --- housekeeping ------------------------------------------------------------------------------------------
clean:
	rm -rf static/dist .ruff_cache .pytest_cache test-results screenshots
	find . -path ./node_modules -prune -o -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 \
	  | xargs -0 rm -rf

# Also the installed tools (the demo database under var/ is kept: delete var/ yourself to reset it).
distclean: clean
	rm -rf $(VENV) node_modules
