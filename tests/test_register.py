"""The sign-up form in /<event>/register/: what it offers, what it refuses, what it writes."""
import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from registrations.models import Booking, OutgoingEmail, Registration
from tests.factories import BookingFactory, EventFactory, SessionFactory
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = ["first_name", "last_name", "email", "organisation", "country", "region",
                   "stakeholder_type", "platforms", "sessions", "consent"]


@pytest.fixture
def url(seeded):
    return f"/{seeded.slug}/register/"


def session(event, slug):
    return event.sessions.get(slug=slug)


def valid_data(event, **changes):
    data = {
        "first_name": "Ane",
        "last_name": "Etxeberria",
        "email": "ane@example.eus",
        "organisation": "Basque Government",
        "country": "ES",
        "region": "ES21",
        "stakeholder_type": "public_authority",
        "platforms": [event.sessions.get(slug="energy-meeting").platform_id],
        "sessions": [session(event, "joint-conference").pk, session(event, "energy-meeting").pk],
        "consent": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def field_names(html):
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))


def test_form_has_the_contracts_field_names(client, url):
    html = client.get(url).content.decode()
    assert set(CONTRACT_FIELDS) <= field_names(html)


def test_form_offers_bookable_sessions_by_day_with_time_room_and_seats(client, url, seeded):
    html = client.get(url).content.decode()
    assert "Tuesday 27 November 2018" in html and "Wednesday 28 November 2018" in html
    assert "14:00-18:00, Joint Thematic Platforms Conference" in html
    assert "Auditorium, 300 of 300 seats left" in html
    assert "Registration desk and welcome coffee" not in html  # not registrable


def test_a_full_session_says_so_and_offers_its_waitlist(client, url, seeded):
    energy = session(seeded, "energy-meeting")
    energy.capacity = 1
    energy.save()
    BookingFactory(session=energy, registration__event=seeded)
    html = client.get(url).content.decode()
    assert "Energy Platform meeting, Meeting room B, Full: tick to join the waitlist" in html


def test_the_privacy_notice_is_linked_and_consent_required(client, url, seeded):
    html = client.get(url).content.decode()
    assert f'href="/{seeded.slug}/privacy/"' in html
    response = client.post(url, valid_data(seeded, consent=None))
    assert "We can only register you if you agree to the privacy notice." in response.content.decode()
    assert not Registration.objects.exists()


def test_valid_sign_up_books_the_sessions_and_shows_the_thanks_page(
    client, url, seeded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, valid_data(seeded, listed="on"), follow=True)
    assert response.redirect_chain == [(f"/{seeded.slug}/register/thanks/", 302)]
    registration = Registration.objects.get()
    assert registration.email == "ane@example.eus" and registration.listed_consent_at is not None
    assert sorted(registration.bookings.values_list("session__slug", "status")) == [
        ("energy-meeting", "confirmed"),
        ("joint-conference", "confirmed"),
    ]
    confirmed = response.content.decode().split('id="confirmed-sessions"')[1].split("</ul>")[0]
    assert "Thank you, Ane" in response.content.decode() and "ane@example.eus" in response.content.decode()
    assert confirmed.count("Seat confirmed") == 2 and "Energy Platform meeting" in confirmed
    [message] = mail.outbox
    assert message.to == ["ane@example.eus"] and registration.get_absolute_url() in message.body


def fill_energy_meeting(event):
    """The energy meeting gets one seat, taken: the next people wait."""
    energy = session(event, "energy-meeting")
    energy.capacity = 1
    energy.save()
    BookingFactory(session=energy, registration__event=event)
    return energy


def waitlist_on_page(response):
    html = response.content.decode()
    return re.findall(r"<strong>([^<]+)</strong>[^<]*<br>[^<]*<span[^>]*>Waitlist, position (\d+)<", html)


def test_the_result_page_says_which_seats_are_confirmed_and_the_waitlist_positions(client, url, seeded):
    fill_energy_meeting(seeded)
    Client().post(url, valid_data(seeded, email="first.in.line@example.org"))
    response = client.post(url, valid_data(seeded), follow=True)
    html = response.content.decode()
    assert "Joint Thematic Platforms Conference" in html.split('id="confirmed-sessions"')[1].split("</ul>")[0]
    assert waitlist_on_page(response) == [("Energy Platform meeting", "2")]
    ane = Registration.objects.get(email="ane@example.eus")
    [waiting] = ane.bookings.filter(status="waitlisted").with_waitlist_position()
    assert waiting.waitlist_position == 2


