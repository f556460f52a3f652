"""For `make run`: an admin login to try the app with. Takes ADMIN_USERNAME and ADMIN_PASSWORD
from the environment, or makes up a password and prints it. Not for production: there, use
`manage.py createsuperuser`."""
import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Creates (or resets) the local admin login and prints it."

    def handle(self, *args, **options):
        username = os.environ.get("ADMIN_USERNAME", "admin")
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        action = "created" if created else "password reset"
        self.stdout.write(self.style.SUCCESS(f"Admin login ({action}): user {username!r}, password {password!r}"))
