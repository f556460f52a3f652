"""Networking, as a review found it wanting: who may read the directory, suggestions that
forget people at once, repeated requests, sessions booked over meetings, calendars and the
admin's times and rooms."""
import icalendar
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from networking import directory, services
from networking.models import Meeting
from registrations import services as registration_services
from registrations.emails import build_message
from registrations.models import OutgoingEmail
from tests.factories import RoomFactory, SessionFactory, staff_user
from tests.networking_factories import at, energy, networking_event, person, slot

pytestmark = pytest.mark.django_db


def url(name, profile, *args):
    registration = profile.registration
    return reverse(f"networking:{name}", args=[registration.event.slug, registration.token, *args])


@pytest.fixture
def event():
    return networking_event()


def test_someone_awaiting_approval_cannot_read_the_directory_or_profiles(event):
    waiting = person(event, status="pending", visibility="hidden")
    shown = person(event, first_name="Shown", last_name="Person")
    client = Client()
    for address in (url("people", waiting), url("person", waiting, shown.pk)):
        response = client.get(address, follow=True)
        assert "Shown" not in response.content.decode()
        assert "opens once your registration is approved" in response.content.decode()
    # Their own profile and meetings stay theirs.
    assert client.get(url("profile", waiting)).status_code == 200
    assert client.get(url("meetings", waiting)).status_code == 200


@pytest.mark.parametrize("leaves", ["hides", "cancels"])
def test_a_suggested_person_who_hides_or_leaves_is_gone_from_suggestions_at_once(event, leaves):
    viewer = person(event, profile={"looking_for": "biogas digesters"})
    suggested = person(event, first_name="Sugg", last_name="Ested", platforms=[energy()],
                       profile={"offers": "biogas digesters"})
    client = Client()
    assert "Ested" in client.get(url("people", viewer)).content.decode()
    if leaves == "hides":
        services.save_profile(suggested, visibility="hidden")
    else:
        registration_services.cancel(suggested.registration)
    assert "Ested" not in client.get(url("people", viewer)).content.decode()


def test_suggestions_leave_out_people_already_asked_or_declining_and_those_taking_no_requests(event):
    viewer = person(event, profile={"looking_for": "biogas"})
    asked = person(event, last_name="Asked", platforms=[energy()], profile={"offers": "biogas"})
    person(event, last_name="Closed", platforms=[energy()], profile={"offers": "biogas", "accepts_requests": False})
    fresh = person(event, last_name="Fresh", platforms=[energy()], profile={"offers": "biogas"})
    services.request_meeting(viewer, asked, "")
    names = [profile.registration.last_name for profile, _why in directory.suggestions(event, viewer.registration, viewer)]
    assert names == [fresh.registration.last_name]


def test_people_who_typed_the_same_place_are_not_from_another_region(event):
    viewer = person(event, country="NO", region="", region_other="Vestland", profile={"looking_for": "fjords"})
    neighbour = person(event, country="NO", region="", region_other="vestland ", platforms=[energy()],
                       profile={"offers": "fjords"})
    [(found, why)] = directory.suggestions(event, viewer.registration, viewer)
    assert found == neighbour and "another region" not in why


def test_a_declined_requester_cannot_ask_again_nor_ask_and_withdraw_without_end(event):
    ane, ben, carla = person(event), person(event), person(event)
    services.decline(services.request_meeting(ane, ben, ""))
    with pytest.raises(services.MeetingRefused, match="declined your earlier request"):
        services.request_meeting(ane, ben, "")
    for _time in range(services.ASKS_OF_ONE_PERSON):
        services.cancel(services.request_meeting(ane, carla, ""))
    with pytest.raises(services.MeetingRefused, match="already asked this person"):
        services.request_meeting(ane, carla, "")
    requests_to_carla = OutgoingEmail.objects.filter(registration=carla.registration, kind="meeting_requested")
    assert requests_to_carla.count() == services.ASKS_OF_ONE_PERSON


def test_a_participant_cannot_book_a_session_over_a_meeting_they_accepted(event):
    ane, ben = person(event, first_name="Ane"), person(event, first_name="Ben", last_name="Brun")
    slot(event, at(10), at(10, 20))
    services.accept(services.request_meeting(ane, ben, ""))
    clashing = SessionFactory(event=event, title="Morning workshop", starts_at=at(10), ends_at=at(11), capacity=None)
    later = SessionFactory(event=event, title="Afternoon workshop", starts_at=at(15), ends_at=at(16), capacity=None)
    response = Client().post(reverse("registrations:change_sessions", args=[event.slug, ane.registration.token]),
                             {"sessions": [clashing.pk, later.pk]})
    assert response.status_code == 200
    assert "“Morning workshop” is at the time of your meeting with Ben Brun" in response.content.decode()
    assert not ane.registration.bookings.exists()  # nothing booked, not even the other one
    registration_services.change_sessions(ane.registration, [later])
    assert ane.registration.bookings.get().session == later


def test_the_calendar_entries_of_meetings_carry_no_private_link_and_a_cancellation_is_sent_as_one(event):
    ane, ben = person(event), person(event)
    slot(event, at(10), at(10, 20))
    meeting = services.accept(services.request_meeting(ane, ben, ""))
    calendar = Client().get(reverse("registrations:my_agenda_ics", args=[event.slug, ane.registration.token])).content
    assert ane.registration.token.encode() not in calendar
    services.cancel(meeting, by=ane)
    email = OutgoingEmail.objects.get(registration=ben.registration, kind="meeting_cancelled")
    [attached] = [part[1] for part in build_message(email).attachments
                  if isinstance(part, tuple) and part[0] == "cancelled-meeting.ics"]
    [entry] = icalendar.Calendar.from_ical(attached).walk("VEVENT")
    assert (entry["STATUS"], entry["SEQUENCE"]) == ("CANCELLED", 1)
    assert str(entry["UID"]).startswith(f"meeting-{meeting.pk}@")


def test_the_decline_email_links_to_the_directory(event):
    ane, ben = person(event), person(event)
    services.decline(services.request_meeting(ane, ben, ""))
    email = OutgoingEmail.objects.get(registration=ane.registration, kind="meeting_declined")
    assert url("people", ane) in build_message(email).body


def test_the_admin_shows_slots_in_the_events_time_and_refuses_a_new_room_for_booked_meetings(event):
    ane, ben = person(event), person(event)
    booked = slot(event, at(10), at(10, 20))
    services.accept(services.request_meeting(ane, ben, ""))
    assert str(booked).startswith("2030-11-27 10:00-10:20")
    admin = Client()
    admin.force_login(staff_user("Organisers", "boss"))
    other_room = RoomFactory(event=event)
    data = {"event": event.pk, "starts_at_0": "2030-11-27", "starts_at_1": "10:00", "ends_at_0": "2030-11-27",
            "ends_at_1": "10:20", "room": other_room.pk, "tables": "10"}
    response = admin.post(reverse("admin:networking_meetingslot_change", args=[booked.pk]), data)
    assert response.status_code == 200 and "cancel them before moving it" in response.content.decode()
    booked.refresh_from_db()
    assert booked.room != other_room
    assert Meeting.objects.get().slot.room == booked.room
    cache.clear()


def test_meetings_cannot_be_deleted_in_the_admin_even_by_a_superuser(event):
    from django.contrib.auth.models import User

    ane, ben = person(event), person(event)
    meeting = services.request_meeting(ane, ben, "")
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))
    assert admin.get(reverse("admin:networking_meeting_delete", args=[meeting.pk])).status_code == 403
    assert Meeting.objects.filter(pk=meeting.pk).exists()
