"""What an operator needs: check --deploy clean, security headers, health checks, lockout."""
import os
import subprocess
import sys
import time

import pytest
from django.contrib.auth.models import User
from django.test import Client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "s3days.example.org",
    "SITE_URL": "https://s3days.example.org",
    "SECURE_PROXY_SSL_HEADER": "1",
}


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("HTTPS", "STATIC_HASHED", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **PRODUCTION, **env},
                          capture_output=True, text=True)


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_would_complain_without_https_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", HTTPS="0")
    assert result.returncode != 0 and "security.W004" in result.stderr + result.stdout


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_script(client, seeded):
    response = client.get(f"/{seeded.slug}/register/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY" and response["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    settings.CELERY_BROKER_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_with_the_broker_down_healthz_stays_200_and_names_it_and_the_strict_check_is_503(client, settings):
    # The outbox covers a broker outage: a load balancer must not pull every web node for it.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 1.0
    assert response.status_code == 200 and response.json()["broker"].startswith("error")
    assert response.json()["database"] == "ok"
    strict = client.get("/healthz?strict=1")
    assert strict.status_code == 503 and strict.json()["broker"].startswith("error")


@pytest.mark.django_db
def test_with_the_database_down_healthz_is_503(client, settings, monkeypatch):
    from s3days import views

    def database_down():
        raise OSError("connection refused")

    monkeypatch.setattr(views, "check_database", database_down)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "error: OSError"


@pytest.mark.django_db
def test_the_strict_healthz_is_503_within_a_second_when_the_broker_hangs(client, settings):
    import socket

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        started = time.monotonic()
        response = client.get("/healthz?strict=1")
        assert time.monotonic() - started < 1.0
    assert response.status_code == 503 and response.json()["broker"] == "error: no answer in time"


@pytest.mark.django_db
def test_admin_login_locks_out_after_repeated_wrong_passwords(settings):
    User.objects.create_superuser("boss", "boss@example.org", "right-password-123")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/admin/login/", {"username": "boss", "password": "wrong"})
        assert response.status_code == 200 and "Please enter the correct username" in response.content.decode()
    assert client.post("/admin/login/", {"username": "boss", "password": "wrong"}).status_code == 429
    response = client.post("/admin/login/", {"username": "boss", "password": "right-password-123"})
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
