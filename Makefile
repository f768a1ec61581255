# mentiondesk: `make run` sets up and starts the demo daemon; `make test` sets up and
# runs the whole test suite (CI runs `make lint` and then exactly that through .ci/run).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup setup-dev chromium run test test-shifted lint bench demo-sandbox

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-train.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev

# Headless Chromium for the web inbox tests, from Debian's packages (no browser download).
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

run: setup
	$(BIN)/python main.py run

# No test may depend on today's date: after the suite, the tests of dated commands run
# again with every command's clock ten years ahead (MENTIONDESK_CLOCK_OFFSET_DAYS).
SHIFTED_TESTS := tests/test_operations.py tests/test_report.py tests/test_digest.py \
	tests/test_metrics.py tests/test_spikes.py tests/test_x_pipeline.py

test: setup-dev chromium
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory test-shifted

test-shifted: setup-dev
	HF_HUB_OFFLINE=1 MENTIONDESK_CLOCK_OFFSET_DAYS=3650 $(BIN)/python -m pytest -q $(SHIFTED_TESTS)

# ruff, then mypy (the ratchet in pyproject: no untyped defs; ignored modules only shrink).
lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/python -m mypy

bench: setup-dev
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

# The demo through the real tweepy, praw and atproto clients, against local API sandboxes.
demo-sandbox: setup
	$(BIN)/python main.py sandbox & pid=$$!; trap "kill $$pid" EXIT; \
	MENTIONDESK_REDDIT_CLIENT_ID=sandbox MENTIONDESK_REDDIT_CLIENT_SECRET=sandbox \
	MENTIONDESK_REDDIT_USERNAME=lumora_official MENTIONDESK_REDDIT_PASSWORD=sandbox \
	MENTIONDESK_BLUESKY_HANDLE=lumora.bsky.social MENTIONDESK_BLUESKY_APP_PASSWORD=sandbox \
	$(BIN)/python main.py --config config/sandbox.toml run
