"""Confirmation emails through a real Celery worker on Redis to a real SMTP server (aiosmtpd):
none lost, none sent twice, transient failures retried, permanent ones not."""
import email
import os
import socket
import time

import icalendar
import pytest
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from django.test import Client

from registrations import outbox
from registrations.models import OutgoingEmail, Registration
from registrations.tasks import send_email
from s3days.celery import app as celery_app

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Nothing listens there: a broker or a mail server that is down.
DEAD_PORT = 9

pytestmark = pytest.mark.django_db(transaction=True)


class RecordingHandler:
    """Takes messages, or answers DATA with the replies queued in `replies` first."""

    def __init__(self):
        self.messages, self.replies, self.attempts = [], [], 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.replies:
            return self.replies.pop(0)
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 Message accepted"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", controller.port, 5
    settings.EMAIL_RETRY_BASE_SECONDS = 1
    yield handler
    controller.stop()


def use_broker(url):
    celery_app.conf.update(broker_url=url, task_always_eager=False)
    # Drop the connection and producer pools made for the previous broker URL (an eager task
    # earlier in the run makes them), or messages go where that URL pointed.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker(smtp):
    # What the settings gave the app (tests that follow expect it back): no broker, eager tasks.
    was_url, was_eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    use_broker(REDIS)
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield
    use_broker(was_url)
    celery_app.conf.update(task_always_eager=was_eager)
    outbox.broker.reset()  # a broker a test took down must not be left alone by the next test


def wait_until(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def sign_up(event, sessions, address="ane@example.eus"):
    data = {
        "first_name": "Ane", "last_name": "Etxeberria", "email": address, "organisation": "Basque Government",
        "country": "ES", "region": "ES21", "stakeholder_type": "public_authority",
        "platforms": [sessions[0].platform_id or 1], "sessions": [session.pk for session in sessions],
        "consent": "on",
    }
    started = time.monotonic()
    response = Client().post(f"/{event.slug}/register/", data)
    assert response.status_code == 302, response.content.decode()[:500]
    return time.monotonic() - started


def status_of(kind="confirmation"):
    return OutgoingEmail.objects.filter(kind=kind).values_list("status", "attempts").first()


def test_one_sign_up_gives_one_message_with_sessions_a_working_link_and_an_ics(seeded, smtp, worker):
    energy, joint = seeded.sessions.get(slug="energy-meeting"), seeded.sessions.get(slug="joint-conference")
    sign_up(seeded, [energy, joint])
    assert wait_until(lambda: status_of() == ("sent", 1))
    time.sleep(0.5)  # anything sent twice would arrive now
    [message] = smtp.messages
    assert message["To"] == "ane@example.eus"
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain").get_payload(decode=True)
    html = next(part for part in message.walk() if part.get_content_type() == "text/html").get_payload(decode=True)
    text, html = text.decode(), html.decode()
    for body in (text, html):
        assert "Energy Platform meeting" in body and "Wednesday 28 November, 09:30-13:00" in body
        assert "Joint Thematic Platforms Conference" in body and "Tuesday 27 November, 14:00-18:00" in body
        assert "Meeting room B" in body and "Confirmed: you have a seat." in body
    registration = Registration.objects.get()
    link = f"http://testserver{registration.get_absolute_url()}"
    assert link in text and link in html
    assert Client().get(registration.get_absolute_url()).status_code == 200
    [attachment] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    assert sorted(str(event["summary"]) for event in calendar.walk("VEVENT")) == [
        "Energy Platform meeting", joint.title]


def test_a_421_reply_is_retried_until_one_message_goes_through(seeded, smtp, worker):
    smtp.replies = ["421 Try again later", "421 Try again later"]
    sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])
    assert wait_until(lambda: status_of() == ("sent", 3), seconds=30)
    time.sleep(0.5)
    assert len(smtp.messages) == 1 and smtp.attempts == 3
    # The sent row keeps the last error met on the way: an organiser can see why it took three.
    assert "SMTPDataError: (421, b'Try again later')" in OutgoingEmail.objects.get().last_error


def test_a_550_reply_fails_the_row_and_is_not_retried(seeded, smtp, worker):
    smtp.replies = ["550 No such user here"]
    sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])
    assert wait_until(lambda: status_of() == ("failed", 1))
    time.sleep(3)  # longer than the first retry delay: no second attempt comes
    row = OutgoingEmail.objects.get()
    assert (row.status, row.attempts, smtp.attempts, smtp.messages) == ("failed", 1, 1, [])
    assert "550" in row.last_error


def test_transient_failures_stop_after_the_last_attempt(seeded, smtp, worker, settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    smtp.replies = ["451 Busy"] * 5
    sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])
    assert wait_until(lambda: status_of() == ("failed", 2), seconds=30)
    assert smtp.attempts == 2 and smtp.messages == []


def test_the_task_run_twice_for_one_row_sends_one_message(seeded, smtp, worker):
    sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])
    row = OutgoingEmail.objects.get()
    send_email.delay(row.pk)
    send_email.delay(row.pk)
    assert wait_until(lambda: status_of() == ("sent", 1))
    time.sleep(1)
    assert len(smtp.messages) == 1
    assert outbox.deliver(row.pk) == "skipped"