def test_reloading_the_thanks_page_or_submitting_again_does_not_register_twice(client, url, seeded):
    fill_energy_meeting(seeded)
    client.get(url)
    first = client.post(url, valid_data(seeded), follow=True)
    for _ in range(2):
        assert waitlist_on_page(client.get(f"/{seeded.slug}/register/thanks/")) == [("Energy Platform meeting", "1")]
    Client().post(url, valid_data(seeded, email="next.in.line@example.org"))  # position 2
    again = client.post(url, valid_data(seeded), follow=True)  # back button, submit again
    assert Registration.objects.filter(email="ane@example.eus").count() == 1 and Booking.objects.count() == 5
    # This browser made the registration: it is shown its own places, not a newcomer's (3).
    assert waitlist_on_page(again) == waitlist_on_page(first) == [("Energy Platform meeting", "1")]


def test_a_double_click_shows_the_places_the_first_click_got(client, url, seeded):
    fill_energy_meeting(seeded)
    client.get(url)
    client.post(url, valid_data(seeded))
    del client.cookies["s3days-signup"]  # the second click left before the first one's answer came
    second = client.post(url, valid_data(seeded), follow=True)
    assert waitlist_on_page(second) == [("Energy Platform meeting", "1")]
    assert "Seat confirmed" in second.content.decode() and Registration.objects.count() == 2


def test_an_email_already_registered_sees_the_same_page_and_the_owner_gets_their_link(
    url, seeded, django_capture_on_commit_callbacks
):
    fill_energy_meeting(seeded)
    owner_browser, stranger_browser, newcomer_browser = Client(), Client(), Client()
    for browser in (owner_browser, stranger_browser, newcomer_browser):
        browser.get(url)  # each has its own browser cookie
    owner_browser.post(url, valid_data(seeded, email="Ane@Example.eus"))  # waitlist position 1
    owner = Registration.objects.get(email="Ane@Example.eus")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        stranger_page = stranger_browser.post(url, valid_data(seeded, first_name="Mal", email="ane@example.EUS"), follow=True)
    newcomer_page = newcomer_browser.post(url, valid_data(seeded, first_name="Mal", email="new@example.eus"), follow=True)

    def without_address(response):
        # Each browser has its own CSRF token (the language switcher's form): it says nothing.
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return page.replace("new@example.eus", "X").replace("ane@example.EUS", "X")

    # The stranger is shown exactly what the newcomer right after them really got: the joint
    # conference's seat, and second place on the energy meeting's waitlist (not the owner's first).
    assert waitlist_on_page(newcomer_page) == [("Energy Platform meeting", "2")]
    assert without_address(stranger_page) == without_address(newcomer_page)
    owner.refresh_from_db()
    assert owner.first_name == "Ane" and owner.bookings.count() == 2
    [message] = mail.outbox
    assert message.to == ["Ane@Example.eus"] and owner.token in message.body


def test_an_hour_after_signing_up_the_same_browser_is_a_stranger_too(client, url, seeded):
    fill_energy_meeting(seeded)
    client.get(url)
    client.post(url, valid_data(seeded))  # waitlist position 1
    Registration.objects.filter(email="ane@example.eus").update(
        consent_given_at=timezone.now() - datetime.timedelta(minutes=61)
    )  # e.g. the next person at a shared computer
    again = client.post(url, valid_data(seeded), follow=True)
    assert waitlist_on_page(again) == [("Energy Platform meeting", "2")]  # a newcomer's place


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"first_name": ""}, "first_name", "This field is required."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"last_name": "x" * 101}, "last_name", "Ensure this value has at most 100 characters"),
        ({"organisation": "Bad\x00Org"}, "organisation", "Null characters are not allowed."),
        ({"region": "other", "region_other": "Tab\x07bell"}, "region_other", "invisible control characters"),
        ({"platforms": []}, "platforms", "Please choose at least one platform."),
        ({"platforms": ["999999"]}, "platforms", "Select a valid choice."),
        ({"country": "XX"}, "country", "Please choose a country from the list."),
        ({"stakeholder_type": "spy"}, "stakeholder_type", "Select a valid choice."),
        ({"sessions": ["999999"]}, "sessions", "That session cannot be booked."),
        ({"sessions": ["abc"]}, "sessions", "That session cannot be booked."),
    ],
)
def test_bad_input_gets_a_message_at_the_field_keeps_the_values_and_writes_nothing(
    client, url, seeded, changes, field, message
):
    response = client.post(url, valid_data(seeded, **changes))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    html = response.content.decode()
    assert 'value="Etxeberria"' in html or "last_name" in changes  # entered values kept
    assert "Please correct the" in html
    assert not Registration.objects.exists() and not OutgoingEmail.objects.exists()


