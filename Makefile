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

clean:
	rm -rf .techlead .pytest_cache build
