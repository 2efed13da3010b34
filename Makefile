# Two commands on a fresh machine (Python 3.11+ and make only):
#   make serve   set up .venv, build both languages, serve at http://127.0.0.1:8000
#   make test    set up .venv, run the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip --disable-pip-version-check
PORT   ?= 8000
# Material's end-of-life banner is not a build problem; keep it out of every log.
export NO_MKDOCS_2_WARNING := 1

.PHONY: setup serve build test check test-pythons update-examples lint format bench lock clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "Python 3.11+ is needed, $(PYTHON) is %d.%d: run make PYTHON=python3.11 ..." % v[:2])'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -r requirements.txt
	# The project's own package (asyncio_notes/), editable: no sys.path edits anywhere.
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

serve: $(STAMP)
	$(PY) -m asyncio_notes.devtools.serve --port $(PORT)

# zh into site/, en into site/en/: built aside, swapped in only when both languages succeeded.
build: $(STAMP)
	$(PY) -m asyncio_notes.devtools.build

# Parallel workers (pytest-xdist) share one built site (tests/conftest.py). Three on two cores:
# a third fills the time the others spend waiting on real sleeps and Jupyter; worksteal moves
# queued tests to whichever worker runs dry (measured one after another: 143 s with three, 149 s
# with two, 145 s with four; this virtual machine's speed varies by up to 20% from run to run).
test: $(STAMP)
	$(PY) -m pytest -n 3 --dist worksteal

# The inner loop: everything but the browser tier and what needs the built site or real time.
check: $(STAMP)
	$(PY) -m pytest -n 2 --dist worksteal -m "not browser and not slow"

# The suite on every supported Python found here (PATH or pyenv), each in its own .venv-3.X;
# a missing version is skipped with a note. Some tests only:
#   make test-pythons ARGS=tests/test_examples.py
test-pythons:
	$(PYTHON) -m asyncio_notes.devtools.test_pythons $(ARGS)

# Rewrite the `#>` output comments of every example from a real (virtual-clock) run.
update-examples: $(STAMP)
	$(PY) -m pytest tests/test_examples.py --update-examples

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(STAMP)
	$(PY) -m asyncio_notes.devtools.bench

# Re-resolve requirements.in into the exact lock requirements.txt.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip --disable-pip-version-check install --quiet -r requirements.in
	{ echo "# Full lock of requirements.in (exact versions). Regenerate with: make lock"; \
	  .lock-venv/bin/pip freeze --all | grep -v '^pip=='; } > requirements.txt
	rm -rf .lock-venv

clean:
	rm -rf site build .pytest_cache .ruff_cache
