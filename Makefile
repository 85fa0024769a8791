# Tandem: two commands on a machine with only python3 (3.11+) and make.
#   make run   - the whole stack locally (embedded PostgreSQL + NATS), foreground, Ctrl-C stops it
#   make test  - ruff, mypy (strict) and every test suite against real PostgreSQL and NATS
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_WORKERS ?= 2
SRC := kit/src services/matching/src services/scheduling/src services/consent/src services/analytics/src gateway/src devstack/src

.PHONY: install run test lint typecheck unit bench demo sdl route-scopes clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The virtualenv follows uv.lock exactly (one lock for the whole workspace).
$(VENV)/.synced: $(UV) uv.lock pyproject.toml */pyproject.toml services/*/pyproject.toml
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --python $(PYTHON) --quiet
	@touch $@

install: $(VENV)/.synced

run: install
	$(PY) -m tandem_devstack run

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy $(SRC)

unit: install
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -q -p no:warnings kit/tests services gateway/tests tests

test: lint typecheck unit

bench: install
	@for b in bench/[!_]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

demo: install
	$(PY) -m tandem_devstack demo

sdl: install
	$(PY) -m tandem_devstack sdl

# The gateway's route -> scope table, from the services' own declarations (checked by tests/test_route_scopes.py).
route-scopes: install
	$(PY) -m tandem_devstack route-scopes

clean:
	rm -rf $(VENV) $(TOOLS) .tandem .mypy_cache .ruff_cache
