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
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/quizzer

# The sandbox tests run submissions under bubblewrap: say so before they fail.
NEEDS_BWRAP = @command -v bwrap >/dev/null || { echo "make test: the process sandbox \
tests need bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; .ci/run installs \
it, and a Docker engine for the Docker tests)" >&2; exit 2; }

test: $(STAMP)
	$(NEEDS_BWRAP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(NEEDS_BWRAP)
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check quizzer tests benchmarks
	$(VENV)/bin/ruff format --check quizzer tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
