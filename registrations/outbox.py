"""The outbox: emails are rows first, messages second.

queue() writes the row inside the caller's transaction and hands its id to Celery once that
transaction commits. deliver() is what the task runs: it claims the row, sends it, records the
outcome, and is safe to run twice for the same row (the second run finds it claimed or sent).
A broker that is down when a row is queued costs a delay, not an email: requeue_stale() (run
by beat, or `manage.py send_pending_emails`) picks up rows nobody sent.
"""
import datetime
import logging
import smtplib

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from registrations.emails import build_message
from registrations.models import OutgoingEmail, Registration

log = logging.getLogger(__name__)

QUEUED, SENDING, SENT, FAILED = (
    OutgoingEmail.Status.QUEUED,
    OutgoingEmail.Status.SENDING,
    OutgoingEmail.Status.SENT,
    OutgoingEmail.Status.FAILED,
)


class TransientEmailError(Exception):
    """The mail server may take it later (4xx reply, refused connection, timeout)."""


def queue(registration, kind, **context):
    email = OutgoingEmail.objects.create(
        registration=registration, kind=kind, to_address=registration.email, context=context
    )
    transaction.on_commit(lambda: enqueue(email.pk))
    return email


def enqueue(email_id, countdown=None):
    """Hands the row to Celery. Never raises: if the broker is down, the row stays queued."""
    from registrations.tasks import send_email

    try:
        send_email.apply_async((email_id,), countdown=countdown)
    except Exception as error:  # a broker outage must not break the sign-up that caused it
        log.warning("outbox: could not publish email %s (%s); the re-queue task will send it", email_id, error)


def deliver(email_id):
    """Sends one outbox row. Returns 'sent', 'failed' or 'skipped'; raises TransientEmailError
    when a later attempt may succeed (the row is then queued again, its next attempt recorded)."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id, status=QUEUED).first()
        if email is None:
            return "skipped"  # sent, failed, or another worker has it
        email.status = SENDING
        email.attempts += 1
        email.save(update_fields=["status", "attempts", "updated_at"])

    try:
        message = build_message(email)
    except Exception as error:  # a broken template is a bug: fail loudly, do not retry forever
        log.exception("outbox: could not render email %s", email_id)
        _record(email, FAILED, error)
        return "failed"

    try:
        message.send()
    except Exception as error:
        if is_permanent(error) or email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            _record(email, FAILED, error)
            return "failed"
        retry_in = backoff_seconds(email.attempts)
        _record(email, QUEUED, error, next_attempt_at=timezone.now() + datetime.timedelta(seconds=retry_in))
        raise TransientEmailError(str(error)) from error
    _record(email, SENT, None)
    return "sent"


def is_permanent(error):
    """5xx replies are final; 4xx replies, refused connections and timeouts are worth retrying."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    if isinstance(error, (smtplib.SMTPException, OSError)):
        return False
    return True  # anything else is a bug on our side; retrying will not mend it


def backoff_seconds(attempts):
    return min(settings.EMAIL_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 3600)


def _record(email, status, error, next_attempt_at=None):
    now = timezone.now()
    OutgoingEmail.objects.filter(pk=email.pk, status=SENDING).update(
        status=status,
        last_error="" if error is None else f"{type(error).__name__}: {error}"[:2000],
        sent_at=now if status == SENT else None,
        next_attempt_at=next_attempt_at or now,
        updated_at=now,
    )


def retry_failed(emails):
    """Gives failed emails a fresh set of attempts, to the registration's current address (it
    may have been corrected since)."""
    with transaction.atomic():
        ids = list(emails.filter(status=FAILED).select_for_update().values_list("id", flat=True))
        current_address = Registration.objects.filter(pk=OuterRef("registration_id")).values("email")[:1]
        OutgoingEmail.objects.filter(pk__in=ids).update(
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
    for email_id in stale:
        enqueue(email_id)
    return stale
