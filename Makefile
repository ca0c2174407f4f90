# Tukiverkko: `make run` serves the app with demo data, `make test` runs every test suite.
# GNU make, bash. Each recipe runs in one bash with -euo pipefail (.ONESHELL).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules
.DEFAULT_GOAL := help

# The interpreter that creates .venv: python3.11 when present, else python3.
PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
# Install stamp: inside .venv, so removing .venv removes it too.
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app app
TRANSLATIONS := app/translations
# Extra arguments for pytest: `PYTEST_ARGS='-x -k consent' make test`.
PYTEST_ARGS ?=
# A pytest worker per core, at most four (pytest-xdist; each file on one worker, see
# tests/conftest.py): `PYTEST_WORKERS=0 make test` runs in one process.
PYTEST_WORKERS ?= logical

.PHONY: help install translations run serve test lint lock clean bench bench-statistics

help:
	@echo 'make run     install, compile translations, keys, migrate, seed the demo, serve on 127.0.0.1:5000 (PORT=8080 make run)'
	echo 'make serve   production mode on this machine: gunicorn (deploy/gunicorn.conf.py) on 127.0.0.1:8000, SQLite pilot in instance/serve (DEMO=1 seeds the demo world)'
	echo 'make test    install, compile translations, provision PostgreSQL + Chromium + nginx, run pytest ($$PYTEST_ARGS)'
	echo 'make lint    ruff check, ruff format --check, mypy'
	echo 'make bench   build the benchmark data (cached in .bench/) and run every benchmark; writes benchmarks/RESULTS.md (BENCH=quick: 1,000 clients, short runs)'
	echo 'make bench-statistics   the statistics page and API at 1,000 and 10,000 clients (its own data; CLIENTS=1000 for one size)'
	echo 'make lock    regenerate constraints.txt in a fresh venv under /tmp'
	echo 'make clean   remove .venv (and caches); never instance/'

# Create .venv and install the project with its pinned dependencies; redone only when
# pyproject.toml or constraints.txt changes (or .venv is removed).
$(STAMP): pyproject.toml constraints.txt
	@if ! $(BIN)/python -c '' 2>/dev/null; then
	  echo "==> creating $(VENV) with $(PYTHON)"
	  $(PYTHON) -m venv --clear $(VENV)
	fi
	echo "==> pip install -c constraints.txt -e '.[test,postgresql]'"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,postgresql]'
	touch $@

install: $(STAMP)

