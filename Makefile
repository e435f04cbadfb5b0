# `make run` starts Blockbell on the embedded SQLite default; `make test` runs the whole suite.
# Both create what they need: a virtual environment with the package and, for tests and
# benchmarks, the local EVM node (anvil) and the Solidity compiler from npm.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
ANVIL_BIN ?= $(firstword $(wildcard $(CURDIR)/node_modules/@foundry-rs/anvil-linux-*/bin/anvil) $(CURDIR)/node_modules/.bin/anvil)
export ANVIL_BIN

.PHONY: run test lint bench deps clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# `npm install` rather than `npm ci`: the lock file holds only this platform's anvil binary
# package, which `npm ci` refuses as out of sync.
$(NODE_STAMP): package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

deps: $(STAMP) $(NODE_STAMP)

run: $(STAMP)
	$(BIN)/blockbell run

# Two workers, one test file each at a time: the suite's processes (nodes, services,
# databases) keep both cores busy, and a file's tests share their fixtures as when run alone.
test: deps lint
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: deps
	$(BIN)/python -m bench.catchup
	$(BIN)/python -m bench.head_latency
	$(BIN)/python -m bench.telegram_fanout
	$(BIN)/python -m bench.cosmos_crawl
	$(BIN)/python -m bench.matching
	$(BIN)/python -m bench.delivery
	$(BIN)/python -m bench.chaos

clean:
	rm -rf $(VENV) node_modules data .pytest_cache .mypy_cache .ruff_cache
