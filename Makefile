# Two commands for a fresh machine: `make run` (set up, launch the app) and `make test` (set up, run the tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench checkpoints clean
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .    # lvm_core and lvm_app importable from any folder; the components' files found
	touch $@

run: $(VENV)/.installed
	$(PY) -m streamlit run streamlit_app.py

test: lint
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check .

bench: $(VENV)/.installed
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

checkpoints: $(VENV)/.installed
	bash checkpoints/train_all.sh

clean:
	rm -rf $(VENV) .pytest_cache
