# Every target creates .venv and installs what it needs by itself, from uv.lock: the only
# thing the machine needs is python3. uv itself is bootstrapped into .venv with pip, at the
# version the lock pins (the `dev` group of pyproject.toml).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
UV_VERSION := $(shell sed -n 's/^ *"uv==\([^"]*\)",*$$/\1/p' pyproject.toml)
# Quiet installs; uv never asks the network when the lock already says what to fetch.
UV_FLAGS := --quiet
export UV_NO_PROGRESS := 1

.PHONY: demo test check lint typecheck bench lock test-lowest test-latest clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync $(UV_FLAGS) --locked --extra test --python $(BIN)/python
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/swfasync demo

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Regenerate the locks at the newest versions their inputs allow: uv.lock from
# pyproject.toml, and the simpleflow benchmark's own environment (its botocore pin differs).
lock: $(UV)
	$(UV) lock $(UV_FLAGS) --upgrade
	$(UV) pip compile $(UV_FLAGS) --universal --python-version 3.11 --upgrade \
		--custom-compile-command "make lock" benchmarks/simpleflow.in -o benchmarks/simpleflow.lock

# The library's ranges must be true at both ends: the suite on the lowest versions they
# allow, and on the newest ones, each in a venv of its own (the lock is not used).
test-lowest: $(UV)
	$(MAKE) --no-print-directory _test-resolution RESOLUTION=lowest-direct ENV=.venv-lowest

test-latest: $(UV)
	$(MAKE) --no-print-directory _test-resolution RESOLUTION=highest ENV=.venv-latest

_test-resolution:
	rm -rf $(ENV)
	$(UV) venv $(UV_FLAGS) --python $(BIN)/python $(ENV)
	$(UV) pip install $(UV_FLAGS) --python $(ENV)/bin/python --upgrade \
		--resolution $(RESOLUTION) -e '.[test]'
	$(UV) pip list --python $(ENV)/bin/python --format freeze > $(ENV)/resolved.txt
	cd $(CURDIR) && $(ENV)/bin/pytest -q

clean:
	rm -rf $(VENV) .venv-lowest .venv-latest .venv-simpleflow build dist
