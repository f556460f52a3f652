"""Anonymises the registrations of every event whose retention period has passed (run it daily,
e.g. from cron). Counts for statistics stay; names, emails, organisations and needs go."""
from django.core.management.base import BaseCommand
from django.utils import timezone

from agenda.models import Event
from registrations import privacy


class Command(BaseCommand):
    help = "Anonymises registrations of events past their retention period (Event.retention_days)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only say which events are due.")

    def handle(self, *args, dry_run=False, **options):
        today = timezone.localdate()
        for event in Event.objects.all():
            if event.retention_ends > today:
                continue
            if dry_run:
                self.stdout.write(f"{event.slug}: due since {event.retention_ends}")
                continue
            count = privacy.anonymise(event)
            self.stdout.write(f"{event.slug}: {count} registrations anonymised")
