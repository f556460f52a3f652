#!/usr/bin/env python3
"""The email drill: 200 sign-ups while the broker, a worker and the mail server fail.

    .venv/bin/python bench/email_drill.py [--signups 200]

Everything runs here and is stopped at the end: a Redis of its own on 127.0.0.1:6390 (the
broker and the cache, as in a deployment with one Redis; the machine's Redis on 6379 is left
alone), an aiosmtpd server in this process,
gunicorn on 127.0.0.1:8766, a Celery worker and Celery beat, on a throw-away PostgreSQL
database (s3days_drill). While the sign-ups go in, spread over about 90 s:
  (a) Redis is stopped for 30 s (no broker, no cache),
  (b) Redis hangs for 15 s (SIGSTOP: connections are accepted, nothing answers),
  (c) the worker is killed once with SIGKILL (and started again, as a supervisor would),
  (d) the mail server refuses connections for 20 s.
It prints the sign-up latency while Redis hangs, how long after Redis comes back (from (a)
and from (b)) every email of a sign-up made before then has been sent (target: 30 s), and,
once everything has settled: sign-ups saved, emails delivered, duplicates, failed. The one
admissible duplicate is a message the SMTP server took just before the worker was killed,
whose row was therefore not marked sent: such rows are listed apart. Exit 1 if a sign-up or
an email is lost, a duplicate falls outside that window, or a settle time misses its target.
"""
import argparse
import collections
import email
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import BIN, ROOT, environment, fresh_database, manage, session_ids, sign_up, start_gunicorn, stop  # noqa: E402

WEB_PORT, REDIS_PORT, SMTP_PORT = 8766, 6390, 8025
BASE = f"http://127.0.0.1:{WEB_PORT}"
DATABASE = os.environ.get("DRILL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/s3days_drill")
DEADLINE_AFTER_LAST_FAULT = 180
SETTLE_TARGET = 30


class Inbox:
    def __init__(self):
        self.outbox_ids = collections.Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content)
        with self.lock:
            self.outbox_ids[int(message["X-S3days-Outbox-Id"])] += 1
        return "250 Message accepted"


class MailServer:
    """aiosmtpd that can go away (connections refused) and come back on the same port."""

    def __init__(self, inbox):
        self.inbox, self.controller = inbox, None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=SMTP_PORT)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None


def start_redis():
    process = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        if subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, text=True).stdout.strip() == "PONG":
            return process
        time.sleep(0.1)
    sys.exit("redis did not start")


