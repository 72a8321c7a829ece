# The two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint audit deliver clean

# uv, when it is not on PATH: .ci/install-uv puts it (or a link to it) at ~/.local/bin/uv whichever
# way it could install it (pip --user; a virtualenv of its own where PEP 668 refuses that, as on
# Debian 12; --break-system-packages as a last resort).
$(UV):
	bash .ci/install-uv

# --compile-bytecode: every process then starts from .pyc files instead of compiling ~1,100 modules
# (this environment, like the image, sets PYTHONDONTWRITEBYTECODE): a worker or web process starts
# in 0.85 s instead of 2.6 s and holds 13 MB less (bench/README.md, tenth round).
.venv/.installed: pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --compile-bytecode --python "$$(command -v python3)"
	touch $@

install: .venv/.installed

## run: the whole site on http://127.0.0.1:8000 with a Celery worker and beat beside it (Ctrl-C stops all)
run: export DEBUG ?= true
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py create_demo_admin
	@echo "Site: http://$(HOST):$(PORT)/   (Ctrl-C stops the web server, the worker and beat)"
	@trap 'kill 0' EXIT; \
	$(PY) -m celery -A campaign worker --loglevel=INFO --concurrency=2 --without-mingle --without-gossip & \
	$(PY) -m celery -A campaign beat --loglevel=INFO & \
	$(PY) manage.py runserver $(HOST):$(PORT)

## test: the test suite (SQLite and no services unless DATABASE_URL / REDIS_URL are set)
test: export SECRET_KEY ?= insecure-key-for-tests-only
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## deliver: plan and send the deliveries that are due, now (no worker needed)
deliver: export DEBUG ?= true
deliver: install
	$(PY) manage.py deliver

lint: install
	$(PY) -m ruff check .

## audit: known vulnerabilities in the locked dependencies (pip-audit, PyPI's advisory data)
audit: install
	$(UV) export --frozen --no-hashes --format requirements-txt --quiet -o var/requirements-audit.txt
	@if curl -sf -m 20 -o /dev/null https://pypi.org/pypi/pip/24.0/json; then \
	  $(PY) -m pip_audit --strict --disable-pip --no-deps -r var/requirements-audit.txt; \
	else \
	  echo "pip-audit NOT RUN: PyPI's advisory data (https://pypi.org/pypi/<name>/<version>/json) is not reachable from this machine"; \
	fi

clean:
	rm -rf var/celery .pytest_cache
