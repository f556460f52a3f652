import os

import pytest
from django.db import connection

from agenda.models import Event
from tests import factories


def pytest_collection_modifyitems(config, items):
    # Tests that need PostgreSQL's row locks cannot prove anything on SQLite: on SQLite they are
    # reported as skipped, and CI (which runs on PostgreSQL) fails any run that skips.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def seeded(db):
    """The 2018 event as load_s3days loads it."""
    from django.core.management import call_command

    call_command("load_s3days", stdout=open("/dev/null", "w"))
    return Event.objects.get(slug="s3-platform-days-2018")


@pytest.fixture
def event(db):
    return factories.EventFactory()


def pytest_sessionfinish(session, exitstatus):
    # CI sets S3DAYS_FORBID_SKIPS: there every test must run, so a skip fails the run.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("S3DAYS_FORBID_SKIPS") and reporter and reporter.stats.get("skipped"):
        print("\nS3DAYS_FORBID_SKIPS: tests were skipped; every test must run here.")
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters and cached pages must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def english_after_each_test():
    """A request in another language leaves that language active in the test's thread (Django's
    LocaleMiddleware activates it and never deactivates): the next test starts in English."""
    from django.utils import translation

    yield
    translation.activate("en")
