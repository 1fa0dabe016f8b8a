# Two commands for a fresh machine: `make run` (set up, launch the app) and `make test` (set up, run the tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export LVM_DATA_DIR ?= data

.PHONY: run test bench checkpoints clean
$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m streamlit run streamlit_app.py

test: $(VENV)/.installed
	$(PY) -m pytest

bench: $(VENV)/.installed
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

checkpoints: $(VENV)/.installed
	bash checkpoints/train_all.sh

clean:
	rm -rf $(VENV) .pytest_cache
