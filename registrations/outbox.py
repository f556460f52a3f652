"""The outbox: emails are rows first, messages second.

queue() writes the row inside the caller's transaction and hands its id to Celery once that
transaction commits. deliver() is what the task runs: it claims the row, sends it, records the
outcome, and is safe to run twice for the same row (the second run finds it claimed or sent).
A broker that is down when a row is queued costs a delay, not an email: requeue_stale() (run
by beat, or `manage.py send_pending_emails`) picks up rows nobody sent.

The duplicate window: a message the mail server accepted just before the worker died (or lost
its database connection) is not marked sent, and is sent again once requeue_stale() takes the
row back; nothing else can send a row twice (one claim per attempt, see deliver()).
"""
import contextlib
import datetime
import logging
import smtplib
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from celery import current_app
from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from registrations.emails import build_message
from registrations.models import OutgoingEmail, Registration
from s3days.breaker import Breaker

log = logging.getLogger(__name__)

QUEUED, SENDING, SENT, FAILED = (
    OutgoingEmail.Status.QUEUED,
    OutgoingEmail.Status.SENDING,
    OutgoingEmail.Status.SENT,
    OutgoingEmail.Status.FAILED,
)


class TransientEmailError(Exception):
    """The mail server may take it later (4xx reply, refused connection, timeout)."""


def queue(registration, kind, to=None, **context):
    """Writes the row (to the registration's address unless `to` says otherwise) and sends it
    once the caller's transaction commits."""
    email = OutgoingEmail.objects.create(
        registration=registration, kind=kind, to_address=to or registration.email, context=context
    )
    transaction.on_commit(lambda: enqueue(email.pk))
    return email


def queue_for_invitation(invitation, kind):
    """An email to an invitee, who has no registration yet."""
    email = OutgoingEmail.objects.create(invitation=invitation, kind=kind, to_address=invitation.email)
    transaction.on_commit(lambda: enqueue(email.pk))
    return email


# Publishing to the broker: a broker that is down, or hangs, costs a sign-up at most
# BROKER_PUBLISH_TIMEOUT, then is left alone for a while (the row is already committed, and
# requeue_stale() publishes it once the broker is back). The publish runs in a thread of its own
# so that a hung one can be given up on; it may still go through later, which is harmless
# (deliver() sends a row once).
broker = Breaker("outbox: broker", rest=5)
_publisher = ThreadPoolExecutor(max_workers=4, thread_name_prefix="outbox-publish")


# By name: tasks.py imports this module, not the other way round.
SEND_EMAIL_TASK = "registrations.tasks.send_email"


def enqueue(email_id, countdown=None):
    """Hands the row to Celery. Never raises and never waits long: if the broker is down, the
    row stays queued and is marked due for the next requeue_stale()."""
    if current_app.conf.task_always_eager:
        deliver_here(email_id)
    elif broker.is_open or not publish(email_id, countdown):
        _due_now(email_id)


SEND_BATCH_TASK = "registrations.tasks.send_emails"


def enqueue_batches(email_ids, size):
    """Hands many rows to Celery, `size` to a task (one SMTP connection each). A broker that is
    down: the rows stay queued, due at once for requeue_stale()."""
    if current_app.conf.task_always_eager:
        deliver_batch(email_ids)
        return
    for start in range(0, len(email_ids), size):
        batch = email_ids[start:start + size]
        if broker.is_open or not publish_batch(batch):
            OutgoingEmail.objects.filter(pk__in=batch, status=QUEUED).update(
                next_attempt_at=timezone.now() - datetime.timedelta(seconds=settings.EMAIL_REQUEUE_AFTER_SECONDS))


def publish_batch(email_ids):
    try:
        _publisher.submit(current_app.send_task, SEND_BATCH_TASK, (email_ids,)).result(
            timeout=settings.BROKER_PUBLISH_TIMEOUT)
        return True
    except Exception as error:
        broker.failed(error)
        return False


