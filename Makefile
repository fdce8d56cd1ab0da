# Quantization Fundamentals: set-up, lab, tests.  `make help` lists the targets.
# Every target sets the environment up first if needed; a second run is fast.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# PyTorch's CPU build, pinned: an unpinned torch would pull a multi-GB CUDA build.
TORCH  := torch==2.13.0
ROOT   := $(if $(filter 0,$(shell id -u)),--allow-root,)
PORT   ?= 8888
# nbgrader's gradebook runs the venv's `alembic`, so the venv goes first on PATH.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help setup lab test lint bench bench-grading clean \
        release collect grade feedback export workbooks hub hub-stop

help:
	@echo "make lab    set up if needed, open the course in JupyterLab"
	@echo "make test   set up if needed, run the whole test suite (what CI runs)"
	@echo "make bench  set up if needed, print the speed ratios of bench/"
	@echo "make setup  only set up (.venv with the CPU build of torch)"
	@echo "instructors: make release | collect FROM=dir | grade | feedback | export"
	@echo "make hub    (root) a JupyterHub for a class on 127.0.0.1:\$$HUB_PORT (8000)"
	@echo "make hub-stop  stop it, its proxy and every user's server"

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	@# optimum-quanto compiles its C++ int4 kernel (~50 s) on first use: do it now,
	@# with the venv's ninja first on PATH as every later process has it.
	$(BIN)/python -c "from optimum.quanto.library.extensions.cpp import ext; ext.lib" \
	  || echo "note: optimum-quanto's C++ extension did not build; int4 runs slower"
	$(BIN)/jupyter labextension list 2>&1 | grep -q nbgrader || \
	  (echo "nbgrader's JupyterLab extension is missing" && exit 1)
	@touch $(STAMP)

lab: setup
	$(BIN)/jupyter lab $(ROOT) --port=$(PORT) --notebook-dir=.

lint: setup
	$(BIN)/ruff check .

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/run_all.py

# Grading 30 submissions of every workbook takes 15-25 minutes: not in `make bench`.
bench-grading: setup
	$(BIN)/python bench/bench_grading.py

# Instructors (see README): one command per step of a grading round.
release: setup
	$(BIN)/python tools/instructor.py release

collect: setup
	$(BIN)/python tools/instructor.py collect $(FROM)

grade: setup
	$(BIN)/python tools/instructor.py grade

feedback: setup
	$(BIN)/python tools/instructor.py feedback

export: setup
	$(BIN)/python tools/instructor.py export

# Regenerate source/ from tools/workbooks/ and release/ from source/.
workbooks: setup
	$(BIN)/python tools/workbooks/build.py
	$(BIN)/python tools/instructor.py release

# A JupyterHub for a class (as root): accounts, exchange, formgrader service. It
# builds its own users' environment under /opt/quantization-fundamentals from
# constraints.txt and $(TORCH); see docs/hub.md.
HUB_PORT ?= 8000
hub:
	$(PYTHON) deploy/hub/hubctl.py start --port $(HUB_PORT)

hub-stop:
	$(PYTHON) deploy/hub/hubctl.py stop

clean:
	rm -rf $(VENV) autograded/*/ autograded/grading_status.json submitted feedback \
	  gradebook.db grades.csv .pytest_cache
