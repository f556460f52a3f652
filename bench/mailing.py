#!/usr/bin/env python3
"""A mailing to 10,000 registrations: the web time to queue it, then delivery through a real
Celery worker to a local SMTP server.

    .venv/bin/python bench/mailing.py [--people 10000] [--concurrency 2]

A throw-away database (s3days_bench_mailing) with the 2018 event and --people registrations,
a mailing to everyone; an aiosmtpd server in this process on 127.0.0.1:8027 that counts what it
receives by outbox id; a Celery worker (--concurrency processes) on Redis db 10. It times
services.send_mailing() as the admin's "Yes, send it" runs it (target: under 5 s), then the
delivery from the first message to the last (target: 50 emails/s or more), and checks: every
person got it once (0 duplicates, 0 lost), every outbox row sent. Exit 1 on a failed check.
"""
import argparse
import collections
import email
import json
import os
import subprocess
import sys
import threading
import time

from aiosmtpd.controller import Controller

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, environment, fresh_database, manage, stop  # noqa: E402

SMTP_PORT = 8027
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/s3days_bench_mailing")

PEOPLE = """
from django.utils import timezone
from agenda.models import Event
from registrations.models import Mailing, Registration
event = Event.objects.get()
now = timezone.now()
Registration.objects.bulk_create([Registration(
    event=event, first_name=f"Person{n}", last_name="Bench", email=f"person{n}@example.org", organisation="Bench Lab",
    country="ES", region="ES21", stakeholder_type="research", consent_given_at=now, language=("en", "es", "eu")[n % 3],
) for n in range(PEOPLE_COUNT)], batch_size=2000)
mailing = Mailing.objects.create(event=event, subject="Practical information", subject_es="Información práctica",
                                 body="Dear {first_name},\\n{my_sessions}\\nYour registration: {private_link}")
print(mailing.pk)
"""

SEND = """
import json, time
from registrations import services
from registrations.models import Mailing
started = time.perf_counter()
queued = services.send_mailing(Mailing.objects.get(pk={mailing}))
print(json.dumps({{"queued": queued, "seconds": time.perf_counter() - started}}))
"""

STATE = """
import json
from django.db.models import Count
from registrations.models import OutgoingEmail
print(json.dumps(dict(OutgoingEmail.objects.filter(kind="mailing").values_list("status").annotate(n=Count("id")))))
"""


class Inbox:
    def __init__(self):
        self.outbox_ids, self.first, self.last = collections.Counter(), None, None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content)
        with self.lock:
            self.outbox_ids[int(message["X-S3days-Outbox-Id"])] += 1
            self.last = time.monotonic()
            self.first = self.first or self.last
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    env = environment(DATABASE, 8767, CELERY_BROKER_URL="redis://127.0.0.1:6379/10",
                      REDIS_URL="redis://127.0.0.1:6379/9", EMAIL_URL=f"smtp://127.0.0.1:{SMTP_PORT}")
    fresh_database(env)
    mailing = manage("shell", "-c", PEOPLE.replace("PEOPLE_COUNT", str(args.people)), env=env)
    subprocess.run(["redis-cli", "-n", "10", "flushdb"], capture_output=True)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()
    worker = subprocess.Popen([os.path.join(BIN, "celery"), "-A", "s3days", "worker", "--concurrency",
                               str(args.concurrency), "--loglevel", "WARNING"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # the worker is up before the mailing goes
        sent = json.loads(manage("shell", "-c", SEND.format(mailing=mailing), env=env))
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and sum(inbox.outbox_ids.values()) < sent["queued"]:
            time.sleep(0.5)
        time.sleep(2)  # anything sent twice arrives too
    finally:
        stop(worker)
        smtp.stop()
    state = json.loads(manage("shell", "-c", STATE, env=env))
    received = len(inbox.outbox_ids)
    duplicates = sum(count - 1 for count in inbox.outbox_ids.values() if count > 1)
    rate = received / (inbox.last - inbox.first) if received > 1 else 0
    print(f"mailing to {args.people} people: queued {sent['queued']} in {sent['seconds']:.2f} s (web time)")
    print(f"delivered {received} through {args.concurrency} worker processes at {rate:.0f} emails/s "
          f"({inbox.last - inbox.first:.1f} s from the first to the last)")
    print(f"duplicates: {duplicates}; lost: {sent['queued'] - received}; outbox rows: {state}")
    failures = [name for name, failed in [
        ("queue time over 5 s", sent["seconds"] > 5), ("under 50 emails/s", rate < 50), ("duplicates", duplicates),
        ("lost", sent["queued"] - received), ("rows not sent", state.get("sent", 0) != sent["queued"]),
    ] if failed]
    print("checks: " + ("all met" if not failures else "FAILED: " + ", ".join(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