def deliver_batch(email_ids):
    """Sends the rows over one SMTP connection, each by deliver()'s rules. A row that meets a
    transient error keeps its next attempt (requeue_stale() sends it then), and the connection
    is opened afresh for the next. Returns {outcome: count}."""
    outcomes = {}
    connection = get_connection()
    try:
        for email_id in email_ids:
            try:
                outcome = deliver(email_id, connection)
            except TransientEmailError:
                outcome = "retry later"
                with contextlib.suppress(Exception):
                    connection.close()
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return outcomes


def deliver_here(email_id):
    """Without a broker (`make run`) the email is sent in this process, now. A mail server that
    fails must not fail the sign-up: the row stays queued for `manage.py send_pending_emails`."""
    with contextlib.suppress(TransientEmailError):
        deliver(email_id)


def publish(email_id, countdown=None):
    """Publishes the row's task, waiting at most BROKER_PUBLISH_TIMEOUT; False if the broker
    failed (and is then left alone for a while by enqueue())."""
    try:
        _publisher.submit(current_app.send_task, SEND_EMAIL_TASK, (email_id,), countdown=countdown).result(
            timeout=settings.BROKER_PUBLISH_TIMEOUT
        )
        return True
    except Exception as error:  # a broker outage must not break the sign-up that caused it
        broker.failed(error)
        return False


def _due_now(email_id):
    """Marks a row whose task may never have reached the broker as due at once for
    requeue_stale(), so it goes out at the first run after the broker is back instead of
    waiting for the grace period meant for tasks in flight."""
    due = timezone.now() - datetime.timedelta(seconds=settings.EMAIL_REQUEUE_AFTER_SECONDS)
    try:
        OutgoingEmail.objects.filter(pk=email_id, status=QUEUED).update(next_attempt_at=due)
    except DatabaseError as error:  # the row is saved anyway: it goes out after the grace period
        log.warning("outbox: could not mark email %s due (%s)", email_id, error)


def deliver(email_id, connection=None):
    """Sends one outbox row. Returns 'sent', 'failed' or 'skipped'; raises TransientEmailError
    when a later attempt may succeed (the row is then queued again, its next attempt recorded).

    Each attempt claims the row with a token of its own, and records its outcome only while the
    row still carries that token: a worker that was given up on (requeue_stale() took the row
    back) cannot overwrite the outcome of the attempt that replaced it."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id, status=QUEUED).first()
        if email is None:
            return "skipped"  # sent, failed, or another worker has it
        email.status = SENDING
        email.attempts += 1
        email.claim = uuid.uuid4()
        email.save(update_fields=["status", "attempts", "claim", "updated_at"])

    try:
        message = build_message(email)
        message.connection = connection or get_connection()
        if connection is not None and getattr(connection, "connection", "n/a") is None:
            connection.open()  # opened here, it stays open for the next message of the batch
        with deadline(message.connection, settings.EMAIL_SEND_DEADLINE_SECONDS):
            message.send()
    except Exception as error:
        if is_permanent(error) or email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            log.log(logging.ERROR if is_bug(error) else logging.WARNING, "outbox: email %s failed", email_id,
                    exc_info=is_bug(error))
            _record(email, FAILED, error)
            return "failed"
        retry_in = backoff_seconds(email.attempts)
        _record(email, QUEUED, error, next_attempt_at=timezone.now() + datetime.timedelta(seconds=retry_in))
        raise TransientEmailError(str(error)) from error
    _record(email, SENT, None)
    return "sent"


@contextlib.contextmanager
def deadline(connection, seconds):
    """Bounds a whole send (every reply after the greeting, STARTTLS, login, the data), not just
    each socket operation: a mail server that answers one byte at a time would otherwise hold
    the worker for ever. When time is up the socket is shut down, and the blocked call fails
    like a dropped connection (a transient error: retried later). Django's backend shows its
    socket only once the server's greeting is in, so until then the cut is tried again every
    half second; the greeting itself is bounded by EMAIL_TIMEOUT per read."""
    done = threading.Event()

    def cut():
        if done.wait(seconds):
            return
        while not done.is_set():
            sock = getattr(getattr(connection, "connection", None), "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                return
            done.wait(0.5)

    threading.Thread(target=cut, daemon=True, name="email-deadline").start()
    try:
        yield
    finally:
        done.set()


def is_permanent(error):
    """5xx replies are final; 4xx replies, refused connections, timeouts and a database that
    failed while the message was being built are worth retrying."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    return is_bug(error)


