# Local development. `make run` starts the whole portal on a bare machine (SQLite, a broker in
# files under var/); `make test` runs the test suite. Both build .venv from the pinned requirements.

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check --quiet
# Python 3.11 or newer: python3.11 when there is one, else python3 if it is recent enough.
PYTHON ?= $(shell for candidate in python3.11 python3; do \
	  command -v $$candidate >/dev/null 2>&1 \
	  && $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	  && { command -v $$candidate; break; }; \
	done)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run test lint bench schema clean distclean

help:
	@echo "make run     start the portal, a Celery worker and Celery beat with demo data (http://$(HOST):$(PORT)/)"
	@echo "make test    run the tests (PYTEST_ARGS='-k portal -x' to narrow them down)"
	@echo "make lint    ruff, a check that no model change lacks its migration, and the import rules"
	@echo "make bench   run the performance benchmarks"
	@echo "make schema  write the OpenAPI description of /api/v1/ to docs/api/openapi.yaml"
	@echo "make clean   delete var/ (database, broker queues, uploads) and caches; distclean also .venv"

$(PY):
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11 or newer is needed (python3.11, or python3 >= 3.11)." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when a requirements file changed since the last install.
$(VENV)/.installed-runtime: requirements.txt | $(PY)
	$(PIP) -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(PY)
	$(PIP) -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-runtime

# DEBUG=1 so that runserver serves the admin's static files. Export ALLOWED_HOSTS etc. to change more.
run: export DEBUG ?= 1
run: export ITSM_BASE_URL ?= http://$(HOST):$(PORT)
run: export PATH := $(abspath $(VENV))/bin:$(PATH)
run: export ITSM_HTTP := $(HOST):$(PORT)
run: $(VENV)/.installed-runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo
	@echo "Starting web (http://$(HOST):$(PORT)/), worker and beat. Portal: http://$(HOST):$(PORT)/portal/  Admin: http://$(HOST):$(PORT)/admin/"
	@echo "Press Ctrl-C to stop all three."
	@echo
	$(VENV)/bin/honcho start --env /dev/null --procfile Procfile

test: $(VENV)/.installed-dev
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	case $$status in \
	  0) ;; \
	  1) echo "pytest: some tests failed (exit code 1)" >&2 ;; \
	  2) echo "pytest: interrupted (exit code 2)" >&2 ;; \
	  3) echo "pytest: internal error (exit code 3)" >&2 ;; \
	  4) echo "pytest: usage error (exit code 4)" >&2 ;; \
	  5) echo "pytest: no tests were collected (exit code 5)" >&2 ;; \
	  *) echo "pytest: exit code $$status" >&2 ;; \
	esac; \
	exit $$status

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-cache

# The committed schema is what clients generate code from; a test fails when it is out of date.
schema: $(VENV)/.installed-runtime
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/api/openapi.yaml

bench: $(VENV)/.installed-dev
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