# .mo files are not committed: compile them from the .po files (quietly nothing if none yet).
translations: $(STAMP)
	@if compgen -G '$(TRANSLATIONS)/*/LC_MESSAGES/*.po' >/dev/null; then
	  echo "==> pybabel compile -d $(TRANSLATIONS)"
	  $(BIN)/pybabel compile -d $(TRANSLATIONS)
	  # pybabel skips a catalog whose header is marked fuzzy: make that an error, not a surprise.
	  for po in $(TRANSLATIONS)/*/LC_MESSAGES/*.po; do
	    [[ -f "$${po%.po}.mo" && ! "$$po" -nt "$${po%.po}.mo" ]] || { echo "make: $$po was not compiled (a '#, fuzzy' header?)" >&2; exit 1; }
	  done
	fi

run: export TUKIVERKKO_ENV := development
run: export TUKIVERKKO_PUBLIC_URL := $(or $(TUKIVERKKO_PUBLIC_URL),http://127.0.0.1:$(or $(PORT),5000))
run: install translations
	@echo "==> flask keys init"
	$(FLASK) keys init
	echo "==> flask db upgrade"
	$(FLASK) db upgrade
	echo "==> flask demo seed"
	$(FLASK) demo seed
	echo "==> serving on http://127.0.0.1:$${PORT:-5000}/ (Ctrl-C stops)"
	exec $(FLASK) run --host 127.0.0.1 --port "$${PORT:-5000}"

# The app as production runs it, on this machine: TUKIVERKKO_ENV=production under gunicorn with
# deploy/gunicorn.conf.py, bound to 127.0.0.1 (TUKIVERKKO_BIND, default 127.0.0.1:8000). The
# secret key and master keys are files in the instance folder (default instance/serve, created
# by `flask keys init`; or TUKIVERKKO_SECRET_KEY / TUKIVERKKO_MASTER_KEYS in the environment);
# the database is TUKIVERKKO_DATABASE_URL, default SQLite in the instance folder, which
# production accepts only with TUKIVERKKO_ALLOW_SQLITE=1 (set here: a single-node pilot).
# Links point at TUKIVERKKO_PUBLIC_URL, here the bind address (production requires it).
# It migrates first (production refuses to serve a schema behind the migrations).
# `DEMO=1 make serve` also seeds the fictional demo world (as development; never in production).
serve: export TUKIVERKKO_ENV := production
serve: export TUKIVERKKO_ALLOW_SQLITE := 1
serve: export TUKIVERKKO_INSTANCE_PATH := $(or $(TUKIVERKKO_INSTANCE_PATH),$(CURDIR)/instance/serve)
serve: export TUKIVERKKO_DATABASE_URL := $(or $(TUKIVERKKO_DATABASE_URL),sqlite:///$(TUKIVERKKO_INSTANCE_PATH)/tukiverkko.db)
serve: export TUKIVERKKO_BIND := $(or $(TUKIVERKKO_BIND),127.0.0.1:8000)
serve: export TUKIVERKKO_PUBLIC_URL := $(or $(TUKIVERKKO_PUBLIC_URL),http://$(TUKIVERKKO_BIND))
serve: install translations
	@echo "==> flask keys init (instance folder $$TUKIVERKKO_INSTANCE_PATH)"
	# Production refuses to start without keys, so they are made as development would (the
	# command only writes the two files into the instance folder).
	TUKIVERKKO_ENV=development $(FLASK) keys init
	echo "==> flask db upgrade"
	$(FLASK) db upgrade
	if [[ "$${DEMO:-}" == 1 ]]; then
	  echo "==> flask demo seed (DEMO=1)"
	  TUKIVERKKO_ENV=development $(FLASK) demo seed
	fi
	echo "==> gunicorn -c deploy/gunicorn.conf.py on http://$$TUKIVERKKO_BIND/ (Ctrl-C stops)"
	exec $(BIN)/gunicorn -c deploy/gunicorn.conf.py

# Provision PostgreSQL, Chromium and nginx (apt-installs them when root), export TEST_DATABASE_URL,
# CHROMIUM_PATH and NGINX_PATH for pytest, and say LOUDLY which suites will be skipped when that fails.
# With CI=true a suite that could not be provisioned fails the run even if pytest passed.
test: install translations
	@skipped=()
	echo "==> provisioning PostgreSQL (scripts/provision-postgresql.sh)"
	if url="$$(bash scripts/provision-postgresql.sh | tail -n 1)" && [[ -n "$$url" ]]; then
	  export TEST_DATABASE_URL="$$url"
	  echo "    TEST_DATABASE_URL=$$TEST_DATABASE_URL"
	else
	  unset TEST_DATABASE_URL
	  skipped+=("PostgreSQL variants of the database tests (TEST_DATABASE_URL unset)."
	            "  Enable: sudo make test   (installs and starts Debian's postgresql), or"
	            "          TEST_DATABASE_URL=postgresql+psycopg://USER:PASS@HOST:PORT/DB make test")
	fi
	echo "==> provisioning Chromium (scripts/provision-chromium.sh)"
	if path="$$(bash scripts/provision-chromium.sh | tail -n 1)" && [[ -n "$$path" ]]; then
	  export CHROMIUM_PATH="$$path"
	  echo "    CHROMIUM_PATH=$$CHROMIUM_PATH"
	else
	  skipped+=("Browser tests (Playwright driving Chromium; CHROMIUM_PATH has no browser)."
	            "  Enable: sudo make test   (apt-get install chromium), or"
	            "          CHROMIUM_PATH=/path/to/chromium make test")
	fi
	echo "==> provisioning nginx (scripts/provision-nginx.sh)"
	if path="$$(bash scripts/provision-nginx.sh | tail -n 1)" && [[ -n "$$path" ]]; then
	  export NGINX_PATH="$$path"
	  echo "    NGINX_PATH=$$NGINX_PATH"
	else
	  skipped+=("The reverse-proxy test (nginx in front of gunicorn; NGINX_PATH has no nginx)."
	            "  Enable: sudo make test   (apt-get install nginx), or"
	            "          NGINX_PATH=/path/to/nginx make test")
	fi
	banner() {
	  local line
	  echo '###############################################################################'
	  echo "###  WARNING: THESE TEST SUITES $$1 SKIPPED"
	  echo '###############################################################################'
	  for line in "$${skipped[@]}"; do echo "###  $$line"; done
	  echo '###############################################################################'
	}
	if (( $${#skipped[@]} )); then banner "WILL BE" >&2; fi
	echo "==> pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)"
	rc=0
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxprocesses=4 --durations=25 $(PYTEST_ARGS) || rc=$$?
	if (( rc == 5 )); then
	  echo "make test: pytest collected no tests (exit 5); that is a failure, not a pass" >&2
	fi
	if (( $${#skipped[@]} )); then
	  banner "WERE" >&2
	  if [[ "$${CI:-}" == true ]] && (( rc == 0 )); then
	    echo "make test: CI=true and a suite could not be provisioned: failing the run" >&2
	    rc=1
	  fi
	fi
	exit $$rc

# The benchmarks (issue 12): not part of `make test`. Needs wrk (apt-installed when root) and
# the `bench` extra (gunicorn comes with the app; pycasbin and cedarpy for the comparison).
# BENCH=quick: 1,000 clients and 5-second runs; BENCH_POSTGRESQL: a maintenance URL of a
# PostgreSQL server (default: the test server of scripts/provision-postgresql.sh).
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	@echo "==> pip install -c constraints.txt -e '.[test,postgresql,bench]'"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,postgresql,bench]'
	touch $@

bench: install translations $(BENCH_STAMP)
	@if ! command -v wrk >/dev/null; then
	  if [[ "$$(id -u)" -eq 0 ]]; then apt-get install -y wrk; else echo "make bench: needs wrk (apt-get install wrk)" >&2; exit 1; fi
	fi
	$(BIN)/python -m benchmarks.run --mode "$${BENCH:-full}"

# The statistics page and its API at 1,000 and 10,000 clients, on their own (benchmarks/statistics.py
# builds its own data: only the coded facts the statistics read). CLIENTS='1000' for one size.
bench-statistics: install translations
	$(BIN)/python -m benchmarks.statistics --clients $${CLIENTS:-1000 10000}

lint: install
	@rc=0
	echo "==> ruff check"; $(BIN)/ruff check . || rc=1
	echo "==> ruff format --check"; $(BIN)/ruff format --check . || rc=1
	echo "==> mypy"; $(BIN)/mypy || rc=1
	exit $$rc

# Regenerate constraints.txt: resolve `pip install -e '.[test,postgresql,bench]'` today in a fresh
# venv under /tmp and pin everything it installed.
lock:
	@tmp="$$(mktemp -d /tmp/tukiverkko-lock.XXXXXX)"
	trap 'rm -rf "$$tmp"' EXIT
	echo "==> fresh venv in $$tmp with $(PYTHON)"
	$(PYTHON) -m venv "$$tmp/venv"
	"$$tmp/venv/bin/python" -m pip install --quiet -e '.[test,postgresql,bench]'
	{
	  echo "# Full pinned lock of \`pip install -e '.[test,postgresql,bench]'\` (every transitive dependency)."
	  echo "# Regenerate with \`make lock\`: it creates a fresh venv under /tmp, runs"
	  echo "# \`pip install -e '.[test,postgresql,bench]'\` and \`pip freeze --exclude-editable\`."
	  echo "# Used as \`pip install -c constraints.txt -e '.[test,postgresql,bench]'\` by the Makefile."
	  echo "# Resolved $$(date -u +%Y-%m-%d) with $$("$$tmp/venv/bin/python" --version)."
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable
	} > constraints.txt.new
	if ! grep -Eq '^cryptography==([5-9][0-9]|[1-9][0-9]{2,})\.' constraints.txt.new; then
	  echo "make lock: cryptography >= 50 (HPKE) was not resolved; keeping the old constraints.txt" >&2
	  rm -f constraints.txt.new
	  exit 1
	fi
	mv constraints.txt.new constraints.txt
	echo "==> constraints.txt: $$(grep -vc '^#' constraints.txt) pins"

clean:
	@rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
	find . -path ./instance -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
