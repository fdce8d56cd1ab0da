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

.PHONY: help setup sandbox-deps lab test lint bench bench-grading bench-report \
        measure-blocks clean generate release collect grade feedback export report \
        hub hub-stop

help:
	@echo "make lab    set up if needed, open the course in JupyterLab"
	@echo "make test   set up if needed, run the whole test suite (what CI runs)"
	@echo "make bench  set up if needed, print the speed ratios of bench/"
	@echo "make setup  only set up (.venv with the CPU build of torch)"
	@echo "make generate [CHECK=1]  write (or check) every generated file"
	@echo "instructors: make release | collect FROM=dir | grade | feedback | export"
	@echo "             make export LMS=canvas|moodle [MAP=lms_students.csv] | report"
	@echo "make hub    (root) a JupyterHub for a class on 127.0.0.1:\$$HUB_PORT (8000)"
	@echo "make hub-stop  stop it, its proxy and every user's server"

setup: sandbox-deps $(STAMP)

# Grading runs learners' code in a bubblewrap sandbox (tools/grading/): Debian's
# bubblewrap, plus setpriv and prlimit from util-linux (always installed).
sandbox-deps:
	@command -v bwrap >/dev/null 2>&1 || \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q bubblewrap; \
	  else echo "note: grading's sandbox needs bubblewrap: sudo apt-get install -y bubblewrap"; fi

$(STAMP): pyproject.toml constraints.txt jupyter/overrides.json jupyter/page_config.json
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
	@# The course's JupyterLab settings (jupyter/): no news prompt, no update check,
	@# no nbgrader "Create Assignment" sidebar; the Formgrader stays.
	$(BIN)/python -m tools.jupyter_settings
	@touch $(STAMP)

lab: setup
	$(BIN)/jupyter lab $(ROOT) --port=$(PORT) --notebook-dir=.

lint: setup
	$(BIN)/ruff check .

# Two workers, each test file on one of them (its fixtures, e.g. a graded batch
# or a running hub, are built once): about 8 minutes instead of 13 on 2 cores.
test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: setup
	$(BIN)/python bench/run_all.py

# Grading 30 submissions of every workbook takes ~25 minutes: not in `make bench`.
bench-grading: setup
	$(BIN)/python bench/bench_grading.py

# Lesson 6's numbers: torchao agreement counts and the MiniLM tables (~2 minutes).
measure-blocks: setup
	$(BIN)/python bench/measure_blocks.py

# The item-analysis report on a synthetic class of 300 x 3 workbooks.
bench-report: setup
	$(BIN)/python bench/bench_report.py

# Instructors (see README): one command per step of a grading round.
release: setup
	$(BIN)/python -m tools.instructor release

collect: setup
	$(BIN)/python -m tools.instructor collect $(FROM)

grade: setup
	$(BIN)/python -m tools.instructor grade

feedback: setup
	$(BIN)/python -m tools.instructor feedback

# grades.csv; with LMS=canvas or LMS=moodle, grades_<lms>.csv in that LMS's import
# layout, keyed by the student mapping MAP (default lms_students.csv).
export: setup
	$(BIN)/python -m tools.instructor export $(if $(LMS),--lms $(LMS)) \
	  $(if $(MAP),--map $(MAP))

# After grading: reports/item_analysis.html and .csv (what the class got wrong).
report: setup
	$(BIN)/python -m tools.instructor report

# Lessons, workbooks (source/), the self-check catalogue and release/, from their
# definitions in tools/; CHECK=1 only lists what is stale (and fails).
generate: setup
	$(BIN)/python -m tools.generate $(if $(CHECK),--check,)

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
	  gradebook.db grades.csv grades_canvas.csv grades_moodle.csv reports .pytest_cache
