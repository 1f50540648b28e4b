# The two commands of the README: `make run` and `make test`. Both create .venv on a
# fresh machine. torch is installed first, from TORCH_SPEC, so that the project's own
# `torch>=…` requirement is already satisfied and pip never pulls a CUDA build.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench models demo screenshot clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m assistant

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q
	$(BIN)/ruff check assistant tests

# Everything but the tests that train a model or spawn processes (marked `slow`): the
# quick loop while editing. `make test` (the full suite) is what CI runs.
test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "not slow"
	$(BIN)/ruff check assistant tests

lint: $(STAMP)
	$(BIN)/ruff check assistant tests
	$(BIN)/ruff format --check assistant tests

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python tests/benchmarks/bench_import.py
	$(BIN)/python tests/benchmarks/bench_recommend.py
	$(BIN)/python tests/benchmarks/bench_quality.py
	$(BIN)/python tests/benchmarks/bench_spotify.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/benchmarks/bench_gui.py

# Regenerates the committed synthetic demo catalog and the bundled checkpoint
# (deterministic: same bytes of catalog, same metrics of the checkpoint).
demo: $(STAMP)
	$(BIN)/python -m assistant.sources.demo resources/demo

models: $(STAMP)
	$(BIN)/python -m assistant.build_demo_model

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
