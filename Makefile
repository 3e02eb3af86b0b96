# The course's commands. Quick start on a fresh machine (python3.11, pip, make):
#   make course   # set up .venv, execute every chapter (default profile), build the book
#   make test     # set up .venv, run every test (ci profile)
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
LOCK_HASH := $(shell $(PY) -c "import hashlib,sys;print(hashlib.sha256(open('$(LOCK)','rb').read()).hexdigest()[:16])")
STAMP := $(VENV)/.installed-$(LOCK_HASH)
MATHJAX_VERSION := 3.2.2
MATHJAX := build/mathjax/node_modules/mathjax/es5/tex-mml-chtml.js

# Data: the shared offline copy when it sits beside the repository, else data/ (then download).
ifneq ($(wildcard ../shared/data/SHA256SUMS),)
export COURSE_DATA_DIR ?= $(abspath ../shared/data)
endif
export PYTHONHASHSEED := 0
export OMP_NUM_THREADS ?= 2

.PHONY: help setup course test book student lab sync train seeds07 full data mathjax benchmark lock clean

help:
	@echo "make course     set up, execute every chapter (default profile), build the book"
	@echo "make test       set up, run every test: unit tests, nbval (ci profile), student, book"
	@echo "make setup      create or update .venv from $(LOCK)"
	@echo "make book       build the book from already executed notebooks (build/executed/default)"
	@echo "make student    write the student notebooks (solutions removed) to build/student/"
	@echo "make lab        start JupyterLab with jupytext pairing"
	@echo "make sync       regenerate notebooks/*.ipynb from the jupytext sources notebooks/*.py"
	@echo "make train CH=NN  run chapter NN's resumable training script (writes data/checkpoints/)"
	@echo "make seeds07    chapter 07's seed study: retrain its networks with seed 1, score seeds 0 and 1 (~30-60 min)"
	@echo "make full       evaluate at paper scale; writes results/full/*.json (commit them)"
	@echo "make data       verify (or download) every data file against its sha256"
	@echo "make benchmark  time every notebook per profile; writes benchmarks/latest.md"

# The venv is (re)built only when the lock file changes: the stamp's name holds its hash.
setup: $(STAMP)
$(STAMP): $(LOCK)
	@test -n "$(PY)" || { echo "error: python3.11 not found; install Python 3.11 first"; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@
	@echo "setup: .venv is ready (lock $(LOCK_HASH))"

# MathJax 3 from the npm registry, copied into the book at build time (never committed).
mathjax: $(MATHJAX)
$(MATHJAX):
	@if command -v npm >/dev/null 2>&1; then \
	  mkdir -p build/mathjax && npm install --silent --no-audit --no-fund --prefix build/mathjax mathjax@$(MATHJAX_VERSION); \
	else echo "warning: npm not found; the book will load MathJax from a CDN instead of a local copy"; fi

course: setup mathjax
	$(BIN)/python scripts/run_notebooks.py --profile default --out build/executed/default --results build/results/default
	$(BIN)/python scripts/build_book.py --notebooks build/executed/default --results build/results/default
	$(BIN)/python scripts/check_book.py --executed build/executed/default
	@echo
	@echo "The book is ready: open $(abspath book/_build/html/index.html)"
	@echo
	$(BIN)/python scripts/results_table.py build/results/default

test: setup mathjax
	COURSE_PROFILE=ci $(BIN)/python -m pytest -q --nbval-lax --nbval-cell-timeout=600 --durations=15 tests notebooks

book: setup mathjax
	@test -d build/executed/default || { echo "error: no executed notebooks in build/executed/default; run 'make course' first"; exit 1; }
	$(BIN)/python scripts/build_book.py --notebooks build/executed/default --results build/results/default

student: setup
	$(BIN)/python scripts/make_student.py --out build/student

lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks

sync: setup
	$(BIN)/python scripts/sync_notebooks.py

train: setup
	@test -n "$(CH)" || { echo "usage: make train CH=NN (for example CH=05)"; exit 1; }
	@test -f scripts/train_$(CH).py || { echo "error: chapter $(CH) has no training script scripts/train_$(CH).py (nothing to train)"; exit 1; }
	$(BIN)/python scripts/train_$(CH).py

seeds07: setup
	$(BIN)/python scripts/seeds_07.py --jobs 2

full: setup
	$(BIN)/python scripts/run_notebooks.py --profile full --out build/executed/full --results results/full

data: setup
	$(BIN)/python -m course_lib.data

benchmark: setup
	$(BIN)/python benchmarks/bench_operators.py --out benchmarks/operators.md
	$(BIN)/python benchmarks/bench_training.py --out benchmarks/training.md
	$(BIN)/python benchmarks/time_notebooks.py --profiles ci default --out benchmarks/latest.md

# Re-resolve the ranges of pyproject.toml in a scratch venv and write the exact pins.
lock:
	bash scripts/lock.sh $(PY) $(LOCK)

clean:
	rm -rf build book/_build .pytest_cache
