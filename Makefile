# The README's two commands. Both install into .venv first.
#   make run    install and open the practice UI on the bundled bank
#   make test   install and run the test suite
PYTHON ?= python3
VENV ?= .venv
# This project's machines use the CPU build of torch that lies on disk; elsewhere
# override it, e.g. `make run TORCH_SPEC=torch` to keep your usual torch.
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev,ray]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/quizzer

# Tests run in parallel (pytest-xdist): one worker per core plus one, since many tests
# wait on sandboxed subprocesses. Tests that share a fixed port or socket name, and
# modules whose fixtures start sandboxes or services (built once per worker), are
# kept on one worker with `xdist_group` (hence --dist loadgroup).
JOBS ?= $(shell $(PYTHON) -c 'import os; print(min((os.cpu_count() or 1) + 1, 8))')
XDIST = -n $(JOBS) --dist loadgroup
# pytest keeps its assertion-rewritten test modules as bytecode, unless the environment
# forbids writing bytecode (some machines set PYTHONDONTWRITEBYTECODE): then every
# worker rewrites every test module on every run, seconds each. Tests allow it.
PYTEST := PYTHONDONTWRITEBYTECODE= $(PY) -m pytest

test: $(STAMP)
	$(PYTEST) $(XDIST) $(PYTEST_ARGS)

# The edit-test loop: no slow tests and no Docker engine tests.
test-fast: $(STAMP)
	$(PYTEST) $(XDIST) -m "not slow and not docker" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check quizzer tests benchmarks
	$(VENV)/bin/ruff format --check quizzer tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
