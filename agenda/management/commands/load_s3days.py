"""Loads the S3 Platform Days 2018.

It only creates what is missing, and the rows of a parent (the event's rooms and sessions, a
platform's partnerships) only together with that parent: so a second run changes nothing, and
what organisers have edited, renamed or deleted since stays as they left it.
"""
import datetime

from django.core.management.base import BaseCommand
from django.db import transaction

from agenda import seed_2018
from agenda.models import Event, Partnership, Platform, Room, Session


class Command(BaseCommand):
    help = "Loads the Smart Specialisation Thematic Platform Days 2018 (Bilbao) without overwriting edits."

    @transaction.atomic
    def handle(self, *args, **options):
        self.created = 0
        platforms = {fields["slug"]: self.load_platform(fields) for fields in seed_2018.PLATFORMS}
        event_fields = dict(seed_2018.EVENT)
        event, event_created = Event.objects.get_or_create(slug=event_fields.pop("slug"), defaults=event_fields)
        if event_created:
            self.created += 1
            self.load_programme(event, platforms)
        self.stdout.write(
            self.style.SUCCESS(f"{event.name}: {self.created} rows created; what was already there is left as it is.")
        )

    def load_platform(self, fields):
        fields = dict(fields)
        platform, created = Platform.objects.get_or_create(slug=fields.pop("slug"), defaults=fields)
        if created:
            self.created += 1
            for name, lead_regions in seed_2018.PARTNERSHIPS[platform.slug]:
                Partnership.objects.create(platform=platform, name=name, lead_regions=lead_regions)
                self.created += 1
        return platform

    def load_programme(self, event, platforms):
        rooms = {fields["name"]: Room.objects.create(event=event, **fields) for fields in seed_2018.ROOMS}
        self.created += len(rooms)
        for slug, title, kind, platform, room, day, start, end, registrable, description in seed_2018.SESSIONS:
            Session.objects.create(
                event=event,
                slug=slug,
                title=title,
                kind=kind,
                platform=platforms[platform] if platform else None,
                room=rooms[room],
                starts_at=datetime.datetime.combine(day, start, tzinfo=event.tz),
                ends_at=datetime.datetime.combine(day, end, tzinfo=event.tz),
                registrable=registrable,
                description=description,
            )
            self.created += 1
