"""Networking (issue 17): profiles, the directory and its suggestions, meeting requests and
their scheduling around sessions, the emails, calendars, the public list and the organisers'
page."""
import datetime
import re

import icalendar
import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from networking import services
from networking.models import Meeting, MeetingSlot, Profile
from registrations.emails import build_message
from registrations.models import Booking, OutgoingEmail
from tests.factories import BookingFactory, SessionFactory, staff_user
from tests.networking_factories import (
    agri_food, at, energy, networking_event, partnership, person, requested, slot,
)

pytestmark = pytest.mark.django_db


def url(name, profile, *args):
    registration = profile.registration
    return reverse(f"networking:{name}", args=[registration.event.slug, registration.token, *args])


def page(client, address, **params):
    response = client.get(address, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def event():
    return networking_event()


@pytest.fixture
def client():
    return Client()


# --- Visibility ---------------------------------------------------------------------------------

def test_hidden_profiles_never_appear_and_participants_only_ones_stay_off_the_public_list(event, client):
    viewer = person(event, first_name="Vera")
    person(event, visibility="hidden", first_name="Hidda", last_name="Hiddenson", organisation="Secret Org")
    person(event, visibility="participants", first_name="Paula", last_name="Partic", organisation="Inner Org")
    public = person(event, visibility="public", first_name="Pablo", last_name="Publico", organisation="Open Org")
    directory = page(client, url("people", viewer))
    assert "Paula" in directory and "Pablo" in directory and "Hidda" not in directory and "Secret Org" not in directory
    assert "Vera" not in re.search(r'<ul class="list-unstyled" id="people">.*?</ul>', directory, re.S).group(0)
    listed = page(client, reverse("networking:participants", args=[event.slug]))
    assert "Pablo Publico" in listed and "Open Org" in listed and "Spain" in listed
    assert "Paula" not in listed and "Hidda" not in listed
    hidden = Profile.objects.get(visibility="hidden")
    assert client.get(url("person", viewer, hidden.pk)).status_code == 404
    assert client.get(url("person", viewer, public.pk)).status_code == 200
    assert client.get(url("person", viewer, viewer.pk)).status_code == 404  # never yourself


def test_cancelled_and_not_yet_admitted_people_are_not_listed(event, client):
    viewer = person(event)
    person(event, first_name="Cancelada", status="cancelled", visibility="public")
    person(event, first_name="Pendiente", status="pending", visibility="public")
    for address in (url("people", viewer), reverse("networking:participants", args=[event.slug])):
        html = page(client, address)
        assert "Cancelada" not in html and "Pendiente" not in html


def test_no_page_shows_another_participants_email_address(event, client, django_capture_on_commit_callbacks):
    one = person(event, visibility="public", email="one.secret@example.org", profile={"offers": "storage"})
    other = person(event, visibility="public", email="other.secret@example.org",
                   profile={"looking_for": "storage"}, platforms=[energy()])
    slot(event, at(10), at(10, 20))
    meeting = services.request_meeting(other, one, "Hello")
    services.accept(meeting)
    for viewer, stranger in [(one, other), (other, one)]:
        for address in (url("people", viewer), url("person", viewer, stranger.pk), url("meetings", viewer),
                        viewer.registration.get_absolute_url(), reverse("networking:participants", args=[event.slug])):
            assert stranger.registration.email not in page(client, address), address


def test_networking_pages_are_404_without_matchmaking(event, client):
    viewer = person(event)
    event.matchmaking = False
    event.save()
    for name in ("people", "profile", "meetings"):
        assert client.get(url(name, viewer)).status_code == 404
    assert client.get(reverse("networking:participants", args=[event.slug])).status_code == 404
    assert "Networking" not in page(client, viewer.registration.get_absolute_url())


def test_ids_too_long_for_the_database_are_404s_not_500s(event, client):
    viewer = person(event)
    assert client.get(url("person", viewer, 10**20)).status_code == 404
    assert client.post(url("answer", viewer, 10**20, "accept")).status_code == 404


def test_a_token_opens_only_its_own_event(event, client):
    viewer = person(event)
    elsewhere = networking_event()
    wrong = reverse("networking:people", args=[elsewhere.slug, viewer.registration.token])
    assert client.get(wrong).status_code == 404
    assert client.get(reverse("networking:people", args=[event.slug, "x" * 43])).status_code == 404


# --- Profile ------------------------------------------------------------------------------------

def test_the_profile_page_saves_and_bad_input_changes_nothing(event, client):
    viewer = person(event, visibility="hidden", profile={"about": "Before"})
    response = client.post(url("profile", viewer), {"visibility": "public", "about": "Biogas from farms",
                                                    "expertise": "biogas", "offers": "pilot plant",
                                                    "looking_for": "investors", "accepts_requests": "on"})
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert (viewer.visibility, viewer.about, viewer.offers) == ("public", "Biogas from farms", "pilot plant")
    bad = client.post(url("profile", viewer), {"visibility": "everyone", "about": "x" * 1001})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "Select a valid choice" in html and "at most 1000 characters" in html
    viewer.refresh_from_db()
    assert viewer.about == "Biogas from farms" and viewer.visibility == "public"


def test_a_first_visit_to_the_profile_makes_no_row_until_saved(event, client):
    registration = person(event).registration
    Profile.objects.filter(registration=registration).delete()
    profile_url = reverse("networking:profile", args=[event.slug, registration.token])
    assert client.get(profile_url).status_code == 200
    assert not Profile.objects.filter(registration=registration).exists()
    client.post(profile_url, {"visibility": "participants", "accepts_requests": "on"})
    assert Profile.objects.get(registration=registration).visibility == "participants"


def test_the_sign_up_form_offers_the_opt_in_when_matchmaking_is_on(event, client):
    platform = agri_food()
    form = page(client, reverse("registrations:register", args=[event.slug]))
    assert 'name="networking_visibility"' in form
    details = {"first_name": "Ane", "last_name": "Etxeberria", "email": "ane@example.eus", "organisation": "Org",
               "country": "ES", "region": "ES21", "stakeholder_type": "research", "platforms": [platform.pk],
               "consent": "on", "networking_visibility": "public"}
    assert client.post(reverse("registrations:register", args=[event.slug]), details).status_code == 302
    assert Profile.objects.get(registration__email="ane@example.eus").visibility == "public"
    other = networking_event(matchmaking=False)
    assert 'name="networking_visibility"' not in page(client, reverse("registrations:register", args=[other.slug]))


# --- Directory: filters and suggestions -------------------------------------------------------

def test_the_directory_filters_by_platform_partnership_country_region_kind_and_words(event, client):
    viewer = person(event)
    bio = partnership(energy(), "Bioenergy")
    person(event, first_name="Eneko", platforms=[energy()], partnerships=[bio], country="ES", region="ES21",
           stakeholder_type="research", profile={"expertise": "hydrogen valleys"})
    person(event, first_name="Francoise", platforms=[agri_food()], country="FR", region="FRK2",
           stakeholder_type="business", profile={"about": "dairy traceability"})
    cases = [
        ({"platform": "energy"}, "Eneko"), ({"partnership": bio.pk}, "Eneko"), ({"country": "FR"}, "Francoise"),
        ({"region": "ES21"}, "Eneko"), ({"stakeholder_type": "business"}, "Francoise"),
        ({"q": "hydrogen"}, "Eneko"), ({"q": "DAIRY trace"}, "Francoise"),
    ]
    for params, expected in cases:
        found = re.search(r'id="people">(.*?)</ul>', page(client, url("people", viewer), **params), re.S).group(1)
        names = set(re.findall(r"<strong>(\w+) ", found))
        assert names == {expected}, (params, names)


def test_a_filter_value_not_offered_is_an_error_on_the_form_not_a_500(event, client):
    viewer = person(event)
    person(event, first_name="Eneko")
    html = page(client, url("people", viewer), platform="nope", country="ZZ", page="x")
    assert "Select a valid choice" in html and "Eneko" in html


def test_suggestions_put_matching_offers_from_other_platforms_and_regions_first(event, client):
    viewer = person(event, platforms=[agri_food()], region="ES21",
                    profile={"looking_for": "Biogas plants and digestate know-how"})
    near = person(event, first_name="Nerea", platforms=[agri_food()], region="ES21",
                  profile={"offers": "biogas plants"})
    far = person(event, first_name="Fabian", platforms=[energy()], country="DE", region="DE21",
                 profile={"offers": "Biogas plants, digestate handling"})
    unrelated_same_platform = person(event, first_name="Unai", platforms=[agri_food()], profile={"offers": "apps"})
    other_platform_only = person(event, first_name="Olga", platforms=[energy()], region="ES21")
    html = page(client, url("people", viewer))
    block = re.search(r'id="suggestions">(.*?)</ul>', html, re.S).group(1)
    order = re.findall(r"<strong>(\w+) ", block)
    assert order == ["Fabian", "Nerea", "Olga"], order  # Unai: no match, same platform
    assert "“biogas”, “plants”, “digestate”, which you look for" in block
    assert "Energy and your Agri-Food" in block
    assert "another region: Oberbayern" in block
    assert unrelated_same_platform.registration.first_name not in block
    assert far and near and other_platform_only


# --- Requests, answers, emails --------------------------------------------------------------------

def test_the_request_flow_emails_each_step_in_the_recipients_language(event, client):
    asker = person(event, first_name="Ane", organisation="Bilbao Tech", language="es")
    asked = person(event, first_name="Ben", organisation="Lyon Agro", platforms=[energy()], language="eu")
    slot(event, at(10), at(10, 20), room=None)
    response = client.post(url("person", asker, asked.pk), {"message": "Hablemos de biogás"})
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    request_email = OutgoingEmail.objects.get(kind="meeting_requested")
    assert request_email.registration == asked.registration
    message = build_message(request_email)
    assert message.to == [asked.registration.email]
    assert "Ane" in message.body and "Bilbao Tech" in message.body and "Hablemos de biogás" in message.body
    assert asker.registration.email not in message.body  # not introduced yet
    assert "bilera" in message.subject.lower()  # Basque

    client.post(url("answer", asked, meeting.pk, "accept"))
    meeting.refresh_from_db()
    assert meeting.status == "accepted" and meeting.table == 1
    introductions = {email.registration_id: build_message(email) for email in OutgoingEmail.objects.filter(
        kind="meeting_accepted")}
    to_asker, to_asked = introductions[asker.registration_id], introductions[asked.registration_id]
    assert asked.registration.email in to_asker.body and "Lyon Agro" in to_asker.body and "mesa 1" in to_asker.body
    assert asker.registration.email in to_asked.body and "Bilbao Tech" in to_asked.body
    ics = next(content for name, content, _type in (a for a in to_asker.attachments if isinstance(a, tuple))
               if name == "my-agenda.ics")
    [entry] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert str(entry["summary"]).startswith("Reunión con Ben")  # the meeting, in Ane's Spanish

    client.post(url("answer", asker, meeting.pk, "cancel"))
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"
    cancelled = OutgoingEmail.objects.get(kind="meeting_cancelled")
    assert cancelled.registration == asked.registration and "Ane" in build_message(cancelled).body


def test_declining_tells_the_requester_and_only_the_invitee_may_answer(event, client):
    asker, asked = person(event, first_name="Ane"), person(event, first_name="Ben")
    meeting = services.request_meeting(asker, asked, "")
    client.post(url("answer", asker, meeting.pk, "accept"))  # not theirs to accept
    meeting.refresh_from_db()
    assert meeting.status == "requested"
    client.post(url("answer", asked, meeting.pk, "decline"))
    meeting.refresh_from_db()
    assert meeting.status == "declined"
    declined = OutgoingEmail.objects.get(kind="meeting_declined")
    assert declined.registration == asker.registration and "Ben" in build_message(declined).body
    stranger = person(event)
    assert client.post(url("answer", stranger, meeting.pk, "cancel")).status_code == 404
    assert client.post(url("answer", asked, meeting.pk, "explode")).status_code == 404


def test_every_post_needs_its_csrf_token(event):
    asker, asked = person(event), person(event)
    meeting = services.request_meeting(asker, asked, "")
    strict = Client(enforce_csrf_checks=True)
    for address, data in [(url("profile", asker), {"visibility": "public"}), (url("person", asker, asked.pk), {}),
                          (url("answer", asked, meeting.pk, "accept"), {})]:
        assert strict.post(address, data).status_code == 403, address
    assert strict.get(url("answer", asked, meeting.pk, "accept")).status_code == 405


def test_accepting_skips_slots_that_clash_with_a_booked_session(event):
    asker, asked = person(event), person(event)
    session = SessionFactory(event=event, starts_at=at(10), ends_at=at(11))
    BookingFactory(registration=asked.registration, session=session, status=Booking.Status.CONFIRMED)
    held = SessionFactory(event=event, starts_at=at(11), ends_at=at(11, 30))
    BookingFactory(registration=asker.registration, session=held, status=Booking.Status.HELD)
    waiting = SessionFactory(event=event, starts_at=at(11, 30), ends_at=at(12))
    BookingFactory(registration=asker.registration, session=waiting, status=Booking.Status.WAITLISTED)
    # A waitlist place keeps its person busy too: a promotion may turn it into a seat any time.
    clashing = [slot(event, at(10, 30), at(10, 50)), slot(event, at(11), at(11, 20)), slot(event, at(11, 30), at(11, 50))]
    free = slot(event, at(12), at(12, 20))
    meeting = services.accept(services.request_meeting(asker, asked, ""))
    assert meeting.slot == free and clashing


def test_accepting_skips_slots_where_either_already_meets_someone_and_past_slots(event):
    ane, ben, carla = person(event), person(event), person(event)
    slot(event, at(9), at(9, 20), tables=5)
    first = slot(event, at(9, 30), at(9, 50))
    second = slot(event, at(10), at(10, 20))
    now = at(9, 10)  # the 9:00 slot has started
    assert services.accept(services.request_meeting(ane, ben, ""), now=now).slot == first
    assert services.accept(services.request_meeting(carla, ben, ""), now=now).slot == second


def test_no_free_table_refuses_with_a_message_and_the_request_stays_open(event, client):
    ane, ben, carla, dani = (person(event, first_name=name) for name in ["Ane", "Ben", "Carla", "Dani"])
    slot(event, at(10), at(10, 20), tables=1)
    services.accept(services.request_meeting(ane, ben, ""))
    meeting = services.request_meeting(carla, dani, "")
    with pytest.raises(services.MeetingRefused, match="No meeting slot has a free table"):
        services.accept(meeting)
    meeting.refresh_from_db()
    assert meeting.status == "requested" and not OutgoingEmail.objects.filter(
        kind="meeting_accepted", registration=carla.registration).exists()
    response = client.post(url("answer", dani, meeting.pk, "accept"), follow=True)
    assert "No meeting slot has a free table" in response.content.decode()


def test_leaving_the_event_cancels_ones_meetings_and_tells_the_others(event):
    from registrations import services as registration_services

    ane, ben, carla, dani = (person(event, first_name=name) for name in ["Ane", "Ben", "Carla", "Dani"])
    only = slot(event, at(10), at(10, 20), tables=1)
    meeting = services.accept(services.request_meeting(ane, ben, ""))
    request = services.request_meeting(carla, ane, "")
    registration_services.cancel(ane.registration)
    assert set(Meeting.objects.values_list("status", flat=True)) == {"cancelled"} and meeting and request
    told = OutgoingEmail.objects.filter(kind="meeting_cancelled")
    assert {email.registration_id for email in told} == {ben.registration_id, carla.registration_id}
    body = build_message(told.get(registration=ben.registration)).body
    assert "no longer takes part in the event" in body and "has cancelled" not in body and "Ane" in body
    assert services.accept(services.request_meeting(carla, dani, "")).slot == only  # the table is free again


def test_the_personal_data_export_holds_the_profile_and_meetings_and_anonymising_removes_their_words(event):
    from registrations import privacy

    ane = person(event, first_name="Ane", profile={"about": "I run the Gernika dairy", "offers": "cheese"})
    ben = person(event, first_name="Ben")
    slot(event, at(10), at(10, 20))
    services.accept(services.request_meeting(ben, ane, "Loved your Gernika cheese"))
    [exported] = privacy.personal_data(ane.registration.email)["registrations"]
    assert exported["networking_profile"]["about"] == "I run the Gernika dairy"
    [meeting] = exported["meetings"]
    assert meeting["with"] == ben.registration.full_name and meeting["table"] == 1 and not meeting["asked_by_me"]
    privacy.anonymise(event)
    ane.refresh_from_db()
    assert (ane.about, ane.offers, ane.visibility) == ("", "", "hidden")
    assert Meeting.objects.get().message == "" and Meeting.objects.get().status == "accepted"


def test_a_cancelled_meeting_frees_its_table(event):
    ane, ben, carla, dani = (person(event) for _ in range(4))
    only = slot(event, at(10), at(10, 20), tables=1)
    services.cancel(services.accept(services.request_meeting(ane, ben, "")))
    assert services.accept(services.request_meeting(carla, dani, "")).slot == only


# --- Limits against spam -----------------------------------------------------------------------

def test_open_requests_are_capped_and_never_duplicated(event, client):
    asker = person(event)
    others = [person(event) for _ in range(services.OPEN_REQUESTS_PER_PERSON + 1)]
    for other in others[:-1]:
        services.request_meeting(asker, other, "")
    with pytest.raises(services.MeetingRefused, match="requests waiting"):
        services.request_meeting(asker, others[-1], "")
    response = client.post(url("person", asker, others[-1].pk), {"message": "hi"})
    assert response.status_code == 200 and "requests waiting for an answer" in response.content.decode()
    assert Meeting.objects.count() == services.OPEN_REQUESTS_PER_PERSON
    with pytest.raises(services.MeetingRefused, match="already have a request"):
        services.request_meeting(others[0], asker, "")  # the other way round counts too


@pytest.mark.parametrize("case", ["stopped", "hidden invitee", "hidden requester", "yourself"])
def test_requests_are_refused_to_who_does_not_take_them(event, case):
    asker, asked = person(event), person(event)
    if case == "stopped":
        Profile.objects.filter(pk=asked.pk).update(accepts_requests=False)
    elif case == "hidden invitee":
        Profile.objects.filter(pk=asked.pk).update(visibility="hidden")
    elif case == "hidden requester":
        Profile.objects.filter(pk=asker.pk).update(visibility="hidden")
    else:
        asked = asker
    with pytest.raises(services.MeetingRefused):
        services.request_meeting(asker, asked, "")
    assert not Meeting.objects.exists() and not OutgoingEmail.objects.exists()


def test_the_message_of_a_request_is_checked_on_the_form(event, client):
    asker, asked = person(event), person(event)
    response = client.post(url("person", asker, asked.pk), {"message": "x" * 1001})
    assert response.status_code == 200 and "at most 1000 characters" in response.content.decode()
    response = client.post(url("person", asker, asked.pk), {"message": "bell\x07"})
    assert "invisible control characters" in response.content.decode()
    assert not Meeting.objects.exists()


# --- Calendars and pages -------------------------------------------------------------------------

def test_both_personal_calendars_hold_the_meeting(event, client):
    ane = person(event, first_name="Ane", last_name="Agirre", organisation="Bilbao Tech")
    ben = person(event, first_name="Ben", last_name="Brun", organisation="Lyon Agro")
    room_slot = slot(event, at(10), at(10, 20))
    meeting = services.accept(services.request_meeting(ane, ben, ""))
    for me, other in [(ane, ben), (ben, ane)]:
        response = client.get(reverse("registrations:my_agenda_ics", args=[event.slug, me.registration.token]))
        calendar = icalendar.Calendar.from_ical(response.content)
        [entry] = [component for component in calendar.walk("VEVENT")]
        assert entry["summary"] == f"Meeting with {other.registration.full_name} ({other.registration.organisation})"
        assert entry.decoded("dtstart") == room_slot.starts_at and entry.decoded("dtend") == room_slot.ends_at
        assert f"{room_slot.room.name}, table {meeting.table}" in str(entry["location"])
        assert str(entry["uid"]).startswith(f"meeting-{meeting.pk}@")


def test_the_private_page_and_the_meetings_page_show_the_meeting(event, client):
    ane, ben = person(event, first_name="Ane"), person(event, first_name="Ben", organisation="Lyon Agro")
    room_slot = slot(event, at(10), at(10, 20))
    services.accept(services.request_meeting(ane, ben, "Hello"))
    private = page(client, ane.registration.get_absolute_url())
    assert "Meeting with Ben" in private and "Lyon Agro" in private and "table 1" in private
    meetings = page(client, url("meetings", ane))
    assert room_slot.room.name in meetings and "table 1" in meetings and "Ben" in meetings


# --- Organisers --------------------------------------------------------------------------------

def test_the_organisers_page_counts_requests_and_meetings_across_platforms_countries_regions(event, client):
    basque = dict(country="ES", region="ES21")
    a = person(event, platforms=[agri_food()], **basque)
    b = person(event, platforms=[energy()], country="FR", region="FRK2")
    c = person(event, platforms=[agri_food(), energy()], **basque)
    d = person(event, platforms=[energy()], country="ES", region="ES30")
    e = person(event)
    slot(event, at(10), at(10, 20))
    slot(event, at(11), at(11, 20))
    services.accept(services.request_meeting(a, b, ""))  # platforms, countries, regions
    services.accept(services.request_meeting(c, d, ""))  # share Energy; region only
    services.accept(services.request_meeting(a, c, ""))  # nothing different
    services.decline(services.request_meeting(e, a, ""))
    services.cancel(services.request_meeting(e, b, ""))
    services.request_meeting(e, c, "")
    client.force_login(staff_user("Registration staff"))
    html = page(client, reverse("networking:staff_meetings", args=[event.slug]))
    numbers = dict(re.findall(r'<dt class="col-sm-6">([^<]+)</dt><dd class="col-sm-6">(\d+)</dd>', html))
    assert numbers == {
        "Requests made": "6", "Waiting for an answer": "1", "Accepted": "3", "Declined": "1", "Cancelled": "1",
        "Accepted meetings joining different platforms": "1",
        "Accepted meetings joining different countries": "1",
        "Accepted meetings joining different regions": "2",
    }
    assert "plan-print.css" in html and "Meetings" in html and a.registration.full_name in html


def test_the_organisers_page_is_for_staff_only(event):
    address = reverse("networking:staff_meetings", args=[event.slug])
    assert Client().get(address).status_code == 302
    outsider = Client()
    outsider.force_login(staff_user())
    assert outsider.get(address).status_code == 403


def test_the_admin_refuses_fewer_tables_than_are_in_use(event):
    ane, ben, carla, dani = (person(event) for _ in range(4))
    only = slot(event, at(10), at(10, 20), tables=3)
    services.accept(services.request_meeting(ane, ben, ""))
    services.accept(services.request_meeting(carla, dani, ""))
    admin = Client()
    admin.force_login(staff_user("Organisers", "boss"))
    data = {"event": event.pk, "starts_at_0": "2030-11-27", "starts_at_1": "10:00", "ends_at_0": "2030-11-27",
            "ends_at_1": "10:20", "room": only.room_id, "tables": "1"}
    response = admin.post(reverse("admin:networking_meetingslot_change", args=[only.pk]), data)
    assert response.status_code == 200 and "Table 2 has a meeting in this slot" in response.content.decode()
    only.refresh_from_db()
    assert only.tables == 3
    for model in ("meetingslot", "meeting", "profile"):
        assert admin.get(reverse(f"admin:networking_{model}_changelist")).status_code == 200
    assert admin.get(reverse("admin:networking_meetingslot_add")).status_code == 200
    assert admin.get(reverse("admin:networking_meeting_change", args=[Meeting.objects.first().pk])).status_code == 200


def test_load_s3days_adds_the_meeting_slots_once(db):
    call_command("load_s3days", stdout=open("/dev/null", "w"))
    slots = list(MeetingSlot.objects.values_list("pk", "starts_at", "tables"))
    assert len(slots) == 6
    call_command("load_s3days", stdout=open("/dev/null", "w"))
    assert list(MeetingSlot.objects.values_list("pk", "starts_at", "tables")) == slots


# --- Query counts ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["people", "meetings", "participants", "staff"])
def test_pages_take_the_same_queries_for_4_or_34_participants(event, name, django_assert_num_queries):
    viewer = person(event, profile={"looking_for": "biogas"})
    slot(event, at(10), at(12), tables=50)
    bio = partnership(energy())
    client = Client()
    client.force_login(staff_user("Registration staff"))
    address = {"people": url("people", viewer), "meetings": url("meetings", viewer),
               "participants": reverse("networking:participants", args=[event.slug]),
               "staff": reverse("networking:staff_meetings", args=[event.slug])}[name]

    def grow(count):
        """`count` more people, with requests: one to the viewer, one from them, and among the
        newcomers one request, accepted, for every two of them."""
        newcomers = [person(event, visibility="public" if number % 2 else "participants",
                            platforms=[agri_food(), energy()], partnerships=[bio],
                            profile={"offers": "biogas", "looking_for": "storage"}) for number in range(count)]
        services.request_meeting(newcomers[0], viewer, "")
        services.request_meeting(viewer, newcomers[1], "")
        for one, other in zip(newcomers[2::2], newcomers[3::2]):
            services.accept(services.request_meeting(one, other, ""))

    grow(4)
    client.get(address)  # caches warmed (the event, sessions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(address).status_code == 200
    grow(30)
    with django_assert_num_queries(len(few)):
        assert client.get(address).status_code == 200
