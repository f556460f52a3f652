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
