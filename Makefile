# QENEX: `make run` installs and serves the app on :8080; `make test` runs the whole suite.
# Both create .venv and install the pinned requirements themselves.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# PostgreSQL and Redis on this machine are used when they answer; otherwise SQLite and no Redis.
LOCAL_PG := postgres://postgres@127.0.0.1:5432/qenex
LOCAL_REDIS := redis://127.0.0.1:6379/9

.PHONY: install run test lint bench clean

$(VENV)/.installed: requirements/base.txt requirements/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

install: $(VENV)/.installed

run: install
	@export QENEX_ENV=$${QENEX_ENV:-development}; \
	$(BIN)/python manage.py migrate --noinput -v0 && \
	$(BIN)/python manage.py collectstatic --noinput -v0 && \
	$(BIN)/python manage.py load_demo && \
	exec $(BIN)/python manage.py serve

lint: install
	$(BIN)/ruff check .

test: install lint
	@bash scripts/system-deps.sh
	@# Cache compiled code: the suite starts dozens of Python processes (servers, workers, sandboxes), each of which
	@# would otherwise compile the project's ~600 modules again when the environment says not to write bytecode.
	@unset PYTHONDONTWRITEBYTECODE; \
	export DATABASE_URL=$${DATABASE_URL:-$$($(BIN)/python scripts/probe.py postgres $(LOCAL_PG))}; \
	export REDIS_URL=$${REDIS_URL:-$$($(BIN)/python scripts/probe.py redis $(LOCAL_REDIS))}; \
	echo "tests: database=$${DATABASE_URL:-sqlite (PostgreSQL-only tests will be skipped)} redis=$${REDIS_URL:-none}"; \
	$(BIN)/pytest --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

bench: install
	@export DATABASE_URL=$${DATABASE_URL:-$(LOCAL_PG)}; $(BIN)/python bench/bench_ledger.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .coverage htmlcov