def is_bug(error):
    """Anything but the mail server, the network or the database failing is a bug on our side
    (a broken template, say): retrying will not mend it."""
    return not isinstance(error, (smtplib.SMTPException, OSError, DatabaseError))


def backoff_seconds(attempts):
    return min(settings.EMAIL_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 3600)


def _record(email, status, error, next_attempt_at=None):
    """The outcome of this attempt, if the row is still this attempt's (its claim). A sent row
    keeps the last error met on the way, for whoever wonders why it took three attempts."""
    now = timezone.now()
    outcome = {"status": status, "sent_at": now if status == SENT else None,
               "next_attempt_at": next_attempt_at or now, "updated_at": now}
    if error is not None:
        outcome["last_error"] = f"{type(error).__name__}: {error}"[:2000]
    recorded = OutgoingEmail.objects.filter(pk=email.pk, status=SENDING, claim=email.claim).update(**outcome)
    if not recorded:
        log.warning("outbox: email %s was taken back from this attempt; its outcome (%s) is not recorded",
                    email.pk, status)


# Emails that do not go to the registration's own address: a new address to confirm, the old
# address told of a change, an invitation.
ADDRESSED_ELSEWHERE = (
    Q(registration__isnull=True) | Q(kind=OutgoingEmail.Kind.CONFIRM_NEW_EMAIL) | Q(context__has_key="old_address")
)


def retry_failed(emails):
    """Gives failed emails a fresh set of attempts, to the registration's current address (it
    may have been corrected since) unless they were for another address."""
    with transaction.atomic():
        ids = list(emails.filter(status=FAILED).select_for_update().values_list("id", flat=True))
        current_address = Registration.objects.filter(pk=OuterRef("registration_id")).values("email")[:1]
        retried = OutgoingEmail.objects.filter(pk__in=ids)
        retried.filter(ADDRESSED_ELSEWHERE).update(
            status=QUEUED, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now())
        retried.exclude(ADDRESSED_ELSEWHERE).update(
            status=QUEUED, attempts=0, to_address=Subquery(current_address), next_attempt_at=timezone.now(),
            updated_at=timezone.now(),
        )
        for email_id in ids:
            transaction.on_commit(lambda email_id=email_id: enqueue(email_id))
    return len(ids)


def requeue_stale(now=None):
    """Queues again the rows that nobody is sending: queued past their next attempt (the broker
    lost or never got their task), or claimed by a worker that died mid-send. Returns their ids."""
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=settings.EMAIL_REQUEUE_AFTER_SECONDS)
    stuck_sending = datetime.timedelta(seconds=settings.EMAIL_SENDING_STUCK_AFTER_SECONDS)
    with transaction.atomic():
        OutgoingEmail.objects.filter(status=SENDING, updated_at__lt=now - stuck_sending).update(
            status=QUEUED, next_attempt_at=now - grace, updated_at=now
        )
        stale = list(
            OutgoingEmail.objects.filter(status=QUEUED, next_attempt_at__lte=now - grace)
            .order_by("id")
            .values_list("id", flat=True)[:1000]
        )
        # Not again before another grace period: the task just published gets its chance first.
        OutgoingEmail.objects.filter(pk__in=stale).update(next_attempt_at=now)
    # Whatever the breaker says: this is how a broker that is back is found to be back. The
    # first failure stops the run; the rest are due again at the next one.
    for position, email_id in enumerate(stale):
        if current_app.conf.task_always_eager:
            deliver_here(email_id)
        elif not publish(email_id):
            OutgoingEmail.objects.filter(pk__in=stale[position:], status=QUEUED).update(next_attempt_at=now - grace)
            return stale[:position]
    return stale
