# Two commands for a newcomer: `make train` (the main job) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
STANDARD_PLUGINS := srgan blocks cgan losses perceptual metrics
STAMP := $(VENV)/.srzoo-installed

.PHONY: install test train bench catalogue clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c constraints.txt torch==2.13.0
	$(PIP) install -q -c constraints.txt -e ".[dev]" $(foreach p,$(STANDARD_PLUGINS),-e plugins/srzoo-$(p))
	touch $(STAMP)

test: install
	SRZOO_STRICT_PLUGINS=1 $(BIN)/python -m pytest

train: install
	$(BIN)/srzoo train --time 3m30s

bench: install
	$(BIN)/python -m benchmarks

catalogue: install
	$(BIN)/python -m srzoo_core.registry.catalogue
	$(BIN)/python docs/generate_catalogue.py
	$(BIN)/python docs/generate_spec_errors.py

clean:
	rm -rf $(VENV) build *.egg-info plugins/*/*.egg-info
