"""Loads the S3 Platform Days 2018.

It only creates what is missing, and the rows of a parent (the event's rooms and sessions, a
platform's partnerships) only together with that parent: so a second run changes nothing, and
what organisers have edited, renamed or deleted since stays as they left it.
"""
import datetime
import itertools

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import translation
from modeltranslation.translator import translator

from agenda import seed_2018, seed_2018_es, seed_2018_eu
from agenda.models import Event, Partnership, Platform, Room, Session

TRANSLATIONS = {"es": seed_2018_es.TEXTS, "eu": seed_2018_eu.TEXTS}


def in_every_language(**fields):
    """The fields, plus their Spanish and Basque versions (name_es, name_eu...) where the seed
    has them; the English text stays the field's own (and its name_en)."""
    translated = {}
    for name, text in fields.items():
        translated[f"{name}_en"] = text
        for language, texts in TRANSLATIONS.items():
            if text in texts:
                translated[f"{name}_{language}"] = texts[text]
    return {**fields, **translated}


class Command(BaseCommand):
    help = "Loads the Smart Specialisation Thematic Platform Days 2018 (Bilbao) without overwriting edits."

    @transaction.atomic
    @translation.override("en")  # the seed's own texts are English
    def handle(self, *args, **options):
        self.created = 0
        platforms = {fields["slug"]: self.load_platform(fields) for fields in seed_2018.PLATFORMS}
        event_fields = dict(seed_2018.EVENT)
        slug = event_fields.pop("slug")
        texts = {name: event_fields.pop(name) for name in ("name", "short_name", "host", "co_host", "city", "venue", "description", "controller")}
        event, event_created = Event.objects.get_or_create(
            slug=slug, defaults={**event_fields, **in_every_language(**texts)}
        )
        if event_created:
            self.created += 1
            self.load_programme(event, platforms)
        translated = self.translate_what_is_still_english()
        self.stdout.write(self.style.SUCCESS(
            f"{event.name}: {self.created} rows created, {translated} texts translated; what was already there "
            "is left as it is."
        ))

    def translate_what_is_still_english(self):
        """A database loaded before the seed had Spanish and Basque texts gets them: where a text
        is still the seed's English and its translation is empty. Returns how many were filled."""
        filled = 0
        for model in (Event, Platform, Partnership, Session):
            fields = translator.get_options_for_model(model).fields
            for row in model.objects.all():
                changed = []
                for field, (language, texts) in itertools.product(fields, TRANSLATIONS.items()):
                    english = getattr(row, f"{field}_en")
                    if english in texts and not getattr(row, f"{field}_{language}"):
                        setattr(row, f"{field}_{language}", texts[english])
                        changed.append(f"{field}_{language}")
                if changed:
                    row.save(update_fields=changed)
                    filled += len(changed)
        return filled

    def load_platform(self, fields):
        fields = dict(fields)
        slug, position, colour = fields.pop("slug"), fields.pop("position"), fields.pop("colour")
        platform, created = Platform.objects.get_or_create(
            slug=slug, defaults={"position": position, "colour": colour, **in_every_language(**fields)}
        )
        if created:
            self.created += 1
            for name, lead_regions in seed_2018.PARTNERSHIPS[platform.slug]:
                Partnership.objects.create(platform=platform, lead_regions=lead_regions, **in_every_language(name=name))
                self.created += 1
        return platform

    def load_programme(self, event, platforms):
        rooms = {fields["name"]: Room.objects.create(event=event, **fields) for fields in seed_2018.ROOMS}
        self.created += len(rooms)
        for slug, title, kind, platform, room, day, start, end, registrable, description in seed_2018.SESSIONS:
            Session.objects.create(
                event=event,
                slug=slug,
                kind=kind,
                platform=platforms[platform] if platform else None,
                room=rooms[room],
                starts_at=datetime.datetime.combine(day, start, tzinfo=event.tz),
                ends_at=datetime.datetime.combine(day, end, tzinfo=event.tz),
                registrable=registrable,
                **in_every_language(title=title, description=description),
            )
            self.created += 1
