# arbiter: `make run` starts the runtime, `make test` runs the whole suite.
# Both set everything up first, from a fresh clone; setup is idempotent.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := ops/devnet/node_modules/.installed

.PHONY: setup run test lint typecheck pytest bench clean

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml ops/find_python.sh
	@python=$$(ops/find_python.sh) || exit 1; \
	if [ ! -x $(PY) ]; then echo "setup: creating $(VENV) with $$python"; "$$python" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# anvil and the compiled Uniswap contracts, pinned by the committed lock file.
$(NODE_STAMP): ops/devnet/package.json ops/devnet/package-lock.json
	cd ops/devnet && npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

run: setup
	$(VENV)/bin/arbiter run

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(VENV)/bin/pytest

test: lint typecheck pytest

bench: setup
	$(VENV)/bin/arbiter bench runtime --json

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
