# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export LIFECYCLE_WORKSPACE ?= $(CURDIR)/data/workspace.duckdb

.PHONY: run test test-fast bench bench-env clean-workspace

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test: requirements-test.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

run: $(VENV)/.runtime
	$(BIN)/streamlit run app.py

test: $(VENV)/.test
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.test
	$(BIN)/python -m pytest -q -m "not browser"

# Tools the benchmarks compare against live in their own venvs, never in requirements.txt.
bench-env: bench/.venv-ydata/bin/python bench/.venv-mlflow/bin/python bench/.venv-evidently/bin/python

bench/.venv-ydata/bin/python: bench/requirements-ydata.txt
	$(PYTHON) -m venv bench/.venv-ydata
	bench/.venv-ydata/bin/pip install --quiet -r bench/requirements-ydata.txt

bench/.venv-mlflow/bin/python: bench/requirements-mlflow.txt
	$(PYTHON) -m venv bench/.venv-mlflow
	bench/.venv-mlflow/bin/pip install --quiet -r bench/requirements-mlflow.txt

bench/.venv-evidently/bin/python: bench/requirements-evidently.txt
	$(PYTHON) -m venv bench/.venv-evidently
	bench/.venv-evidently/bin/pip install --quiet -r bench/requirements-evidently.txt

bench: $(VENV)/.test bench-env
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/profile_bench.py
	$(BIN)/python bench/recipe_bench.py
	$(BIN)/python bench/tracking_bench.py
	$(BIN)/python bench/runs_bench.py
	$(BIN)/python bench/pages_bench.py
	$(BIN)/python bench/shap_bench.py
	$(BIN)/python bench/fairness_bench.py
	$(BIN)/python bench/serve_bench.py
	$(BIN)/python bench/abtest_bench.py
	$(BIN)/python bench/drift_bench.py

clean-workspace:
	rm -rf data/workspace.duckdb data/workspace.duckdb.wal data/workspace.files
