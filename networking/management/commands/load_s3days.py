"""agenda's load_s3days, plus the 2018 event's meeting slots for one-to-one meetings.

networking comes before agenda in INSTALLED_APPS, so `manage.py load_s3days` runs this one.
Slots are added only to an event that has none: a second run changes nothing, and slots the
organisers have edited stay as they are."""
import datetime

from agenda import seed_2018
from agenda.management.commands import load_s3days
from agenda.models import Event, Room
from networking.models import MeetingSlot

# (day, start, end, room, tables), on the event's clock: before the joint conference, and
# after the platform meetings.
SLOTS = [
    (datetime.date(2018, 11, 27), datetime.time(12, 0), datetime.time(12, 20), "Foyer", 10),
    (datetime.date(2018, 11, 27), datetime.time(12, 20), datetime.time(12, 40), "Foyer", 10),
    (datetime.date(2018, 11, 27), datetime.time(12, 40), datetime.time(13, 0), "Foyer", 10),
    (datetime.date(2018, 11, 28), datetime.time(13, 0), datetime.time(13, 20), "Foyer", 10),
    (datetime.date(2018, 11, 28), datetime.time(13, 20), datetime.time(13, 40), "Foyer", 10),
    (datetime.date(2018, 11, 28), datetime.time(13, 40), datetime.time(14, 0), "Foyer", 10),
]


class Command(load_s3days.Command):
    help = load_s3days.Command.help + " With its meeting slots for networking."

    def handle(self, *args, **options):
        super().handle(*args, **options)
        event = Event.objects.get(slug=seed_2018.EVENT["slug"])
        if MeetingSlot.objects.filter(event=event).exists():
            return
        rooms = {room.name: room for room in Room.objects.filter(event=event)}
        created = [
            MeetingSlot.objects.create(
                event=event, room=rooms[room], tables=tables,
                starts_at=datetime.datetime.combine(day, start, tzinfo=event.tz),
                ends_at=datetime.datetime.combine(day, end, tzinfo=event.tz),
            )
            for day, start, end, room, tables in SLOTS if room in rooms
        ]
        self.stdout.write(self.style.SUCCESS(f"{len(created)} meeting slots created."))
