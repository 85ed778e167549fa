# `make run` builds and analyses the demo warehouse and serves the dashboard on
# 127.0.0.1:8501; `make test` runs every test; `make reports` writes the 2026Q3 reports.
# Both install into .venv when pyproject.toml changes, with uv (pip's resolver and installer
# took about 110 s of a fresh clone's `make run` on a loaded 2-core machine; uv about 15 s).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := data/sample
DB ?= sqlite:///data/plait.db

.PHONY: run reports test bench-ingest bench-ingest-returns bench-exceedance bench-link bench-analyse bench-report bench-dashboard bench-startup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/plait demo

reports: $(STAMP)
	$(BIN)/plait report --quarter 2026Q3 --all --db $(DB) --format json --out data/reports
	$(BIN)/plait report --quarter 2026Q3 --db $(DB) --format pdf --out data/reports/national.pdf

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

bench-ingest: $(STAMP)
	$(BIN)/python benchmarks/ingest/run.py

bench-ingest-returns: $(STAMP)
	$(BIN)/python benchmarks/ingest/returns.py

bench-exceedance: $(STAMP)
	$(BIN)/python benchmarks/exceedance/run.py

bench-link: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	PYTHONPATH=. $(BIN)/python benchmarks/link/run.py score
	PYTHONPATH=. $(BIN)/python benchmarks/link/run.py scale

bench-analyse: $(STAMP)
	$(BIN)/python benchmarks/analyse/run.py

bench-report: $(STAMP)
	$(BIN)/python benchmarks/report/run.py

bench-dashboard: $(STAMP)
	$(BIN)/python benchmarks/dashboard/run.py --priority -15

bench-startup: $(STAMP)
	$(BIN)/python benchmarks/startup/run.py

clean:
	rm -rf $(VENV) data/plait.db $(SAMPLE) data/reports data/users.toml
