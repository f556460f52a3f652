# The README's two commands: `make run` to try the app, `make test` to test it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev migrate clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

# The browser tests also use axe-core and the Nu Html Checker, from npm (Java runs the latter).
$(VENV)/.installed-dev: requirements.txt requirements-dev.txt package-lock.json | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Serves the 2018 event on http://127.0.0.1:8000 with SQLite, emails printed to the console.
run: export DEBUG ?= 1
# Links in emails point where this serves (make run PORT=8090 HOST=0.0.0.0).
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_s3days
	$(BIN)/python manage.py create_demo_admin
	@echo "Open http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite. With DATABASE_URL=postgres://... it runs on PostgreSQL, as CI does.
test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

# After adding or changing a user-facing string: update the es and eu catalogs, translate the
# new entries (tests/test_catalogs.py fails on any left empty or fuzzy), then run it again to
# compile them.
messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages --no-location -l es -l eu
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv -l es -l eu

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .hypothesis
