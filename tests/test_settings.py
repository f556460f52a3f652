"""Settings come from the environment; production refuses to start half-configured."""
import os
import subprocess
import sys

from django.conf import settings

from s3days.settings import parse_email_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_django(**env):
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "s3days.settings", **env},
        capture_output=True,
        text=True,
    )


def test_production_refuses_to_start_without_secret_key():
    result = start_django(ALLOWED_HOSTS="example.org")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = start_django(SECRET_KEY="x" * 50)
    assert result.returncode != 0 and "ALLOWED_HOSTS must be set" in result.stderr


def test_production_starts_when_both_are_set():
    assert start_django(SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.org").stdout.strip() == "started"


def test_debug_starts_with_nothing_set():
    assert start_django(DEBUG="1").stdout.strip() == "started"


def test_email_url_unset_prints_to_console():
    assert parse_email_url("")["EMAIL_BACKEND"].endswith("console.EmailBackend")


def test_email_url_smtp_with_credentials_and_tls():
    config = parse_email_url("smtp://user%40x:p%2Fw@mail.example.org:587?tls=1")
    assert config["EMAIL_HOST"] == "mail.example.org" and config["EMAIL_PORT"] == 587
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("user@x", "p/w")
    assert config["EMAIL_USE_TLS"] and not config["EMAIL_USE_SSL"]


def test_tasks_run_eagerly_without_a_broker():
    assert settings.CELERY_TASK_ALWAYS_EAGER == (not os.environ.get("CELERY_BROKER_URL"))
