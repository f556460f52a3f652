"""What staff and strangers can reach (issue 11, finding 9): no private token in the admin, an
outbox staff cannot edit, a result-page cookie that expires, tokens masked in every log, agenda
filters that cannot make pages of their own, and rate limits that count per address and per
email address."""
import datetime
import io
import logging
import os
import runpy
import subprocess
import sys
import time
import types
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core import mail, signing
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from gunicorn.config import Config

from agenda import views as agenda_views
from registrations.models import OutgoingEmail
from s3days.log_masking import TokenMaskingLogger, mask_tokens
from tests.factories import RegistrationFactory, SessionFactory, staff_user
from tests.test_register import valid_data

pytestmark = pytest.mark.django_db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "Zq3_TOKEN-that-must-never-show-0123456789a"  # the shape of models.new_token()


def logged_in(client, who):
    if who == "superuser":
        client.force_login(User.objects.create_superuser("root", password="pw"))
    else:
        client.force_login(staff_user(who))
    return client


def run_action(client, model, action, selected, **extra):
    return client.post(
        reverse(f"admin:registrations_{model}_changelist"),
        {"action": action, "_selected_action": [item.pk for item in selected], "post": "yes", **extra},  # confirmed
        follow=True,
    )


# The admin: no token, no way to the private page, staff send the link instead.


@pytest.mark.parametrize("who", ["Organisers", "Registration staff", "superuser"])
def test_no_admin_page_of_a_registration_shows_its_token_or_a_link_to_its_private_page(client, who):
    registration = RegistrationFactory(token=TOKEN)
    email = OutgoingEmail.objects.create(registration=registration, kind="private_link", to_address=registration.email)
    logged_in(client, who)
    pages = [
        reverse("admin:registrations_registration_changelist"),
        reverse("admin:registrations_registration_change", args=[registration.pk]),
        reverse("admin:registrations_registration_history", args=[registration.pk]),
        reverse("admin:registrations_outgoingemail_changelist"),
        reverse("admin:registrations_outgoingemail_change", args=[email.pk]),
    ]
    for page in pages:
        response = client.get(page)
        html = response.content.decode()
        assert response.status_code == 200, page
        assert TOKEN not in html and "View on site" not in html, page


@pytest.mark.parametrize("who", ["Registration staff", "superuser"])
def test_nobody_can_set_a_sent_email_back_to_queued_in_the_admin(client, who):
    registration = RegistrationFactory()
    sent = OutgoingEmail.objects.create(registration=registration, kind="confirmation", to_address=registration.email,
                                        status="sent", attempts=1, sent_at=datetime.datetime.now(datetime.timezone.utc))
    logged_in(client, who)
    url = reverse("admin:registrations_outgoingemail_change", args=[sent.pk])
    assert 'name="_save"' not in client.get(url).content.decode()  # a page to read, not a form
    response = client.post(url, {
        "registration": registration.pk, "to_address": "someone@else.org", "kind": "confirmation", "context": "{}",
        "status": "queued", "attempts": "0", "last_error": "", "next_attempt_at_0": "2018-11-27",
        "next_attempt_at_1": "10:00", "_save": "Save",
    })
    assert response.status_code == 403
    sent.refresh_from_db()
    assert (sent.status, sent.attempts, sent.to_address) == ("sent", 1, registration.email)
    assert client.get(reverse("admin:registrations_outgoingemail_add")).status_code == 403


def test_registration_staff_email_the_private_link_to_the_active_participants_selected(
    client, django_capture_on_commit_callbacks
):
    ana, ben, gone = RegistrationFactory(), RegistrationFactory(), RegistrationFactory(status="cancelled")
    logged_in(client, "Registration staff")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "registration", "email_private_link", [ana, ben, gone])
    assert "Private link emailed to 2 people." in response.content.decode()
    token_of = {ana.email: ana.token, ben.email: ben.token}
    assert sorted(message.to[0] for message in mail.outbox) == sorted(token_of)
    assert all(token_of[message.to[0]] in message.body for message in mail.outbox)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "registration", "email_private_link", [ana])
    assert "Private link emailed to 1 person." in response.content.decode()
    assert [message.to for message in mail.outbox] == [[ana.email]]


