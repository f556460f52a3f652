"""Organisers' edits of the programme in the admin and the seats they affect: every page (the
event page's room and session inlines too) goes through one seam, refuses a capacity below the
seats taken, and hands freed seats to the waitlist in order."""
import datetime

import icalendar
import pytest
from django.contrib import admin
from django.core import mail
from django.test import Client
from django.urls import reverse

from agenda.models import Event, Room, Session
from registrations import services
from registrations.models import Booking, OutgoingEmail
from registrations.programme_admin import RoomSeatsForm, SeatsFollowProgramme, SessionSeatsForm
from tests.factories import (
    MADRID, EventFactory, PlatformFactory, RoomFactory, SessionFactory, details_for, staff_user,
)
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser(client):
    client.force_login(staff_user("Organisers"))
    return client


def session_in_room(capacity):
    event = EventFactory()
    return SessionFactory(event=event, room=RoomFactory(event=event, capacity=capacity))


def sign_up(session, *names):
    platform = PlatformFactory(slug="energy", name="Energy")
    return [
        services.register(session.event, details=details_for(f"{name}@example.org"), platforms=[platform],
                          sessions=[session])[0]
        for name in names
    ]


def statuses(registrations):
    return [registration.bookings.get().status for registration in registrations]


def post_page(client, url, form_id, **changes):
    """GETs an admin page, changes some fields of its form, POSTs it back as a browser would."""
    data = {**form_data(client.get(url).content.decode(), form_id), **changes}
    return client.post(url, data, follow=True)


def test_every_admin_page_of_the_programme_goes_through_the_seam():
    # A page added later without the seam would save seats past its locks and promote nobody.
    for model in (Event, Room, Session):
        assert isinstance(admin.site._registry[model], SeatsFollowProgramme), model
    for model_admin in admin.site._registry.values():
        if any(inline.model in (Session, Room) for inline in model_admin.inlines):
            assert isinstance(model_admin, SeatsFollowProgramme), model_admin
        for inline in model_admin.inlines:
            if inline.model is Session:
                assert issubclass(inline.form, SessionSeatsForm), (model_admin, inline)
            if inline.model is Room:
                assert issubclass(inline.form, RoomSeatsForm), (model_admin, inline)


def test_raising_a_room_capacity_in_the_event_pages_inline_promotes_the_waitlist_in_order(organiser):
    event = EventFactory()
    room = RoomFactory(event=event, capacity=1, name="Small room")
    session = SessionFactory(event=event, room=room)
    people = sign_up(session, "ana", "ben", "cai")
    url = reverse("admin:agenda_event_change", args=[event.pk])
    response = post_page(organiser, url, "event_form", **{"rooms-0-capacity": "2"})
    assert response.status_code == 200 and "1 person confirmed from the waitlist" in response.content.decode()
    assert Room.objects.get(pk=room.pk).capacity == 2
    assert statuses(people) == ["confirmed", "confirmed", "waitlisted"]


def test_raising_a_session_capacity_in_the_event_pages_inline_promotes_the_waitlist(organiser):
    event = EventFactory()
    session = SessionFactory(event=event, capacity=1)
    people = sign_up(session, "ana", "ben", "cai")
    response = post_page(organiser, reverse("admin:agenda_event_change", args=[event.pk]), "event_form",
                         **{"sessions-0-capacity": "3"})
    assert "2 people confirmed from the waitlist" in response.content.decode()
    assert statuses(people) == ["confirmed"] * 3


def test_raising_a_room_capacity_on_the_room_page_promotes_the_waitlist(organiser):
    session = session_in_room(capacity=1)
    people = sign_up(session, "ana", "ben")
    post_page(organiser, reverse("admin:agenda_room_change", args=[session.room_id]), "room_form", capacity="5")
    assert statuses(people) == ["confirmed", "confirmed"]


def test_deleting_a_room_makes_its_sessions_unlimited_and_promotes_everyone_waiting(organiser):
    session = session_in_room(capacity=1)
    people = sign_up(session, "ana", "ben", "cai")
    response = organiser.post(reverse("admin:agenda_room_delete", args=[session.room_id]), {"post": "yes"},
                              follow=True)
    assert response.status_code == 200 and not Room.objects.exists()
    assert statuses(people) == ["confirmed"] * 3


def test_deleting_rooms_from_the_changelist_promotes_too(organiser):
    session = session_in_room(capacity=1)
    people = sign_up(session, "ana", "ben")
    organiser.post(reverse("admin:agenda_room_changelist"),
                   {"action": "delete_selected", "_selected_action": [session.room_id], "post": "yes"})
    assert not Room.objects.exists() and statuses(people) == ["confirmed", "confirmed"]


