"""iCalendar (RFC 5545) files for sessions, built with the icalendar library."""
from urllib.parse import urlsplit

import icalendar
from django.conf import settings


def session_uid(session):
    # Stable across downloads and edits, so a calendar app updates the event instead of adding one.
    return f"session-{session.pk}@{urlsplit(settings.SITE_URL).hostname or 's3days'}"


def build_calendar(event, sessions, name, other_events=()):
    """An .ics file (bytes) of `sessions`, and of `other_events` (icalendar.Event entries other
    apps make, such as a participant's meetings), in the event's time zone with its VTIMEZONE."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//s3days//S3 Platform Days//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", event.time_zone)
    for session in sessions:
        calendar.add_component(build_vevent(event, session))
    for entry in other_events:
        calendar.add_component(entry)
    # The VTIMEZONE need only cover the event's own year, not every transition since 1970.
    calendar.add_missing_timezones(
        first_date=event.start_date.replace(month=1, day=1), last_date=event.end_date.replace(month=12, day=31)
    )
    return calendar.to_ical()


def build_vevent(event, session):
    url = settings.SITE_URL + session.get_absolute_url()
    vevent = icalendar.Event()
    vevent.add("uid", session_uid(session))
    vevent.add("summary", session.title)
    vevent.add("dtstart", session.starts_at.astimezone(event.tz))
    vevent.add("dtend", session.ends_at.astimezone(event.tz))
    # The last change, not the time of download: the same agenda gives the same file (ETag).
    vevent.add("dtstamp", session.updated_at)
    location = ", ".join(part for part in (session.room.name if session.room else "", event.venue, event.city) if part)
    vevent.add("location", location)
    vevent.add("description", "\n\n".join(part for part in (session.description, url) if part))
    if url:
        vevent.add("url", url)
    # Grows whenever the time, the room or the cancellation changes, so calendar apps take the new version.
    vevent.add("sequence", session.sequence)
    if session.cancelled_at:
        vevent.add("status", "CANCELLED")
    return vevent
