"""The Celery app. Its settings are the CELERY_* names in s3days/settings.py."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "s3days.settings")

app = Celery("s3days")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