def test_a_session_capacity_below_the_seats_taken_is_refused_with_how_many_hold_seats(organiser):
    session = SessionFactory(capacity=3)
    people = sign_up(session, "ana", "ben", "cai", "dan")
    response = post_page(organiser, reverse("admin:agenda_session_change", args=[session.pk]), "session_form",
                         capacity="2")
    page = response.content.decode()
    assert "3 people hold seats in this session, so it needs at least 3 seats." in page
    assert Session.objects.get(pk=session.pk).capacity == 3
    assert statuses(people) == ["confirmed"] * 3 + ["waitlisted"]


def test_a_room_capacity_below_the_seats_taken_in_its_sessions_is_refused_on_either_page(organiser):
    event = EventFactory()
    room = RoomFactory(event=event, capacity=5, name="Room A")
    session = SessionFactory(event=event, room=room, title="Energy meeting")
    sign_up(session, "ana", "ben", "cai")
    expected = "“Energy meeting” takes its seats from this room and 3 people hold seats in it, so the room needs at least 3."
    on_room_page = post_page(organiser, reverse("admin:agenda_room_change", args=[room.pk]), "room_form", capacity="2")
    on_event_page = post_page(organiser, reverse("admin:agenda_event_change", args=[event.pk]), "event_form",
                              **{"rooms-0-capacity": "2"})
    for response in (on_room_page, on_event_page):
        assert expected in response.content.decode()
    assert Room.objects.get(pk=room.pk).capacity == 5


def test_a_move_to_a_smaller_room_is_refused_when_the_seats_taken_do_not_fit(organiser):
    event = EventFactory()
    session = SessionFactory(event=event, room=RoomFactory(event=event, capacity=10))
    small = RoomFactory(event=event, capacity=1, name="Closet")
    sign_up(session, "ana", "ben")
    response = post_page(organiser, reverse("admin:agenda_session_change", args=[session.pk]), "session_form",
                         room=str(small.pk))
    assert "2 people hold seats in this session, so it needs at least 2 seats (its room, Closet, has 1)." in (
        response.content.decode())
    assert Session.objects.get(pk=session.pk).room_id != small.pk


def test_an_edit_that_slips_past_the_forms_is_refused_whole_by_the_seam(organiser, monkeypatch):
    # The forms check each row against the others as they are; the seam checks the result.
    session = SessionFactory(capacity=3)
    sign_up(session, "ana", "ben", "cai")
    monkeypatch.setattr(SessionSeatsForm, "clean", lambda form: form.cleaned_data)
    response = post_page(organiser, reverse("admin:agenda_session_change", args=[session.pk]), "session_form",
                         capacity="1", title="Renamed")
    page = response.content.decode()
    assert "3 people hold seats, so it needs at least 3 seats. Nothing was saved." in page
    assert "was changed successfully" not in page
    assert Session.objects.get(pk=session.pk).title != "Renamed"
    assert Booking.objects.filter(status="confirmed").count() == 3


def test_a_room_with_sessions_cannot_move_to_another_event(organiser):
    session = session_in_room(capacity=5)
    other = EventFactory()
    response = post_page(organiser, reverse("admin:agenda_room_change", args=[session.room_id]), "room_form",
                         event=str(other.pk))
    assert "Sessions take place in this room: it stays with their event." in response.content.decode()
    assert Room.objects.get(pk=session.room_id).event_id == session.event_id


@pytest.mark.parametrize("junk", ["²", "1x", "9" * 40])
def test_a_garbage_id_in_an_admin_url_is_a_clean_answer(organiser, junk):
    # The seam reads the id to find the event to lock, before Django's admin looks at it.
    session_in_room(capacity=5)
    response = organiser.post(f"/admin/agenda/session/{junk}/change/", {"title_en": "x"})
    assert response.status_code in (200, 302)


