"""The participant's private page /<event>/registration/<token>/ and the link request."""
import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from registrations import services
from registrations.models import Booking, OutgoingEmail, Registration
from tests.factories import PlatformFactory, RegistrationFactory, SessionFactory, details_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(seeded):
    """Ana holds the only seat of the energy meeting; Ben waits for it."""
    energy = seeded.sessions.get(slug="energy-meeting")
    energy.capacity = 1
    energy.save()
    platform = energy.platform
    joint = seeded.sessions.get(slug="joint-conference")

    def sign_up(email, sessions):
        details = details_for(email, first_name=email[:3].title(), country="BE", region="BE21")
        return services.register(seeded, details=details, platforms=[platform], sessions=sessions)[0]

    return sign_up("ana@example.org", [joint, energy]), sign_up("ben@example.org", [energy]), energy, joint


def page(registration):
    return registration.get_absolute_url()


def test_private_page_shows_details_and_bookings_with_status_and_position(client, people):
    ana, ben, energy, joint = people
    html = client.get(page(ana)).content.decode()
    assert "ana@example.org" in html and "Belgium, Prov. Antwerpen" in html
    assert "Confirmed" in html and "Energy Platform meeting" in html
    html = client.get(page(ben)).content.decode()
    assert "Waitlist, position 1" in html
    assert client.get(page(ana))["Cache-Control"].startswith("max-age=0")


def test_unknown_or_malformed_tokens_are_404(client, seeded, people):
    for token in ["nope", "A" * 43, "x" * 500, "%2e%2e", "%C3%A9" * 30]:
        assert client.get(f"/{seeded.slug}/registration/{token}/").status_code == 404
    assert client.get(f"/{seeded.slug}/registration/%00/").status_code == 400


def test_a_token_works_only_for_its_own_event(client, people):
    ana = people[0]
    other = RegistrationFactory()
    assert client.get(f"/{other.event.slug}/registration/{ana.token}/").status_code == 404


def test_tokens_carry_at_least_128_bits(people):
    ana, ben = people[0], people[1]
    assert len(ana.token) >= 43 and ana.token != ben.token  # 32 random bytes, base64url


def test_cancelling_one_session_asks_first_then_frees_the_seat_for_the_waitlist(client, people):
    ana, ben, energy, joint = people
    booking = ana.bookings.get(session=energy)
    url = f"{page(ana)}cancel/{booking.pk}/"
    confirm = client.get(url)
    assert "Cancel this session?" in confirm.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"  # a GET changes nothing
    response = client.post(url, follow=True)
    assert "You have given up your place" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert ben.bookings.get().status == "confirmed"
    assert OutgoingEmail.objects.filter(registration=ben, kind="promotion").exists()


def test_a_booking_of_someone_else_cannot_be_cancelled_with_my_link(client, people):
    ana, ben = people[0], people[1]
    response = client.post(f"{page(ana)}cancel/{ben.bookings.get().pk}/")
    assert response.status_code == 404 and ben.bookings.get().status == "waitlisted"


def test_cancelling_everything_asks_first_then_kills_the_link(client, people):
    ana, ben, energy, joint = people
    assert "Cancel your whole registration?" in client.get(f"{page(ana)}cancel/").content.decode()
    assert Registration.objects.get(pk=ana.pk).status == "active"
    response = client.post(f"{page(ana)}cancel/")
    assert "Your registration is cancelled" in response.content.decode()
    assert Registration.objects.get(pk=ana.pk).status == "cancelled"
    assert ben.bookings.get().status == "confirmed"
    assert client.get(page(ana)).status_code == 404