def test_resending_queues_a_new_copy_to_the_current_address_and_leaves_the_original_as_it_was(
    client, django_capture_on_commit_callbacks
):
    registration, gone = RegistrationFactory(email="typo@exmaple.org"), RegistrationFactory(status="cancelled")
    session = SessionFactory(event=registration.event, title="Moved session")
    original = OutgoingEmail.objects.create(
        registration=registration, kind="session_moved", to_address=registration.email, context={"session": session.pk},
        status="failed", attempts=6, last_error="SMTPRecipientsRefused: 550",
    )
    of_the_cancelled = OutgoingEmail.objects.create(registration=gone, kind="confirmation", to_address=gone.email)
    registration.email = "right@example.org"  # staff corrected the address
    registration.save()
    logged_in(client, "Registration staff")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "outgoingemail", "resend", [original, of_the_cancelled])
    assert "Queued a new copy of 1 email." in response.content.decode()
    copy = OutgoingEmail.objects.exclude(pk__in=[original.pk, of_the_cancelled.pk]).get()
    assert (copy.registration, copy.kind, copy.context, copy.to_address, copy.status) == (
        registration, "session_moved", {"session": session.pk}, "right@example.org", "sent")
    [message] = mail.outbox
    assert message.to == ["right@example.org"] and "Moved session" in message.body
    original.refresh_from_db()
    assert (original.status, original.attempts, original.to_address) == ("failed", 6, "typo@exmaple.org")


def test_organisers_can_neither_retry_nor_resend_emails_nor_send_private_links(client):
    registration = RegistrationFactory()
    failed = OutgoingEmail.objects.create(registration=registration, kind="confirmation",
                                          to_address=registration.email, status="failed", attempts=6)
    logged_in(client, "Organisers")
    run_action(client, "outgoingemail", "retry", [failed])
    run_action(client, "outgoingemail", "resend", [failed])
    run_action(client, "registration", "email_private_link", [registration])
    assert list(OutgoingEmail.objects.values_list("status", "attempts")) == [("failed", 6)]


# The result page's cookie.


def test_the_result_page_refuses_a_signup_cookie_signed_more_than_an_hour_ago(client, seeded):
    url = f"/{seeded.slug}/register/"
    client.post(url, valid_data(seeded))
    now = time.time()

    def result_page_at(seconds_later):
        # The clock the signature is checked against (django.core.signing's own).
        with mock.patch.object(signing, "time", types.SimpleNamespace(time=lambda: now + seconds_later)):
            return client.get(f"/{seeded.slug}/register/thanks/")

    assert result_page_at(59 * 60).status_code == 200
    late = result_page_at(61 * 60)
    assert late.status_code == 302 and late["Location"] == url


# Tokens masked in the logs.


def test_mask_tokens_hides_the_segment_after_registration_verify_and_invitation():
    assert mask_tokens(f'1.2.3.4 "GET /s3/registration/{TOKEN}/agenda.ics HTTP/1.1" 200') == (
        '1.2.3.4 "GET /s3/registration/[token]/agenda.ics HTTP/1.1" 200')
    assert mask_tokens(f"Not Found: /s3/verify/{TOKEN}/") == "Not Found: /s3/verify/[token]/"
    assert mask_tokens(f"https://h.org/s3/invitation/{TOKEN}?x=1") == "https://h.org/s3/invitation/[token]?x=1"
    assert mask_tokens(f"/s3/registration%2F{TOKEN}%2Fcancel/") == "/s3/registration%2F[token]%2Fcancel/"
    # The admin's own paths carry ids, which tell nothing: kept for whoever reads the log.
    assert mask_tokens("/admin/registrations/registration/5/change/") == "/admin/registrations/registration/5/change/"


@pytest.fixture
def django_log():
    """What Django's configured handlers (settings.LOGGING) write, for the loggers that log paths."""
    written = io.StringIO()
    handlers = [  # ours, not those pytest adds to capture logs
        handler for name in ["django", "django.server"] for handler in logging.getLogger(name).handlers
        if type(handler) is logging.StreamHandler
    ]
    assert len(handlers) == 2
    streams = [handler.setStream(written) for handler in handlers]
    yield written
    for handler, stream in zip(handlers, streams):
        handler.setStream(stream)


def test_django_logs_a_404_and_a_runserver_request_line_without_the_token(client, seeded, django_log):
    assert client.get(f"/{seeded.slug}/registration/{TOKEN}/").status_code == 404
    request_line = f"GET /{seeded.slug}/registration/{TOKEN}/ HTTP/1.1"
    logging.getLogger("django.server").info('"%s" %s %s', request_line, 200, 512)  # as runserver logs
    log = django_log.getvalue()
    assert f"Not Found: /{seeded.slug}/registration/[token]/" in log
    assert f"GET /{seeded.slug}/registration/[token]/ HTTP/1.1" in log
    assert TOKEN not in log


