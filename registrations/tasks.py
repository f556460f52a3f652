"""Celery tasks: thin wrappers around registrations/outbox.py. They take ids, never objects."""
from celery import shared_task

from registrations import outbox, services


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def send_email(self, email_id):  # published by name: outbox.SEND_EMAIL_TASK
    try:
        return outbox.deliver(email_id)
    except outbox.TransientEmailError as error:
        # The number of attempts is bounded by the row's own count (EMAIL_MAX_ATTEMPTS).
        attempts = self.request.retries + 1
        raise self.retry(exc=error, countdown=outbox.backoff_seconds(attempts))


@shared_task
def requeue_stale_emails():
    return len(outbox.requeue_stale())


@shared_task
def expire_unverified():
    return services.expire_unverified()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_emails(email_ids):  # published by name: outbox.SEND_BATCH_TASK
    return outbox.deliver_batch(email_ids)


@shared_task
def send_due_mailings():
    return services.send_due_mailings()


@shared_task
def send_reminders():
    return services.send_reminders()