def test_cancelling_a_session_tells_everyone_booked_and_nobody_can_book_it(organiser, django_capture_on_commit_callbacks):
    session = session_in_room(capacity=1)
    event = session.event
    # On the event's first day (the factory's times run on with each session made), so the
    # schedule lists it.
    Session.objects.filter(pk=session.pk).update(starts_at=datetime.datetime(2018, 11, 27, 10, tzinfo=MADRID),
                                                 ends_at=datetime.datetime(2018, 11, 27, 11, tzinfo=MADRID))
    session.refresh_from_db()
    platform = PlatformFactory()
    holder, waiting = (services.register(event, details=details_for(email), platforms=[platform], sessions=[session])[0]
                       for email in ("holder@example.org", "waiting@example.org"))
    sequence = session.sequence
    url = "/admin/agenda/session/"
    asked = organiser.post(url, {"action": "cancel_sessions", "_selected_action": [session.pk]})
    assert "This emails 2 people." in asked.content.decode()
    assert Session.objects.get(pk=session.pk).cancelled_at is None  # nothing yet
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = organiser.post(url, {"action": "cancel_sessions", "_selected_action": [session.pk], "post": "yes"},
                              follow=True)
    assert "1 session cancelled; 2 people will get an email." in done.content.decode()
    session.refresh_from_db()
    assert session.cancelled_at and not session.registrable and session.sequence == sequence + 1
    assert set(Booking.objects.filter(session=session).values_list("status", flat=True)) == {"cancelled"}
    assert sorted(m.to[0] for m in mail.outbox) == ["holder@example.org", "waiting@example.org"]
    assert all("is cancelled" in m.subject for m in mail.outbox)
    for message in mail.outbox:  # each carries the session's cancellation for their calendar
        [attached] = [part[1] for part in message.attachments
                      if isinstance(part, tuple) and part[0] == "cancelled-session.ics"]
        [cancelled] = icalendar.Calendar.from_ical(attached).walk("VEVENT")
        assert (cancelled["STATUS"], cancelled["SEQUENCE"]) == ("CANCELLED", sequence + 1)
    assert OutgoingEmail.objects.filter(kind="session_cancelled").count() == 2
    # The agenda, its calendar and its schedule say so; the form no longer offers it.
    client = Client()
    assert "This session is cancelled" in client.get(session.get_absolute_url()).content.decode()
    ics = icalendar.Calendar.from_ical(client.get(f"{session.get_absolute_url()[:-1]}.ics").content)
    [vevent] = ics.walk("VEVENT")
    assert vevent["STATUS"] == "CANCELLED" and vevent["SEQUENCE"] == sequence + 1
    schedule = client.get(f"/{event.slug}/agenda.json").json()
    titles = [e["title"] for day in schedule["schedule"]["conference"]["days"] for room in day["rooms"].values()
              for e in room]
    assert f"Cancelled: {session.title}" in titles
    form = client.get(f"/{event.slug}/register/").content.decode()
    assert "No session can be booked at the moment." in form  # its only session is gone from the form
    assert not Session.objects.registrable().filter(pk=session.pk).exists()
    assert services.cancel_session(session) == 0  # once


def test_a_sign_up_with_a_session_cancelled_after_its_form_was_checked_does_not_book_it():
    session = session_in_room(capacity=5)
    platform = PlatformFactory()
    services.cancel_session(session)
    registration, _created, places = services.register(
        session.event, details=details_for("late@example.org"), platforms=[platform], sessions=[session])
    assert places == {} and not registration.bookings.exists()
    other = SessionFactory(event=session.event)
    services.change_sessions(registration, [session, other])
    assert list(registration.bookings.values_list("session_id", flat=True)) == [other.pk]


def test_duplicating_an_event_copies_its_programme_and_questions_but_nobody(organiser, seeded):
    from registrations.models import Question, QuestionOption, Registration

    dinner = Question.objects.create(event=seeded, label="Dinner", label_es="Cena", kind="single_choice")
    QuestionOption.objects.create(question=dinner, label="Yes", limit=80)
    energy = seeded.sessions.get(slug="energy-meeting")
    services.register(seeded, details=details_for("ane@example.eus"), platforms=[energy.platform], sessions=[energy])
    url = "/admin/agenda/event/"
    asked = organiser.post(url, {"action": "duplicate_event", "_selected_action": [seeded.pk]})
    assert "Create the new edition" in asked.content.decode()
    taken = organiser.post(url, {"action": "duplicate_event", "_selected_action": [seeded.pk], "post": "yes",
                                 "name": "S3 Platform Days 2019", "slug": seeded.slug, "start_date": "2019-11-26"})
    assert "An event already has this address." in taken.content.decode()
    done = organiser.post(url, {"action": "duplicate_event", "_selected_action": [seeded.pk], "post": "yes",
                                "name": "S3 Platform Days 2019", "slug": "s3-platform-days-2019",
                                "start_date": "2019-11-26"})
    new = Event.objects.get(slug="s3-platform-days-2019")
    assert done.status_code == 302 and done["Location"] == f"/admin/agenda/event/{new.pk}/change/"
    assert (new.name, new.start_date.isoformat(), new.end_date.isoformat()) == (
        "S3 Platform Days 2019", "2019-11-26", "2019-11-27")
    assert new.rooms.count() == seeded.rooms.count()
    old_sessions = {s.slug: s for s in seeded.sessions.prefetch_related("speakers")}
    new_sessions = {s.slug: s for s in new.sessions.prefetch_related("speakers")}
    assert set(new_sessions) == set(old_sessions)
    for slug, session in new_sessions.items():
        old = old_sessions[slug]
        assert session.starts_at - old.starts_at == datetime.timedelta(days=364)
        assert set(session.speakers.all()) == set(old.speakers.all())
        assert session.room is None or session.room.event_id == new.pk
        assert session.title_es == old.title_es
    [question] = new.questions.all()
    assert (question.label, question.label_es, [(o.label, o.limit) for o in question.options.all()]) == (
        "Dinner", "Cena", [("Yes", 80)])
    assert not Registration.objects.filter(event=new).exists() and not Booking.objects.filter(session__event=new).exists()
