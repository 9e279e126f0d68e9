# `make run` and `make test` both start by building .venv from the pinned requirements.
# `make test` also installs tools/: the pm2 that tests ecosystem.config.js (Node.js and npm needed).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NPM    ?= npm

.PHONY: run test lint bench clean venv system-deps tools

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# pm2 at the version pinned in tools/package-lock.json, in tools/node_modules (git-ignored).
tools/node_modules/.installed: tools/package.json tools/package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { \
	  echo "npm is missing: install Node.js and npm; make tools needs npm to install the pm2 that tests ecosystem.config.js" >&2; exit 1; }
	$(NPM) ci --prefix tools --no-audit --no-fund --loglevel=error
	touch $@

tools: tools/node_modules/.installed

# Debian packages some tests need, installed when missing (as root, with apt-get): Chromium
# renders the HTML report; faketime steps a stage's wall clock in the hostile-environment suite.
SYSTEM_PACKAGES := chromium:chromium faketime:faketime
system-deps:
	@for pair in $(SYSTEM_PACKAGES); do \
	  cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 && continue; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $$pkg for the tests"; \
	    { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkg >/dev/null; }; \
	  else echo "$$pkg is missing: install Debian's $$pkg package to run every test" >&2; fi; \
	done

run: venv
	$(PY) -m daemon demo

test: lint system-deps tools
	$(PY) -m pytest

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: venv
	$(PY) bench/queue.py
	$(PY) bench/analysis.py
	$(PY) bench/pipeline.py

clean:
	rm -rf $(VENV) tools/node_modules .pytest_cache .ruff_cache
