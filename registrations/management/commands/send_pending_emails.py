"""Re-queues the outbox rows nobody sent (what beat does every 10 s), or with --now sends them
from this process, which works with the broker down."""
from django.core.management.base import BaseCommand
from django.utils import timezone

from registrations import outbox
from registrations.models import OutgoingEmail


class Command(BaseCommand):
    help = "Queues (or with --now sends) the emails left unsent in the outbox."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="Send here and now instead of through Celery.")

    def handle(self, *args, now=False, **options):
        if not now:
            ids = outbox.requeue_stale()
            self.stdout.write(f"{len(ids)} emails queued again.")
            return
        outcomes = {}
        pending = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED, next_attempt_at__lte=timezone.now())
        for email_id in pending.order_by("id").values_list("id", flat=True):
            try:
                outcome = outbox.deliver(email_id)
            except outbox.TransientEmailError:
                outcome = "retry later"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        self.stdout.write(", ".join(f"{count} {outcome}" for outcome, count in outcomes.items()) or "nothing to send")