def test_another_events_session_cannot_be_booked(client, url, seeded):
    elsewhere = SessionFactory(event=EventFactory())
    response = client.post(url, valid_data(seeded, sessions=[elsewhere.pk]))
    assert "That session cannot be booked." in str(response.context["form"].errors["sessions"])
    assert not Registration.objects.exists()


def test_a_session_that_is_not_registrable_cannot_be_booked(client, url, seeded):
    response = client.post(url, valid_data(seeded, sessions=[session(seeded, "welcome-desk").pk]))
    assert "sessions" in response.context["form"].errors and not Registration.objects.exists()


def test_overlapping_sessions_are_refused(client, url, seeded):
    overlapping = [session(seeded, "energy-meeting").pk, session(seeded, "agri-food-meeting").pk]
    response = client.post(url, valid_data(seeded, sessions=overlapping))
    assert "take place at the same time" in str(response.context["form"].errors["sessions"])
    assert not Registration.objects.exists()


def test_invalid_utf8_is_a_clean_answer(client, url, seeded):
    body = b"first_name=%FF%FE&last_name=%C3%28&email=a%40b.org&consent=on"
    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and not Registration.objects.exists()


def test_very_long_input_is_a_clean_answer(client, url, seeded):
    response = client.post(url, valid_data(seeded, first_name="é" * 100_000, email="a" * 5000 + "@x.org"))
    assert response.status_code == 200 and not Registration.objects.exists()


def test_a_post_without_csrf_token_is_refused_and_writes_nothing(url, seeded):
    response = Client(enforce_csrf_checks=True).post(url, valid_data(seeded))
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert not Registration.objects.exists()


def test_before_registration_opens_the_form_says_when(client, url, seeded):
    seeded.registration_opens = timezone.now() + datetime.timedelta(days=3)
    seeded.save()
    assert "Registration is not open yet" in client.get(url).content.decode()
    client.post(url, valid_data(seeded))
    assert not Registration.objects.exists()


def test_after_registration_closes_the_form_says_so_and_writes_nothing(client, url, seeded):
    seeded.registration_closes = timezone.now() - datetime.timedelta(minutes=1)
    seeded.save()
    response = client.post(url, valid_data(seeded))
    assert "Registration is closed" in response.content.decode()
    assert not Registration.objects.exists()


def test_too_many_posts_from_one_address_get_a_429(client, url, seeded, settings):
    settings.RATE_LIMIT_POSTS_PER_ADDRESS = 3
    for _ in range(3):
        assert client.post(url, {"first_name": "x"}).status_code == 200
    response = client.post(url, valid_data(seeded))
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    assert not Registration.objects.exists()
    # Another address is not affected.
    assert client.post(url, valid_data(seeded), REMOTE_ADDR="10.9.9.9").status_code == 302


def test_the_form_page_runs_a_fixed_number_of_queries(client, url, seeded, django_assert_num_queries):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    added = [
        SessionFactory(event=seeded, starts_at=timezone.now() + datetime.timedelta(hours=number)) for number in range(30)
    ]
    cache.clear()
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert all(f"{session.title}, {session.room.name}" in html for session in added)


def test_the_cached_form_page_costs_no_query_and_its_seat_counts_are_seconds_old(
    client, url, seeded, settings, django_assert_num_queries
):
    client.get(url)
    with django_assert_num_queries(0):  # the event and the form's fields come from the cache
        client.get(url)
    BookingFactory(session=session(seeded, "joint-conference"), registration__event=seeded)
    from django.core.cache import cache

    assert "300 of 300 seats left" in client.get(url).content.decode()
    cache.delete(f"signup-form:{seeded.pk}:en")  # as after SEAT_COUNTS_MAX_AGE s
    assert "299 of 300 seats left" in client.get(url).content.decode()