def start_celery(kind, env):
    args = ["worker", "--concurrency", "2", "--loglevel", "WARNING"] if kind == "worker" else ["beat", "--loglevel", "WARNING", "--schedule", "/tmp/s3days-drill-beat"]
    return subprocess.Popen([os.path.join(BIN, "celery"), "-A", "s3days", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def outbox_state(env):
    code = (
        "import json; from registrations.models import OutgoingEmail, Registration; from django.db.models import Count;"
        "print(json.dumps({'registrations': Registration.objects.count(),"
        " 'status': dict(OutgoingEmail.objects.values_list('status').annotate(n=Count('id'))),"
        " 'sending': list(OutgoingEmail.objects.filter(status='sending').values_list('id', flat=True))}))"
    )
    return json.loads(manage("shell", "-c", code, env=env))


def unsent_before(env, moment):
    """How many outbox rows written before `moment` (a time.time()) are not sent yet."""
    sql = f"SELECT count(*) FROM registrations_outgoingemail WHERE status <> 'sent' AND created_at < to_timestamp({moment})"
    return int(subprocess.run(["psql", env["DATABASE_URL"], "-tAc", sql], capture_output=True, text=True).stdout)


def seconds_to_settle(env, since_monotonic, since_wall):
    """Seconds from `since` until every email written before it is sent (None: not in time)."""
    while time.monotonic() - since_monotonic < DEADLINE_AFTER_LAST_FAULT:
        if unsent_before(env, since_wall) == 0:
            return time.monotonic() - since_monotonic
        time.sleep(0.5)
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signups", type=int, default=200)
    args = parser.parse_args()

    env = environment(
        DATABASE, WEB_PORT,
        CELERY_BROKER_URL=f"redis://127.0.0.1:{REDIS_PORT}/0",
        REDIS_URL=f"redis://127.0.0.1:{REDIS_PORT}/1",
        EMAIL_URL=f"smtp://127.0.0.1:{SMTP_PORT}?timeout=5",
        EMAIL_RETRY_BASE_SECONDS="5",
        EMAIL_MAX_ATTEMPTS="8",
    )
    fresh_database(env)
    joint = session_ids(env)["joint-conference"]
    inbox = Inbox()
    mail_server = MailServer(inbox)
    mail_server.start()
    redis = start_redis()
    web = start_gunicorn(env, WEB_PORT, workers=2)
    worker, beat = start_celery("worker", env), start_celery("beat", env)
    started = time.monotonic()
    log = []

    def at(seconds, what):
        time.sleep(max(0, started + seconds - time.monotonic()))
        log.append(f"{time.monotonic() - started:5.1f} s  {what}")
        return time.monotonic(), time.time()

    results = []  # (seconds since start when posted, future)

    def sign_ups():
        with ThreadPoolExecutor(max_workers=4) as pool:
            for number in range(args.signups):
                # Spread over about 90 s, so every fault happens while people sign up.
                time.sleep(max(0, started + number * 90 / args.signups - time.monotonic()))
                results.append((time.monotonic() - started, pool.submit(sign_up, BASE, number, [joint])))

    participants = threading.Thread(target=sign_ups)
    participants.start()
    killed_while_sending = []
    settled = {}
    try:
        at(8, "redis stopped")
        stop(redis)
        back = at(38, "redis started again")
        redis = start_redis()
        settled["after Redis was down 30 s"] = seconds_to_settle(env, *back)
        hung_from = at(48, "redis hangs (SIGSTOP)")[0] - started
        redis.send_signal(signal.SIGSTOP)
        back = at(63, "redis answers again (SIGCONT)")
        redis.send_signal(signal.SIGCONT)
        hung_until = back[0] - started
        settled["after Redis hung 15 s"] = seconds_to_settle(env, *back)
        at(max(70, time.monotonic() - started), "worker killed with SIGKILL")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_while_sending = outbox_state(env)["sending"]
        at(time.monotonic() - started + 2, "worker started again")
        worker = start_celery("worker", env)
        mail_down = at(time.monotonic() - started + 2, "mail server refusing connections")[0] - started
        mail_server.stop()
        at(mail_down + 20, "mail server back")
        mail_server.start()
        last_fault = time.monotonic()
        participants.join()
        statuses = [(posted, future.result()) for posted, future in results]

        while time.monotonic() - last_fault < DEADLINE_AFTER_LAST_FAULT:
            state = outbox_state(env)
            if set(state["status"]) <= {"sent", "failed"}:
                break
            time.sleep(5)
        delivered_after = time.monotonic() - last_fault
        state = outbox_state(env)
    finally:
        for process in (beat, worker, web, redis):
            if process and process.poll() is None:
                process.send_signal(signal.SIGCONT)  # a stopped process cannot act on SIGTERM
            stop(process)
        mail_server.stop()

    saved_responses = sum(1 for _, (status, *_) in statuses if status == 302)
    hung_latencies = sorted(latency for posted, (_, latency, _) in statuses if hung_from <= posted < hung_until)
    duplicates = {outbox_id: count for outbox_id, count in inbox.outbox_ids.items() if count > 1}
    admissible = {outbox_id for outbox_id in duplicates if outbox_id in killed_while_sending}
    sent = state["status"].get("sent", 0)
    print("\n".join(log))
    print(f"sign-ups: {args.signups} sent, {saved_responses} answered as saved, {state['registrations']} in the database")
    if hung_latencies:
        print(f"sign-up POST while Redis hung: {len(hung_latencies)} sign-ups, median "
              f"{hung_latencies[len(hung_latencies) // 2] * 1000:.0f} ms, slowest {hung_latencies[-1] * 1000:.0f} ms")
    for what, seconds in settled.items():
        print(f"emails of earlier sign-ups all sent {'never' if seconds is None else f'{seconds:.0f} s'} {what} "
              f"(target: {SETTLE_TARGET} s)")
    print(f"emails: {sent} rows sent, {len(inbox.outbox_ids)} distinct delivered to the SMTP server, "
          f"{state['status'].get('failed', 0)} failed, {sum(v for k, v in state['status'].items() if k not in ('sent', 'failed'))} still pending")
    print(f"all settled {delivered_after:.0f} s after the last fault ended (target: 180 s)")
    print(f"duplicates: {len(duplicates) - len(admissible)} outside the admissible window, "
          f"{len(admissible)} from the kill between SMTP accept and marking sent (rows {sorted(admissible)})")
    lost = state["registrations"] != args.signups or saved_responses != args.signups or len(inbox.outbox_ids) != state["registrations"]
    slow = any(seconds is None or seconds > SETTLE_TARGET for seconds in settled.values())
    sys.exit(1 if lost or slow or len(duplicates) > len(admissible) or state["status"].get("failed") else 0)


if __name__ == "__main__":
    main()
