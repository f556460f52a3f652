"""The public agenda, session pages and the calendar and schedule feeds."""
import datetime

import icalendar
import pytest
import vobject
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agenda.models import Session
from registrations.models import OutgoingEmail
from tests.factories import BookingFactory, RegistrationFactory, SessionFactory, SpeakerFactory, staff_user

pytestmark = pytest.mark.django_db

UTC = datetime.timezone.utc


def get(client, url, **headers):
    cache.clear()  # every request renders afresh, as after SEAT_COUNTS_MAX_AGE seconds
    return client.get(url, **headers)


def test_agenda_shows_sessions_in_madrid_time_and_says_so(client, seeded):
    html = get(client, f"/{seeded.slug}/agenda/").content.decode()
    assert seeded.sessions.get(slug="joint-conference").starts_at == datetime.datetime(2018, 11, 27, 13, tzinfo=UTC)
    assert "<strong>14:00&ndash;18:00</strong>" in html
    assert "All times are Europe/Madrid time." in html
    assert "Tuesday 27 November 2018" in html and "Wednesday 28 November 2018" in html


def test_agenda_shows_room_kind_platform_label_seats_and_a_register_link(client, seeded):
    energy = seeded.sessions.get(slug="energy-meeting")
    energy.speakers.add(SpeakerFactory(name="Dr Ana Solar", organisation="Lapland UAS"))
    BookingFactory(session=energy, registration__event=seeded)
    html = get(client, f"/{seeded.slug}/agenda/").content.decode()
    assert '<span class="platform-badge platform-energy">Energy</span>' in html
    assert "Meeting room B &middot; Platform meeting" in html
    assert "99 of 100 seats left" in html
    assert "With Dr Ana Solar (Lapland UAS)" in html
    assert f'href="/{seeded.slug}/register/?session=energy-meeting">Register<span class="visually-hidden"> for Energy Platform meeting' in html


def test_a_full_session_says_full_with_a_waitlist(client, seeded):
    energy = seeded.sessions.get(slug="energy-meeting")
    energy.capacity = 1
    energy.save()
    BookingFactory(session=energy, registration__event=seeded)
    assert "Full: waitlist open" in get(client, f"/{seeded.slug}/agenda/").content.decode()


def test_platform_and_day_filters_work_without_javascript(client, seeded):
    html = get(client, f"/{seeded.slug}/agenda/?platform=energy").content.decode()
    assert "Energy Platform meeting" in html and "Agri-Food Platform meeting" not in html
    assert '<option value="energy" selected>' in html
    html = get(client, f"/{seeded.slug}/agenda/?day=2018-11-27").content.decode()
    assert "Joint Thematic" in html and "Energy Platform meeting" not in html
    html = get(client, f"/{seeded.slug}/agenda/?platform=&day=").content.decode()  # "All platforms", "Both days"
    assert "Energy Platform meeting" in html and "Joint Thematic" in html
    # Unknown filters are a 404: tests/test_access.py.


def test_session_page_shows_description_speakers_room_time_fullness_and_calendar_link(client, seeded):
    joint = seeded.sessions.get(slug="joint-conference")
    joint.speakers.add(SpeakerFactory(name="Mikel Landabaso", organisation="JRC", role="Head of Unit"))
    html = get(client, f"/{seeded.slug}/agenda/joint-conference/").content.decode()
    assert "Tuesday 27 November 2018, 14:00&ndash;18:00 (Europe/Madrid), Auditorium" in html
    assert "Mikel Landabaso, Head of Unit, JRC" in html
    assert "300 of 300 seats left" in html and "Multiannual Financial Framework" in html
    assert f'href="/{seeded.slug}/agenda/joint-conference.ics"' in html


def test_unknown_event_agenda_is_a_404(client, db):
    assert get(client, "/no-such-event/agenda/").status_code == 404


def test_unknown_session_is_a_404(client, seeded):
    assert get(client, f"/{seeded.slug}/agenda/no-such-session/").status_code == 404
    assert get(client, f"/{seeded.slug}/agenda/no-such-session.ics").status_code == 404


def parse_both(content):
    """The same file through icalendar and through vobject, an independent parser."""
    by_icalendar = {str(e["uid"]): e for e in icalendar.Calendar.from_ical(content).walk("VEVENT")}
    by_vobject = {e.uid.value: e for e in vobject.readOne(content.decode()).vevent_list}
    assert by_icalendar.keys() == by_vobject.keys()
    return by_icalendar, by_vobject


