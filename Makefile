# Two commands do everything on a fresh machine: `make train` and `make test`.
# The CPU build of torch is installed first (a bare `torch` would pull a multi-GB CUDA build).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH ?= torch==2.13.0

.PHONY: train test lint board bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev,optuna,slurm,mlflow,export,parquet]'
	touch $(STAMP)

train: $(STAMP)
	$(BIN)/nn-train $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check framework plugins tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check framework plugins tests

board: $(STAMP)
	$(BIN)/nn-board $(ARGS)

clean:
	rm -rf $(VENV) outputs multirun build *.egg-info
