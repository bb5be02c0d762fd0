# inventory-activity: `make demo` and `make test` do everything on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/inventory-activity
STAMP := $(VENV)/.setup-done
DEMO_DIR ?= data/demo
DEMO_START ?= 2026-01-05
DEMO_DAYS ?= 3
DEMO_LISTINGS ?= 2000

.PHONY: setup demo test test-fast lint format clean help

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(STAMP): pyproject.toml jars.lock scripts/setup.sh scripts/resolve_jars.py
	bash scripts/setup.sh
	@touch $(STAMP)

setup: $(STAMP)  ## virtualenv, packages and Delta JARs (once; no network needed afterwards)

demo: setup  ## generate 3 days of sample input, run the pipeline for each day, print a summary
	bash scripts/demo.sh "$(DEMO_DIR)" "$(DEMO_START)" "$(DEMO_DAYS)" "$(DEMO_LISTINGS)"

test: setup  ## run the whole test suite (fast phase, then heavy end-to-end tests)
	bash scripts/test.sh

lint: setup  ## ruff check + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup  ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:  ## remove generated data (keeps the virtualenv and JARs)
	rm -rf data spark-warehouse metastore_db derby.log

.PHONY: package cluster-start cluster-stop test-deploy
package: setup  ## dist/: wheel (conf inside) + jars.lock + JAR tarballs + EMR bootstrap, MANIFEST.json
	bash scripts/package.sh --out dist

cluster-start: setup  ## local Spark standalone cluster (1 master, 2 workers on 127.0.0.1)
	bash scripts/local_cluster.sh start data/local-cluster

cluster-stop:  ## stop the local Spark standalone cluster
	bash scripts/local_cluster.sh stop data/local-cluster

test-deploy: setup  ## only the deploy tests: S3 (moto_server), Spark standalone cluster, EMR, Automic, Jenkins
	$(PY) -m pytest -q -ra tests/deploy

.PHONY: bench
BENCH_ARGS ?= --tier M
bench: setup  ## benchmark (default tier M + 30-day S history): bench/results/bench.jsonl + bench.svg
	$(CLI) bench $(BENCH_ARGS)
