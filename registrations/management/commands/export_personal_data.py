"""Prints, as JSON, everything held about one email address (a data subject's access request)."""
import json

from django.core.management.base import BaseCommand

from registrations import privacy


class Command(BaseCommand):
    help = "Exports as JSON everything held about one email address."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        self.stdout.write(json.dumps(privacy.personal_data(email), indent=2, ensure_ascii=False))
