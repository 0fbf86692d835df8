# Two entry points on a fresh machine: `make demo` and `make test` (both create .venv if missing).
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo test bench ui-check clean

$(INSTALLED): pyproject.toml
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(INSTALLED)
	$(VENV)/bin/techlead demo

test: $(INSTALLED)
	$(PYTHON) -m pytest

bench: $(INSTALLED)
	$(PYTHON) benchmarks/collect.py
	$(PYTHON) benchmarks/train.py
	$(PYTHON) benchmarks/review.py

# The Dagster UI in headless Chromium; also refreshes the README's screenshots in docs/images.
ui-check: $(INSTALLED)
	TECHLEAD_SCREENSHOTS=docs/images $(PYTHON) -m pytest techlead_pipeline_tests/ui

clean:
	rm -rf .techlead .pytest_cache build
