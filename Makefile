# The two commands of the README, and a few more. Everything installs into .venv from this repo.
# The first Python 3.11+ that actually runs (pyenv shims may exist for versions not enabled).
PY ?= $(shell for p in python3 python3.13 python3.12 python3.11; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export DAGSTER_HOME ?= $(CURDIR)/.dropship/dagster

.PHONY: install demo test bench bench-large dev sandbox clean stop

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "Python 3.11 or newer is required (python3 --version)"; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,sandbox]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

## make demo: the full pipeline on the bundled demo data, on the embedded default, then a summary
demo: install
	$(BIN)/dropship demo

## make test: the test suite (DATABASE_URL if set, else an embedded Postgres)
test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## make bench: benchmarks that print result tables (dlt, the peer of the ingest bench, comes with the bench extra)
bench: install
	$(BIN)/python -m pip install -q -e ".[dev,sandbox,bench]"
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_hostile_files.py
	$(BIN)/python bench/bench_seed_queries.py
	$(BIN)/python bench/bench_landing.py
	$(BIN)/python bench/bench_sync_cycle.py
	$(BIN)/python bench/bench_ownerclan.py
	$(BIN)/python bench/bench_listings.py
	$(BIN)/python bench/bench_classifier.py
	$(BIN)/python bench/analytics_models.py
	$(BIN)/python bench/bench_orders.py
	$(BIN)/python bench/bench_metrics.py

## make bench-large: the 1,000,000-row workbook (peak memory), minutes long
bench-large: install
	$(BIN)/python bench/bench_ingest_memory.py --rows 1000000

## make dev: the Dagster UI with the whole asset graph (http://127.0.0.1:3000)
dev: install
	@mkdir -p $(DAGSTER_HOME) && test -f $(DAGSTER_HOME)/dagster.yaml || cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

stop:
	$(BIN)/dropship db stop

clean: stop
	rm -rf .dropship
