# Two commands for a newcomer: `make train` (the main job) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
# The standard set (the README's install, listed in docs/catalogue.md) and the add-ons the tests
# also need installed (srzoo-esrgan is the mission's example of `pip install srzoo-esrgan`).
STANDARD_PLUGINS := srgan blocks cgan losses perceptual metrics degradations edsr rcan realesrgan span plksr swinir hat geo
ADDON_PLUGINS := esrgan loggers xarray
STAMP := $(VENV)/.srzoo-installed

.PHONY: install test train bench catalogue clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -c constraints.txt torch==2.13.0
	$(PIP) install -q -c constraints.txt -e ".[dev]" $(foreach p,$(STANDARD_PLUGINS) $(ADDON_PLUGINS),-e plugins/srzoo-$(p))
	touch $(STAMP)

test: install
	SRZOO_STRICT_PLUGINS=1 SRZOO_DIST_CHECK=1 $(BIN)/python -m pytest

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

# Wheels and sdists of the core and of every plugin in dist/, checked by twine (see docs/versioning.md).
.PHONY: dist dist-check
dist: install
	rm -rf dist
	$(BIN)/python -m build --sdist --wheel --outdir dist .
	for plugin in plugins/*/; do $(BIN)/python -m build --sdist --wheel --outdir dist "$$plugin" || exit 1; done
	$(BIN)/python -m twine check dist/*

# A user's install by name: a fresh virtual environment gets srzoo-esrgan (and srzoo) from dist/.
dist-check: dist
	PYTHON=$(PYTHON) bash scripts/dist_check.sh dist
