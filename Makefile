# arbiter: `make run` starts the runtime, `make test` runs the whole suite.
# Both set everything up first, from a fresh clone; setup is idempotent.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := ops/devnet/node_modules/.installed
CONTRACTS := ops/devnet/build/Arbitrage.json

.PHONY: setup run test lint typecheck pytest browser bench docs clean chaos soak

setup: $(STAMP) $(NODE_STAMP) $(CONTRACTS)

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

# Our own contracts, compiled with the pinned solc into ops/devnet/build (not committed).
$(CONTRACTS): $(NODE_STAMP) ops/devnet/compile.js $(wildcard ops/devnet/contracts/*.sol)
	cd ops/devnet && node compile.js

run: setup
	$(VENV)/bin/arbiter run --devnet

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup browser
	$(VENV)/bin/pytest

# Debian's Chromium for the health page's browser test: Playwright drives it and
# never downloads a browser of its own. Installed once, when missing.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "setup: installing Debian's chromium for the browser test"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

test: lint typecheck pytest

# The generated references in docs/ (config keys, metrics, log events), rewritten
# from the code; tests/ops/test_gen_docs.py fails while they are stale.
docs: setup
	$(PY) ops/gen_docs.py

bench: setup
	$(VENV)/bin/arbiter bench runtime --json

# Reliability (RELIABILITY.md), not part of `make test`: the node-fault scenarios
# repeated for CHAOS_SECONDS each, and a soak of `arbiter run --devnet`.
chaos: setup
	ARBITER_CHAOS=1 $(VENV)/bin/pytest tests/reliability/test_chaos.py -v -s

soak: setup
	$(PY) -m benchmarks.soak

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