def test_gunicorn_as_configured_logs_no_token_in_any_atom_nor_in_errors(capsys):
    cfg = Config()
    configured = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
    for name in ["logger_class", "access_log_format", "accesslog", "errorlog"]:
        cfg.set(name, configured[name])
    assert cfg.logger_class is TokenMaskingLogger
    logger = cfg.logger_class(cfg)
    private = f"/s3/registration/{TOKEN}/"
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": f"{private}?next={private}", "PATH_INFO": private,
        "QUERY_STRING": f"next={private}", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "192.0.2.1",
        "HTTP_REFERER": f"https://example.org{private}",
    }
    response = types.SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = types.SimpleNamespace(headers=[("REFERER", f"https://example.org{private}")])
    try:
        logger.access(response, request, environ, datetime.timedelta(milliseconds=3))
        cfg.set("access_log_format", "%(r)s %(U)s %(q)s %(f)s %({referer}i)s %({raw_uri}e)s")  # every atom with a path
        logger.access(response, request, environ, datetime.timedelta(milliseconds=3))
        logger.error("Error handling request %s", private)
    finally:
        for log in (logger.access_log, logger.error_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
    written = capsys.readouterr()
    assert '"GET /s3/registration/[token]/?next=/s3/registration/[token]/ HTTP/1.1" 200 512' in written.out
    assert written.out.count("[token]") == 2 + 8 and "Error handling request /s3/registration/[token]/" in written.err
    assert TOKEN not in written.out + written.err


# Agenda filters.


def test_an_unknown_platform_or_day_in_the_agenda_is_a_404_and_renders_nothing(client, seeded):
    agenda = f"/{seeded.slug}/agenda/"
    with mock.patch.object(agenda_views, "render_agenda", wraps=agenda_views.render_agenda) as render:
        for query in ["platform=mars", "platform=Energy", "platform=energy%20", "day=2030-01-01", "day=2018-02-30",
                      "day=27-11-2018", "day=2018-11-27T00:00", "day=2018-11-27&platform=mars"]:
            assert client.get(f"{agenda}?{query}").status_code == 404, query
        assert render.call_count == 0
        assert client.get(f"{agenda}?platform=energy&day=2018-11-28").status_code == 200
        assert render.call_count == 1


@pytest.fixture
def cache_calls(monkeypatch):
    """The names of the cache calls made (each one a round trip to Redis in production)."""
    calls, inside = [], []
    backend = caches["default"]
    for name in ["get", "get_many", "set", "set_many", "add", "incr", "get_or_set", "delete", "has_key", "touch"]:
        def counted(*args, _name=name, _call=getattr(backend, name), **kwargs):
            if not inside:  # not the calls a call makes (the test's cache answers get_many with get)
                calls.append(_name)
            inside.append(_name)
            try:
                return _call(*args, **kwargs)
            finally:
                inside.pop()

        monkeypatch.setattr(backend, name, counted)
    return calls


@pytest.mark.parametrize("query, round_trips", [
    ("", 1),  # the page
    ("?day=2018-11-27", 2),  # the event, to check the day against, and the page
    ("?platform=energy", 3),  # the event, the platforms, and the page
])
def test_a_cached_agenda_costs_no_query_and_a_round_trip_or_three(client, seeded, cache_calls, query, round_trips):
    client.get(f"/{seeded.slug}/agenda/{query}")  # now cached
    cache_calls.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/{seeded.slug}/agenda/{query}").status_code == 200
    assert queries.captured_queries == []
    assert cache_calls == ["get_many"] * round_trips


# Rate limits.


def test_an_institution_behind_one_address_signs_up_25_people(client, seeded):
    url = f"/{seeded.slug}/register/"
    for number in range(25):
        data = valid_data(seeded, email=f"person{number}@jrc.ec.europa.eu")
        response = client.post(url, data, REMOTE_ADDR="192.0.2.7")
        assert response.status_code == 302, number


@pytest.mark.parametrize("path", ["register/", "register/link/"])
def test_the_sixth_post_with_one_email_address_gets_a_429_from_any_address(client, seeded, path):
    url = f"/{seeded.slug}/{path}"
    for number in range(5):
        email = "ane@example.eus" if number % 2 else "ANE@example.eus "  # one address, however typed
        response = client.post(url, valid_data(seeded, email=email), REMOTE_ADDR=f"198.51.100.{number}")
        assert response.status_code != 429, number
    refused = client.post(url, valid_data(seeded), REMOTE_ADDR="198.51.100.99")
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    # Someone else, from that same address, is not affected.
    other = client.post(url, valid_data(seeded, email="bea@example.eus"), REMOTE_ADDR="198.51.100.99")
    assert other.status_code != 429


def test_the_old_setting_name_still_sets_the_limit_per_address():
    environment = {**os.environ, "DEBUG": "1", "RATE_LIMIT_POSTS": "7", "DJANGO_SETTINGS_MODULE": "s3days.settings"}
    environment.pop("RATE_LIMIT_POSTS_PER_ADDRESS", None)
    printed = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.RATE_LIMIT_POSTS_PER_ADDRESS)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=True,
    ).stdout
    assert printed.strip() == "7"
