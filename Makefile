# The two commands: `make run` and `make test`. Both start from `make install`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# The test suite's JavaScript (axe-core, injected into pages by the accessibility test),
# pinned by tests/js/package-lock.json. Without npm `make run` still works; the browser
# tests then fail on CI and skip elsewhere, as they do without Chromium.
JS_TOOLS := tests/js/node_modules/.installed

# Python keeps what it compiles (and pytest its rewritten test modules) for the next process.
# Where the environment says PYTHONDONTWRITEBYTECODE, every process compiled Django and the
# portal again: `manage.py check` 3.5 s instead of 1.4, collecting the suite 22 s instead of
# 11 in each test worker, and again in every command a test starts. Empty is off.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: install run test test-other-days bench-smoke lint format typecheck messages docs demo clean

# The settings default to production (DEBUG off, keys required): a laptop gets a git-ignored
# `.env` with development keys and DEBUG=true, written once (privacyops/devkeys.py).
install: $(STAMP) $(JS_TOOLS)
	$(PY) -m privacyops.devkeys

# With uv on the machine (`.ci/run` brings it; or set UV=/path/to/uv) the virtualenv and the
# locked dependencies come from uv's cache in seconds; without it, pip does the same, slower.
UV ?= $(shell command -v uv 2>/dev/null)

$(STAMP): pyproject.toml requirements.lock
ifneq ($(strip $(UV)),)
	test -d $(VENV) || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(UV) pip install --quiet -c requirements.lock -e '.[dev]'
else
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	test -x $(PIP) || $(PY) -m ensurepip --upgrade
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c requirements.lock -e '.[dev]'
endif
	touch $(STAMP)

$(JS_TOOLS): tests/js/package.json tests/js/package-lock.json
	@if command -v npm >/dev/null; then \
		cd tests/js && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else \
		echo "npm not found: the accessibility test needs it (apt-get install npm)" >&2; \
	fi

# Migrate, seed the policy, load demo data once, print the logins, then serve the portal with
# a Celery worker and beat (honcho stops all three on Ctrl-C). `make run PORT=8016` serves on
# another port: honcho hands each process a PORT counted up from -p (web is the first line of
# the Procfile, so it gets PORT itself; without -p honcho would start at 5000).
PORT ?= 8000

# Links in the demo's e-mails point at the port served (unless SITE_URL is set).
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compilemessages --ignore=.venv -v0 || true
	$(PY) manage.py seed_policy
	$(PY) manage.py seed_demo --subjects 300 --if-empty
	$(PY) manage.py demo_platform --if-empty
	$(PY) manage.py demo_users -v0
	$(PY) manage.py demo_activity --if-empty
	PORT=$(PORT) $(PY) manage.py demo_users
	$(VENV)/bin/honcho start -p $(PORT)

# The suite runs on every core (pytest-xdist; `make test TEST_WORKERS=0` runs it in one
# process; `.ci/run` starts one worker more than cores). Tests go to whichever worker is free,
# the longest first (tests/conftest.py: LONG_FIRST). The 15 slowest tests are listed at the
# end: where the suite's time goes, run by run.
TEST_WORKERS ?= auto
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist load --durations=15 $(PYTEST_ARGS)

# Every test runs on a frozen clock (tests/conftest.py); the date-sensitive modules run again
# with the machine's clock moved by Debian's faketime (apt-get install faketime), so that what
# the frozen clock does not reach (the processes a test starts, a library reading the system
# clock) is caught too. One run holds both traps: the tests' clock on 29 February 2028 (a leap
# day), the machine's on another day, in summer, at an hour when Tallinn's date is already the
# next one while UTC's is not. CI runs it after `make test`, on SQLite: the dates are the
# point here, and PostgreSQL's own tests ran on the real clock. Not the browser tests:
# Chromium keeps its own clock.
# The API's date-bound parts (keys that expire, event cursors); its schema and CRUD tests are
# not about dates and cost CI a minute per shifted run.
DATED_TESTS := $(sort $(wildcard tests/test_*deadline*.py tests/test_retention_*.py \
	tests/test_purge_*.py tests/test_selfservice*.py)) tests/test_api_events.py tests/test_api_frame.py \
	tests/test_signed_links.py tests/test_legal_days.py tests/test_due_soon.py \
	tests/test_requests_reminders.py tests/test_requests_retention.py tests/test_breaches.py \
	tests/test_login_security.py tests/test_consent_retention.py tests/test_answers.py \
	tests/test_portability_to_controller.py
OTHER_DAY_CLOCK := 2028-02-29T10:00
OTHER_DAY_MACHINE := @2027-07-14 21:30:00
test-other-days: install
	env -u DATABASE_URL -u REDIS_URL PRIVACYOPS_TEST_CLOCK=$(OTHER_DAY_CLOCK) \
		faketime -f "$(OTHER_DAY_MACHINE)" $(PY) -m pytest -n $(TEST_WORKERS) --dist load \
		-q -m "not browser and not postgres" $(DATED_TESTS)

# Every bench/*.py at its --smoke size, each on its own copy of a freshly migrated database
# (PostgreSQL: set DATABASE_URL). `make test` on CI runs the same test; CI=true turns a
# skip for want of PostgreSQL into an error, so this never passes without running.
bench-smoke: install
	CI=true $(PY) -m pytest -q tests/test_bench_smoke.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy .

# The manual in docs/, built as CI builds it (strict: a broken link fails) into site/;
# `.venv/bin/mkdocs serve` serves it while you edit.
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

messages: install
	$(PY) manage.py makemessages -l et -l lv --ignore=.venv --ignore=tests --no-wrap
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var db.sqlite3 db.sqlite3-wal db.sqlite3-shm
