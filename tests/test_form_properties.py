"""Property tests: whatever text arrives in the sign-up form, no server error, and nothing is
written unless the input is valid."""
import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registrations.models import OutgoingEmail, Registration

pytestmark = pytest.mark.django_db

FIELDS = ["first_name", "last_name", "email", "organisation", "country", "region", "region_other", "stakeholder_type",
          "platforms", "sessions", "consent", "listed", "dietary_needs", "accessibility_needs"]

any_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
field_values = st.one_of(any_text, st.lists(any_text, max_size=3))


@pytest.fixture
def form_url(seeded, settings):
    settings.RATE_LIMIT_POSTS_PER_ADDRESS = settings.RATE_LIMIT_POSTS_PER_EMAIL = 1_000_000
    return f"/{seeded.slug}/register/"


def rows():
    return Registration.objects.count(), OutgoingEmail.objects.count()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(FIELDS), field_values))
def test_arbitrary_text_never_breaks_the_form_and_writes_nothing_when_invalid(form_url, data):
    before = rows()
    response = Client(raise_request_exception=False).post(form_url, data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert rows() == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=any_text, organisation=any_text, region=any_text)
def test_arbitrary_text_in_an_otherwise_valid_form_is_either_saved_intact_or_refused(
    form_url, seeded, name, organisation, region
):
    before = rows()
    email = f"p{Registration.objects.count()}@example.org"
    data = {
        "first_name": name, "last_name": "Doe", "email": email, "organisation": organisation,
        "country": "PT", "region": "other", "region_other": region, "stakeholder_type": "other",
        "platforms": [seeded.sessions.get(slug="energy-meeting").platform_id], "consent": "on",
    }
    response = Client(raise_request_exception=False).post(form_url, data)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        saved = Registration.objects.get(email=email)
        assert (saved.first_name, saved.organisation, saved.region_other) == (name.strip(), organisation.strip(), region.strip())
    else:
        assert rows() == before