def test_behind_a_proxy_the_limit_counts_the_address_the_proxy_saw(client, url, seeded, settings):
    settings.RATE_LIMIT_POSTS_PER_ADDRESS = 1
    settings.RATE_LIMIT_TRUST_X_FORWARDED_FOR = True
    assert client.post(url, {}, HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.1").status_code == 200
    assert client.post(url, {}, HTTP_X_FORWARDED_FOR="7.7.7.7, 192.0.2.1").status_code == 429
    assert client.post(url, {}, HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 200


def test_a_session_an_organiser_closes_is_refused_at_once_despite_the_caches(
    client, url, seeded, django_capture_on_commit_callbacks
):
    from tests.factories import staff_user

    energy = session(seeded, "energy-meeting")
    assert "Energy Platform meeting" in client.get(url).content.decode()  # now cached
    organiser = client.__class__()
    organiser.force_login(staff_user("Organisers"))
    local_start, local_end = energy.starts_at.astimezone(seeded.tz), energy.ends_at.astimezone(seeded.tz)
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser.post(f"/admin/agenda/session/{energy.pk}/change/", {
            "event": seeded.pk, "title_en": energy.title, "slug": energy.slug, "kind": energy.kind,
            "platform": energy.platform_id, "room": energy.room_id, "starts_at_0": f"{local_start:%Y-%m-%d}",
            "starts_at_1": f"{local_start:%H:%M}", "ends_at_0": f"{local_end:%Y-%m-%d}",
            "ends_at_1": f"{local_end:%H:%M}", "capacity": "", "description_en": energy.description,
        })  # "registrable" unticked
    assert response.status_code == 302
    assert "Energy Platform meeting" not in client.get(url).content.decode()
    refused = client.post(url, valid_data(seeded))
    assert "That session cannot be booked." in str(refused.context["form"].errors["sessions"])


def test_the_sign_up_post_runs_a_fixed_number_of_queries(client, url, seeded, django_assert_num_queries):
    """The busiest request. With the event, the sessions and the platforms in the cache: the
    registration looked up (locked) and inserted, its platforms inserted, the sessions locked,
    then per session one count and one insert, and the outbox row; plus the transaction."""
    client.get(url)
    client.post(url, valid_data(seeded, email="warm@example.org"))  # the platforms' list is cached
    data = valid_data(seeded)
    with django_assert_num_queries(11) as captured:  # 9 statements between SAVEPOINT and RELEASE
        assert client.post(url, data).status_code == 302
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    assert statements.count("INSERT") == 5  # registration, platform, 2 bookings, outbox row


def test_closing_registration_in_the_admin_shows_at_once_despite_the_cached_event(
    client, url, seeded, django_capture_on_commit_callbacks
):
    from tests.factories import staff_user

    assert "Registration is closed" not in client.get(url).content.decode()  # the event is now cached
    organiser = Client()
    organiser.force_login(staff_user("Organisers"))
    change_url = f"/admin/agenda/event/{seeded.pk}/change/"
    values = form_data(organiser.get(change_url).content.decode(), "event_form")
    yesterday = timezone.localtime(timezone.now() - datetime.timedelta(days=1), seeded.tz)
    values["registration_closes_0"], values["registration_closes_1"] = f"{yesterday:%Y-%m-%d}", "12:00"
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser.post(change_url, values)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "Registration is closed" in client.get(url).content.decode()
    assert client.post(url, valid_data(seeded)).status_code == 200
    assert not Registration.objects.exists()


def test_spaces_around_the_email_address_are_dropped(client, url, seeded):
    assert client.post(url, valid_data(seeded, email="  ane@example.eus \t")).status_code == 302
    assert Registration.objects.get().email == "ane@example.eus"


def test_a_sessions_register_link_ticks_that_session_and_anything_else_is_ignored(client, url, seeded):
    energy = session(seeded, "energy-meeting")
    agenda = client.get(f"/{seeded.slug}/agenda/energy-meeting/").content.decode()
    assert f'href="{url}?session=energy-meeting"' in agenda
    ticked = re.findall(r'<input[^>]*name="sessions"[^>]*>', client.get(f"{url}?session=energy-meeting").content.decode())
    assert [tag for tag in ticked if "checked" in tag] == [tag for tag in ticked if f'value="{energy.pk}"' in tag]
    assert len([tag for tag in ticked if "checked" in tag]) == 1
    for junk in ("no-such-session", "welcome-desk", "x" * 500):  # welcome-desk is not bookable
        page = client.get(f"{url}?session={junk}")
        assert page.status_code == 200 and "checked" not in "".join(
            re.findall(r'<input[^>]*name="sessions"[^>]*>', page.content.decode()))
