# Two commands for users: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.glviz-installed

.PHONY: setup run test bench lint clean

setup: $(STAMP)

# Reinstall only when the project's metadata changed: a second `make setup` is instant.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,video]'
	@touch $(STAMP)

run: setup
	$(VENV)/bin/glviz

test: setup
	$(PY) -m pytest -q

bench: setup
	$(VENV)/bin/glviz bench

lint: setup
	$(VENV)/bin/ruff check src tests

clean:
	rm -rf $(VENV) dist build .pytest_cache
