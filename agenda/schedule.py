"""The schedule in the frab/C3VOC JSON format (what pretalx exports, and conference apps such
as Giggity and ConfClerk read): schedule > conference > days > rooms > events."""
import datetime
import uuid

from django.conf import settings
from django.utils.translation import gettext as _

# One namespace for this site, so a session's GUID is the same in every export.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, settings.SITE_URL)
PLATFORM_COLOURS = {"agri-food": "#2d6a1f", "energy": "#8a4b00", "industrial-modernisation": "#4b2a8a"}


def hours_minutes(delta):
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def frab_event(event, session):
    starts = session.starts_at.astimezone(event.tz)
    url = settings.SITE_URL + session.get_absolute_url()
    return {
        "guid": str(uuid.uuid5(GUID_NAMESPACE, f"session-{session.pk}")),
        "id": session.pk,
        "date": starts.isoformat(),
        "start": starts.strftime("%H:%M"),
        "duration": hours_minutes(session.ends_at - session.starts_at),
        "room": session.room.name if session.room else "",
        "slug": session.slug,
        "url": url,
        # The schedule format has no status: a cancelled session says so in its title.
        "title": _("Cancelled: %(title)s") % {"title": session.title} if session.cancelled_at else session.title,
        "subtitle": "",
        "track": session.platform.name if session.platform else session.get_kind_display(),
        "type": session.get_kind_display(),
        "language": "en",
        "abstract": "",
        "description": session.description,
        "logo": "",
        "do_not_record": True,
        "recording_license": "",
        "persons": [
            {"id": speaker.pk, "guid": str(uuid.uuid5(GUID_NAMESPACE, f"speaker-{speaker.pk}")),
             "public_name": speaker.name, "biography": speaker.bio, "organisation": speaker.organisation}
            for speaker in session.speakers.all()
        ],
        "links": [{"url": url, "title": _("Session page")}],
        "attachments": [],
    }


def frab_schedule(event, sessions):
    sessions = list(sessions)
    room_names = sorted({session.room.name for session in sessions if session.room})
    days = []
    for index, day in enumerate(event.days, start=1):
        day_start = datetime.datetime.combine(day, datetime.time.min, tzinfo=event.tz)
        rooms = {name: [] for name in room_names}
        for session in sessions:
            if session.starts_at.astimezone(event.tz).date() == day:
                rooms.setdefault(session.room.name if session.room else "", []).append(frab_event(event, session))
        days.append({
            "index": index,
            "date": day.isoformat(),
            "day_start": day_start.isoformat(),
            "day_end": (day_start + datetime.timedelta(days=1, seconds=-1)).isoformat(),
            "rooms": rooms,
        })
    version = max((session.updated_at for session in sessions), default=None)
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "s3days"},
        "schedule": {
            "version": version.strftime("%Y-%m-%d %H:%M:%S") if version else "empty",
            "base_url": settings.SITE_URL + "/",
            "conference": {
                # The schema allows no hyphen past the first letter: s3_platform_days_2018.
                "acronym": event.slug.replace("-", "_"),
                "title": event.name,
                "start": event.start_date.isoformat(),
                "end": event.end_date.isoformat(),
                "daysCount": len(event.days),
                "timeslot_duration": "00:15",
                "time_zone_name": event.time_zone,
                "url": settings.SITE_URL + event.get_absolute_url(),
                "rooms": [{"name": name, "guid": str(uuid.uuid5(GUID_NAMESPACE, f"room-{name}"))} for name in room_names],
                "tracks": [
                    {"name": session.platform.name, "color": PLATFORM_COLOURS.get(session.platform.slug, "#495057")}
                    for session in {s.platform_id: s for s in sessions if s.platform}.values()
                ],
                "days": days,
            },
        },
    }