def test_changing_sessions_with_the_same_rules_as_sign_up(client, people, seeded):
    ana, ben, energy, joint = people
    agri = seeded.sessions.get(slug="agri-food-meeting")
    overlapping = client.post(f"{page(ana)}sessions/", {"sessions": [joint.pk, energy.pk, agri.pk]})
    assert "take place at the same time" in overlapping.content.decode()
    assert set(ana.bookings.exclude(status="cancelled").values_list("session__slug", flat=True)) == {
        "joint-conference", "energy-meeting"}
    response = client.post(f"{page(ana)}sessions/", {"sessions": [joint.pk, agri.pk]}, follow=True)
    assert "Your sessions are saved" in response.content.decode()
    assert dict(ana.bookings.values_list("session__slug", "status")) == {
        "joint-conference": "confirmed", "energy-meeting": "cancelled", "agri-food-meeting": "confirmed"}
    assert ben.bookings.get().status == "confirmed"


def test_sessions_cannot_be_changed_after_registration_closes_but_can_be_cancelled(client, people, seeded):
    ana = people[0]
    seeded.registration_closes = timezone.now() - datetime.timedelta(hours=1)
    seeded.save()
    assert "Change your sessions" not in client.get(page(ana)).content.decode()
    assert "Registration is closed" in client.post(f"{page(ana)}sessions/", {"sessions": []}).content.decode()
    assert ana.bookings.exclude(status="cancelled").count() == 2
    client.post(f"{page(ana)}cancel/")
    assert Registration.objects.get(pk=ana.pk).status == "cancelled"


def test_personal_calendar_holds_the_confirmed_sessions(client, people):
    import icalendar

    ana, ben, energy, joint = people
    response = client.get(f"{page(ana)}agenda.ics")
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert sorted(str(event["summary"]) for event in calendar.walk("VEVENT")) == [
        "Energy Platform meeting", joint.title]
    ben_calendar = icalendar.Calendar.from_ical(client.get(f"{page(ben)}agenda.ics").content)
    assert ben_calendar.walk("VEVENT") == []  # waitlisted only


def test_link_request_says_the_same_whether_or_not_the_address_is_registered(
    client, people, seeded, django_capture_on_commit_callbacks
):
    url = f"/{seeded.slug}/register/link/"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(url, {"email": "ANA@example.org"}).content.decode()
        unknown = client.post(url, {"email": "nobody@example.org"}).content.decode()
    # Each page carries its own masked CSRF token (the language switcher's form): not a difference.
    def same(html, email):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", html.replace(email, "X"))

    assert same(known, "ANA@example.org") == same(unknown, "nobody@example.org")
    [message] = mail.outbox
    assert message.to == ["ana@example.org"] and people[0].token in message.body


def test_a_cancelled_registration_gets_no_link(client, people, seeded, django_capture_on_commit_callbacks):
    services.cancel(people[0])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/{seeded.slug}/register/link/", {"email": "ana@example.org"})
    assert mail.outbox == []


def test_the_private_page_runs_a_fixed_number_of_queries(client, seeded, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    platform = PlatformFactory(slug="agri-food", name="Agri-Food")
    registration = RegistrationFactory(event=seeded, platforms=[platform])
    with CaptureQueriesContext(connection) as few:
        client.get(page(registration))
    for _ in range(20):
        Booking.objects.create(registration=registration, session=SessionFactory(event=seeded), status="confirmed")
    from django.core.cache import cache

    cache.clear()  # as on the first visit: nothing cached
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(page(registration))


def test_the_personal_calendar_runs_the_same_queries_for_one_and_five_sessions(client, seeded, django_assert_num_queries):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    registration = RegistrationFactory(event=seeded, platforms=[PlatformFactory(slug="energy", name="Energy")])
    Booking.objects.create(registration=registration, session=SessionFactory(event=seeded), status="confirmed")
    url = f"{page(registration)}agenda.ics"
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).content.count(b"BEGIN:VEVENT") == 1
    for _ in range(4):
        Booking.objects.create(registration=registration, session=SessionFactory(event=seeded), status="confirmed")
    cache.clear()  # both runs start with nothing cached
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).content.count(b"BEGIN:VEVENT") == 5
