# The README's two set-up commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pip without its noise: no progress bars, no version nag, no warnings about the local index set-up
# (errors still print)
PIP := $(BIN)/pip --disable-pip-version-check --no-input -q -q
HOST ?= 127.0.0.1
PORT ?= 5000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export FLASK_APP := wsgi

.PHONY: run test install install-test system-run system-test translations messages db demo serve screenshots clean

# Debian packages: CJK fonts for pages and PDFs; Chromium and PostgreSQL for the tests.
RUN_PKGS := fonts-noto-cjk python3-venv
TEST_PKGS := fonts-noto-cjk python3-venv chromium postgresql poppler-utils

define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

$(BIN)/python: | system-run
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

install: $(BIN)/python
	@echo "Installing the platform into $(VENV) ..."
	@$(PIP) install -e .
	@$(MAKE) --no-print-directory translations

install-test: $(BIN)/python
	@echo "Installing the platform and its test tools into $(VENV) ..."
	@$(PIP) install -e ".[test]"
	@$(MAKE) --no-print-directory translations

translations:
	@set -o pipefail; $(BIN)/pybabel compile -d trading/translations 2>&1 | { grep -v '^compiling catalog' || true; }

# After changing user-facing text: re-extract, then translate the new zh_CN entries.
messages:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k Nn_:1,2 -o trading/translations/messages.pot trading procurement bidding monitor templates
	$(BIN)/pybabel update -i trading/translations/messages.pot -d trading/translations

system-run:
	$(call apt_install,$(RUN_PKGS))

system-test:
	$(call apt_install,$(TEST_PKGS))

# alembic's INFO lines (one per migration) are noise here; its warnings and errors still print
db:
	@echo "Migrating the database ..."
	@set -o pipefail; SCHEDULER_SECONDS=0 $(BIN)/flask db upgrade 2>&1 | \
	  awk '/^INFO  \[alembic/ {skip=1; next} /^[A-Z][A-Za-z]*(Error|Exception|Warning)|^(WARNING|ERROR|CRITICAL|Traceback)/ {skip=0} !skip'

	@SCHEDULER_SECONDS=0 $(BIN)/flask signing-keys publish >/dev/null

demo:
	@SCHEDULER_SECONDS=0 $(BIN)/flask demo --quiet

# ends with what a person needs: the demo logins, the tour's first steps and the address
serve:
	@SCHEDULER_SECONDS=0 $(BIN)/flask demo --summary --url http://$(HOST):$(PORT)
	@$(BIN)/flask run --host $(HOST) --port $(PORT)

run: system-run install db demo serve

test: system-test install-test
	$(BIN)/lint-imports  # the layering and no-cycle contracts of pyproject.toml [tool.importlinter]
	$(BIN)/python -m pytest

# the README tour's screenshots, taken by its Chromium test from a fresh demo database
screenshots: system-test install-test
	TOUR_SHOTS_DIR=docs/img $(BIN)/python -m pytest tests/e2e/test_tour.py tests/e2e/test_tour_evaluation.py tests/e2e/test_evaluation_journey.py tests/e2e/test_tour_auction.py -q -p no:logging

clean:
	rm -rf $(VENV) instance .pytest_cache