def test_with_the_broker_down_sign_up_is_quick_and_the_requeue_delivers_later(seeded, smtp, worker, settings):
    use_broker(f"redis://127.0.0.1:{DEAD_PORT}/0")
    took = sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])
    assert took < 1, f"sign-up took {took:.1f} s with the broker down"
    assert status_of() == ("queued", 0)
    use_broker(REDIS)
    # Due at once: the first re-queue after the broker is back sends it, without a grace period.
    assert outbox.requeue_stale() == [OutgoingEmail.objects.get().pk]
    assert wait_until(lambda: status_of() == ("sent", 1))
    assert len(smtp.messages) == 1


def test_a_row_claimed_by_a_worker_that_died_is_taken_back_and_sent(seeded, smtp, worker, settings):
    use_broker(f"redis://127.0.0.1:{DEAD_PORT}/0")
    sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])
    OutgoingEmail.objects.update(status="sending", attempts=1)  # as a SIGKILLed worker leaves it
    use_broker(REDIS)
    settings.EMAIL_REQUEUE_AFTER_SECONDS = settings.EMAIL_SENDING_STUCK_AFTER_SECONDS = 0
    outbox.requeue_stale()
    assert wait_until(lambda: status_of() == ("sent", 2))
    assert len(smtp.messages) == 1


def test_without_a_broker_an_smtp_failure_leaves_the_row_queued_and_the_sign_up_succeeds(seeded, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", DEAD_PORT, 2
    assert celery_app.conf.task_always_eager
    sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])
    row = OutgoingEmail.objects.get()
    assert (row.status, row.attempts) == ("queued", 1) and "Connection refused" in row.last_error
    assert Registration.objects.count() == 1


def test_send_pending_emails_now_sends_what_is_left(seeded, smtp):
    from django.core.management import call_command

    sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])  # eager: sent at once
    OutgoingEmail.objects.update(status="queued", sent_at=None)
    call_command("send_pending_emails", "--now", stdout=open(os.devnull, "w"))
    assert status_of() == ("sent", 2) and len(smtp.messages) == 2


def test_a_hung_broker_costs_a_sign_up_at_most_a_few_hundred_ms_and_its_emails_go_out_when_it_is_back(
        seeded, smtp, worker, settings):
    energy = seeded.sessions.get(slug="energy-meeting")
    base = sign_up(seeded, [energy], "warm-up@example.org")  # a sign-up with the broker answering
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(100)
        use_broker(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        took = [sign_up(seeded, [energy], f"person{number}@example.org") for number in range(5)]
    # The first waits BROKER_PUBLISH_TIMEOUT (0.3 s) more than usual; the next ones skip the
    # broker. (Before the breaker each waited about 2 s.)
    assert took[0] < base + settings.BROKER_PUBLISH_TIMEOUT + 0.5, (base, took)
    assert max(took[1:]) < base + 0.5, (base, took)
    assert OutgoingEmail.objects.filter(status="queued").count() == 5
    use_broker(REDIS)
    assert len(outbox.requeue_stale()) == 5  # due at once, breaker or not
    assert wait_until(lambda: OutgoingEmail.objects.filter(status="sent").count() == 6)
    assert sorted(message["To"] for message in smtp.messages)[:5] == [f"person{number}@example.org" for number in range(5)]


def test_a_database_error_while_building_the_message_is_retried_not_failed_for_good(seeded, smtp, monkeypatch):
    from django.db import OperationalError

    def database_gone(email):
        raise OperationalError("server closed the connection unexpectedly")

    real_build = outbox.build_message
    monkeypatch.setattr(outbox, "build_message", database_gone)
    sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])  # eager: delivered in the POST
    row = OutgoingEmail.objects.get()
    assert (row.status, row.attempts) == ("queued", 1) and "OperationalError" in row.last_error
    monkeypatch.setattr(outbox, "build_message", real_build)
    OutgoingEmail.objects.update(next_attempt_at=row.created_at)
    assert outbox.deliver(row.pk) == "sent" and len(smtp.messages) == 1


def test_a_late_attempt_cannot_overwrite_the_row_of_the_attempt_that_replaced_it(seeded, smtp, monkeypatch):
    """Attempt 1 hangs; the row is taken back and attempt 2 claims it; attempt 1 then fails.
    Its outcome must not land on the row attempt 2 now holds (which would mark failed, and so
    never record, an email attempt 2 is sending)."""
    import uuid

    real_build = outbox.build_message
    second_claim = uuid.uuid4()

    def taken_over_meanwhile(email):
        OutgoingEmail.objects.filter(pk=email.pk).update(status="sending", claim=second_claim)
        smtp.replies = ["550 No such user here"]
        return real_build(email)

    sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])  # eager: sent
    row = OutgoingEmail.objects.get()
    OutgoingEmail.objects.update(status="queued", sent_at=None)
    monkeypatch.setattr(outbox, "build_message", taken_over_meanwhile)
    assert outbox.deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert (row.status, row.claim) == ("sending", second_claim)


def test_a_mail_server_that_never_finishes_its_reply_is_cut_off_at_the_deadline(seeded, settings):
    import asyncio

    class Slow(RecordingHandler):
        async def handle_DATA(self, server, session, envelope):
            await asyncio.sleep(4)  # each byte in time for the socket timeout, the whole far too late
            return "250 Message accepted"

    controller = Controller(Slow(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", controller.port, 10
        settings.EMAIL_SEND_DEADLINE_SECONDS = 1
        started = time.monotonic()
        sign_up(seeded, [seeded.sessions.get(slug="energy-meeting")])  # eager: the send happens in the POST
        took = time.monotonic() - started
    finally:
        controller.stop()
    row = OutgoingEmail.objects.get()
    assert took < 2.5, took
    assert (row.status, row.attempts) == ("queued", 1) and row.last_error, row.last_error

