"""No input gives a server error: arbitrary query strings and path segments on every page."""
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import staff_user

pytestmark = pytest.mark.django_db

PAGES = ["/", "/{event}/", "/{event}/agenda/", "/{event}/agenda.ics", "/{event}/agenda.json",
         "/{event}/agenda/{junk}/", "/{event}/agenda/{junk}.ics", "/{event}/register/", "/{event}/register/link/",
         "/{event}/registration/{junk}/", "/{event}/staff/", "/{event}/staff/attendees.csv",
         "/{event}/staff/checkin/", "/{event}/staff/sessions/{junk}/sign-in/", "/healthz"]

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@pytest.fixture
def staff(seeded, settings):
    settings.RATE_LIMIT_POSTS_PER_ADDRESS = 1_000_000
    client = Client(raise_request_exception=False)
    client.force_login(staff_user("Registration staff", "fuzz"))
    return client


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.sampled_from(PAGES), junk=text, params=st.dictionaries(
    st.sampled_from(["session", "platform", "status", "day", "q", "next", "x"]), text, max_size=3))
def test_no_page_answers_500_whatever_the_query(staff, page, junk, params):
    from urllib.parse import quote

    url = page.format(event="s3-platform-days-2018", junk=quote(junk, safe=""))
    for client in (staff, Client(raise_request_exception=False)):
        response = client.get(url, params)
        assert response.status_code < 500, (url, params, response.status_code)