def test_agenda_ics_parses_with_two_parsers_and_has_the_right_times(client, seeded):
    response = get(client, f"/{seeded.slug}/agenda.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    by_icalendar, by_vobject = parse_both(response.content)
    assert len(by_icalendar) == seeded.sessions.count()
    joint = seeded.sessions.get(slug="joint-conference")
    uid = f"session-{joint.pk}@testserver"
    assert by_icalendar[uid].decoded("dtstart").astimezone(UTC) == datetime.datetime(2018, 11, 27, 13, tzinfo=UTC)
    assert by_icalendar[uid].decoded("dtend").astimezone(UTC) == datetime.datetime(2018, 11, 27, 17, tzinfo=UTC)
    assert by_vobject[uid].dtstart.value.astimezone(UTC) == datetime.datetime(2018, 11, 27, 13, tzinfo=UTC)
    assert by_vobject[uid].dtstart.value.utcoffset() == datetime.timedelta(hours=1)
    assert str(by_icalendar[uid]["location"]) == "Auditorium, Euskalduna Conference Centre, Bilbao, Spain"
    assert "http://testserver/s3-platform-days-2018/agenda/joint-conference/" in str(by_icalendar[uid]["description"])
    assert b"BEGIN:VTIMEZONE" in response.content and b"TZID:Europe/Madrid" in response.content


def test_session_ics_has_one_event(client, seeded):
    by_icalendar, _ = parse_both(get(client, f"/{seeded.slug}/agenda/energy-meeting.ics").content)
    [event] = by_icalendar.values()
    assert str(event["summary"]) == "Energy Platform meeting"


def test_uid_is_stable_and_sequence_grows_when_time_or_room_changes(client, seeded):
    url = f"/{seeded.slug}/agenda/energy-meeting.ics"
    [before] = parse_both(get(client, url).content)[0].items()
    [again] = parse_both(get(client, url).content)[0].items()
    assert before[0] == again[0] and before[1]["sequence"] == again[1]["sequence"] == 0
    energy = seeded.sessions.get(slug="energy-meeting")
    energy.title = "Renamed"  # not a move
    energy.save()
    assert parse_both(get(client, url).content)[0][before[0]]["sequence"] == 0
    energy.starts_at += datetime.timedelta(hours=1)
    energy.ends_at += datetime.timedelta(hours=1)
    energy.save()
    energy.room = seeded.rooms.get(name="Meeting room C")
    energy.save()
    [after] = parse_both(get(client, url).content)[0].items()
    assert after[0] == before[0] and after[1]["sequence"] == 2


def test_feeds_answer_304_to_a_poll_when_nothing_changed(client, seeded):
    for url in (f"/{seeded.slug}/agenda.ics", f"/{seeded.slug}/agenda.json", f"/{seeded.slug}/agenda/energy-meeting.ics"):
        etag = get(client, url)["ETag"]
        assert get(client, url, HTTP_IF_NONE_MATCH=etag).status_code == 304
        Session.objects.filter(slug="energy-meeting").update(title=f"Changed for {url}", updated_at=datetime.datetime.now(UTC))
        assert get(client, url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_agenda_json_has_the_frab_schedule_structure(client, seeded):
    data = get(client, f"/{seeded.slug}/agenda.json").json()
    conference = data["schedule"]["conference"]
    assert {"acronym", "title", "start", "end", "daysCount", "timeslot_duration", "time_zone_name", "rooms", "days"} <= set(conference)
    assert (conference["start"], conference["end"], conference["daysCount"]) == ("2018-11-27", "2018-11-28", 2)
    assert [day["date"] for day in conference["days"]] == ["2018-11-27", "2018-11-28"]
    [joint] = conference["days"][0]["rooms"]["Auditorium"]
    assert {"guid", "id", "date", "start", "duration", "room", "slug", "title", "track", "type", "persons", "url"} <= set(joint)
    assert (joint["date"], joint["start"], joint["duration"]) == ("2018-11-27T14:00:00+01:00", "14:00", "04:00")
    energy = conference["days"][1]["rooms"]["Meeting room B"][0]
    assert energy["track"] == "Energy" and energy["persons"] == []


@pytest.mark.parametrize("path", ["agenda/", "agenda/joint-conference/", "agenda.ics", "agenda.json", "agenda/joint-conference.ics"])
def test_pages_and_feeds_run_the_same_queries_for_10_and_300_sessions(client, seeded, path, django_assert_num_queries):
    def add_sessions(count):
        for _ in range(count):
            session = SessionFactory(event=seeded, room=seeded.rooms.get(name="Auditorium"))
            session.speakers.add(SpeakerFactory(), SpeakerFactory())
            BookingFactory(session=session, registration__event=seeded)

    add_sessions(5)  # with the seed's 5: 10 sessions
    with CaptureQueriesContext(connection) as ten:
        assert get(client, f"/{seeded.slug}/{path}").status_code == 200
    add_sessions(290)
    with django_assert_num_queries(len(ten.captured_queries)):
        assert get(client, f"/{seeded.slug}/{path}").status_code == 200


def organiser_client(client):
    client.force_login(staff_user("Organisers"))
    return client


def session_form(event, session, **changes):
    """What the admin's session form posts, for `session` as it is, with `changes` (the English
    title and description are title_en and description_en, beside their translations)."""
    local_start, local_end = session.starts_at.astimezone(event.tz), session.ends_at.astimezone(event.tz)
    data = {
        "event": event.pk, "title_en": session.title, "slug": session.slug, "kind": session.kind,
        "platform": session.platform_id or "", "room": session.room_id or "",
        "starts_at_0": f"{local_start:%Y-%m-%d}", "starts_at_1": f"{local_start:%H:%M}",
        "ends_at_0": f"{local_end:%Y-%m-%d}", "ends_at_1": f"{local_end:%H:%M}", "capacity": session.capacity or "",
        "registrable": "on" if session.registrable else "", "description_en": session.description,
    }
    translated = {"title", "description"}
    data.update({f"{name}_en" if name in translated else name: value for name, value in changes.items()})
    return data


def test_agenda_is_cached_and_refreshed_when_an_organiser_changes_a_session(
    client, seeded, django_capture_on_commit_callbacks
):
    cache.clear()
    client.get(f"/{seeded.slug}/agenda/")
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/{seeded.slug}/agenda/")
    assert len(queries.captured_queries) == 0  # the whole page came from the cache
    session = seeded.sessions.get(slug="energy-meeting")
    Session.objects.filter(pk=session.pk).update(title="Changed behind the admin's back")
    assert "Changed behind" not in client.get(f"/{seeded.slug}/agenda/").content.decode()  # still cached
    admin_client = organiser_client(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:agenda_session_change", args=[session.pk]),
                                     session_form(seeded, session, title="Energy meeting, renamed"))
    assert response.status_code == 302
    client.logout()
    assert "Energy meeting, renamed" in client.get(f"/{seeded.slug}/agenda/").content.decode()


def test_moving_a_session_in_the_admin_emails_each_booked_participant_once(client, seeded, django_capture_on_commit_callbacks):
    from django.core import mail

    session = seeded.sessions.get(slug="energy-meeting")
    confirmed = BookingFactory(session=session, registration__event=seeded)
    waiting = BookingFactory(session=session, registration__event=seeded, status="waitlisted")
    BookingFactory(session=session, registration__event=seeded, status="cancelled")
    RegistrationFactory(event=seeded)  # not booked on it
    organiser_client(client)
    data = session_form(seeded, session, room=seeded.rooms.get(name="Meeting room C").pk,
                        starts_at_1="10:00", ends_at_1="13:30")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:agenda_session_change", args=[session.pk]), data, follow=True)
    assert "2 people booked on it will get an email" in response.content.decode()
    moved = OutgoingEmail.objects.filter(kind="session_moved")
    assert sorted(moved.values_list("registration", flat=True)) == sorted(
        [confirmed.registration_id, waiting.registration_id])
    moved_messages = [message for message in mail.outbox if "a session has moved" in message.subject]
    assert sorted(message.to[0] for message in moved_messages) == sorted(
        [confirmed.registration.email, waiting.registration.email])
    assert all("10:00-13:30" in message.body and "Meeting room C" in message.body for message in moved_messages)
    # The email says what it was, too.
    assert all("It was on Wednesday 28 November, 09:30-13:00, Meeting room B." in message.body
               for message in moved_messages)
    # Saving again without a change sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:agenda_session_change", args=[session.pk]), data)
    assert moved.count() == 2
