# The README's quick start is `make run` and `make test`; both set everything up from a clean clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make
OVERLAY_SOURCES := $(shell find overlays -path overlays/node_modules -prune -o -type f \( -name '*.js' -o -name '*.vue' -o -name '*.html' -o -name '*.css' -o -name '*.json' \) -print 2>/dev/null)
OVERLAY_DIST := streampai_desktop/server/overlay_dist

.PHONY: run test setup overlays lint check bench dist test-dist screenshots clean

## make run: set up and start the app (headless with the overlay URLs when there is no display)
run: setup
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ "$$(uname)" = Linux ]; then \
	  echo "No display found: starting Streampai Desktop headless."; \
	else bash scripts/system-deps.sh run || true; fi
	$(PY) -m streampai_desktop $(ARGS)

## make test: set up and run every test (Python, overlays, lint), then the frozen bundle's tests
test: setup $(STAMPS)/system-test
	cd overlays && npm test --silent
	$(VENV)/bin/ruff check streampai_desktop streampai_cloud tests bench installer
	$(VENV)/bin/ruff format --check streampai_desktop streampai_cloud tests bench installer
	$(VENV)/bin/mypy
	$(PY) -m pytest --ignore=tests/dist $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-dist

## make dist: the sdist and wheel (dist/streampai_desktop-*), the Linux one-folder bundle
## (dist/streampai-desktop/) and its .tar.gz
dist: setup
	$(PY) -m build --outdir dist .
	$(PY) installer/build.py --package

## make test-dist: build dist/, then run the frozen app in Chromium and under Xvfb, and a wheel
## built from a clean copy of the checkout installed into a fresh venv
test-dist: dist $(STAMPS)/system-test
	$(PY) -m pytest tests/dist $(PYTEST_ARGS)

setup: $(STAMPS)/venv overlays

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMPS)/venv: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/system-test: scripts/system-deps.sh
	bash scripts/system-deps.sh test
	@mkdir -p $(STAMPS) && touch $@

overlays: $(OVERLAY_DIST)/.built

$(OVERLAY_DIST)/.built: $(OVERLAY_SOURCES)
	@command -v npm >/dev/null || { echo "npm is needed to build the overlays: install Node.js 20 or newer (apt-get install nodejs npm)"; exit 1; }
	cd overlays && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent
	@touch $@

lint: setup
	$(VENV)/bin/ruff check streampai_desktop streampai_cloud tests bench installer
	$(VENV)/bin/mypy

bench: setup $(STAMPS)/system-test
	$(PY) bench/startup.py
	$(PY) bench/overlay_latency.py
	$(PY) bench/fanout.py
	$(PY) bench/bundle_size.py
	@if [ -x dist/streampai-desktop/streampai-desktop ]; then $(PY) bench/dist.py; \
	  else echo "bench/dist.py: run make dist first"; fi

## make screenshots: take the README's pictures (window and overlays) and put them in docs/screenshots/
screenshots: setup $(STAMPS)/system-test
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q tests/gui/test_readme_screenshots.py tests/e2e/test_readme_screenshots.py
	mkdir -p docs/screenshots && cp test-artifacts/readme/*.png docs/screenshots/

clean:
	rm -rf $(VENV) $(STAMPS) $(OVERLAY_DIST) overlays/node_modules build dist *.egg-info test-artifacts
