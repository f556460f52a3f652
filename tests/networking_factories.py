"""People, profiles and slots for the networking tests: an event in the future (accepting
places meetings only in slots that have not started), matchmaking on."""
import datetime
import itertools

from agenda.models import Partnership
from networking.models import Meeting, MeetingSlot, Profile
from tests.factories import MADRID, EventFactory, PlatformFactory, RegistrationFactory, RoomFactory

DAY = datetime.date(2030, 11, 27)
_sequence = itertools.count()


def at(hour, minute=0, day=DAY):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=MADRID)


def networking_event(**fields):
    return EventFactory(**{"start_date": DAY, "end_date": DAY + datetime.timedelta(days=1), "matchmaking": True, **fields})


def agri_food():
    return PlatformFactory(slug="agri-food", name="Agri-Food")


def energy():
    return PlatformFactory(slug="energy", name="Energy")


def partnership(platform, name="Bioenergy"):
    return Partnership.objects.get_or_create(platform=platform, name=name)[0]


def person(event, visibility="participants", platforms=None, partnerships=(), profile=None, **fields):
    """A registration (`fields` of it) with a profile (`profile`: its fields)."""
    number = next(_sequence)
    fields.setdefault("email", f"net{number}-{event.pk}@example.org")
    registration = RegistrationFactory(event=event, platforms=platforms or [agri_food()], **fields)
    if partnerships:
        registration.partnerships.set(partnerships)
    return Profile.objects.create(registration=registration, visibility=visibility, **(profile or {}))


def slot(event, start, end, tables=10, room=None):
    room = room or RoomFactory(event=event)
    return MeetingSlot.objects.create(event=event, starts_at=start, ends_at=end, room=room, tables=tables)


def requested(requester, invitee, message="Shall we meet?"):
    return Meeting.objects.create(requester=requester, invitee=invitee, message=message)


def accepted_meeting_with(registration):
    """An accepted meeting between the registration and a new participant, for email tests."""
    event = registration.event
    other = RegistrationFactory(event=event, first_name="Ben", last_name="Brun", organisation="Lyon Agro",
                                email=f"ben{next(_sequence)}@example.org")
    mine, theirs = (Profile.objects.get_or_create(registration=each, defaults={"visibility": "participants"})[0]
                    for each in (registration, other))
    place = slot(event, at(10, day=event.start_date), at(10, 20, day=event.start_date))
    return Meeting.objects.create(requester=theirs, invitee=mine, message="Kaixo", status="accepted", slot=place, table=1)
