#!/usr/bin/env python3
"""Half the sign-ups never confirm their address: after the hold, one run of the periodic task
hands every seat they held to the waitlist, in order.

    .venv/bin/python bench/verify_drill.py [--signups 200] [--concurrency 20] [--seats 50]

A throw-away database (s3days_bench_verify), the 2018 event with verify_email on and the joint
conference given --seats seats; gunicorn on 127.0.0.1:8766. Every sign-up books the joint
conference; then the even-numbered participants open their verification link (GET the page,
POST its button) and the odd-numbered never do. Then one run of expire_unverified(), as beat
runs it, with the clock past the hold. Printed: the seconds that run took, registrations
expired, and the checks: no seat still held, no session above its seats, nobody waiting beside
a free seat, the seats in arrival order (among those still registered, every seat-holder signed
up before everyone waiting), and a promotion email for each person who got a seat from the
waitlist. Exit 1 on a failed check.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Browser, environment, fresh_database, manage, session_ids, sign_up, start_gunicorn, stop  # noqa: E402

PORT = 8766
BASE = f"http://127.0.0.1:{PORT}"
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/s3days_bench_verify")

KEYS = """
import json
from registrations.models import Registration
print(json.dumps({r.email: r.verification_key for r in Registration.objects.filter(status="unverified")}))
"""

EXPIRE_ONCE = """
import datetime, json, time
from django.utils import timezone
from registrations import services
from registrations.models import Booking
waiting_before = set(Booking.objects.filter(status="waitlisted").values_list("pk", flat=True))
started = time.perf_counter()
expired = services.expire_unverified(now=timezone.now() + datetime.timedelta(minutes=31))
print(json.dumps({"expired": expired, "seconds": time.perf_counter() - started,
                  "waiting_before": sorted(waiting_before)}))
"""

CHECK = """
import json
from agenda.models import Session
from registrations.models import Booking, OutgoingEmail
joint = Session.objects.with_seat_counts().select_related("room").get(slug="joint-conference")
live = list(joint.bookings.exclude(status="cancelled").order_by("id").values_list("pk", "status"))
print(json.dumps({
    "held": Booking.objects.filter(status="held").count(),
    "taken": joint.seats_taken, "waiting": joint.waitlisted_count, "limit": joint.seat_limit,
    "live": live,
    "promoted": list(Booking.objects.filter(session=joint, status="confirmed").values_list("pk", flat=True)),
    "promotion_rows": OutgoingEmail.objects.filter(kind="promotion").count(),
    "registrations": dict(__import__("collections").Counter(
        Booking.objects.filter(session=joint).values_list("registration__status", flat=True))),
}))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signups", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seats", type=int, default=50)
    args = parser.parse_args()

    env = environment(DATABASE, PORT, CELERY_BROKER_URL="redis://127.0.0.1:6379/12",
                      REDIS_URL="redis://127.0.0.1:6379/11")
    fresh_database(env)
    manage("shell", "-c", "from agenda.models import Event, Session; Event.objects.update(verify_email=True); "
           f"Session.objects.filter(slug='joint-conference').update(capacity={args.seats})", env=env)
    joint = session_ids(env)["joint-conference"]
    server = start_gunicorn(env, PORT, os.cpu_count())
    try:
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            signed = list(pool.map(lambda number: sign_up(BASE, number, [joint]), range(args.signups)))
        keys = json.loads(manage("shell", "-c", KEYS, env=env))

        def open_link(number):
            browser, path = Browser(BASE), f"/s3-platform-days-2018/verify/{keys[f'bench{number}@example.org']}/"
            page = browser.request("GET", path)[2].decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            status, _, _ = browser.request("POST", path, body=urllib.parse.urlencode({"csrfmiddlewaretoken": token}),
                                           headers={"Content-Type": "application/x-www-form-urlencoded",
                                                    "Referer": BASE + "/"})
            return status

        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            confirmed = list(pool.map(open_link, range(0, args.signups, 2)))
    finally:
        stop(server)
    run = json.loads(manage("shell", "-c", EXPIRE_ONCE, env=env))
    check = json.loads(manage("shell", "-c", CHECK, env=env))

    statuses = [status for _, status in check["live"]]
    seats = sum(1 for status in statuses if status in ("confirmed", "held"))
    in_order = statuses == sorted(statuses, key=lambda status: status == "waitlisted")
    promoted = sorted(set(check["promoted"]) & set(run["waiting_before"]))
    failures = [
        name for name, failed in [
            ("sign-ups not saved", sum(1 for status, _, _ in signed if status != 302)),
            ("verifications refused", sum(1 for status in confirmed if status != 302)),
            ("seats still held", check["held"]),
            ("oversold", check["limit"] is not None and check["taken"] > check["limit"]),
            ("waiting beside a free seat", check["waiting"] and check["taken"] < check["limit"]),
            ("seats out of arrival order", not in_order),
            ("promoted without an email", len(promoted) > check["promotion_rows"]),
        ] if failed
    ]
    print(f"sign-ups: {args.signups} ({args.concurrency} at a time) for {args.seats} seats of the joint conference; "
          f"{len(confirmed)} confirmed their address, {args.signups - len(confirmed)} never did")
    print(f"one run of expire_unverified: {run['expired']} registrations expired in {run['seconds']:.2f} s")
    print(f"joint conference after it: {check['taken']} of {check['limit']} seats taken, {check['waiting']} waiting, "
          f"{check['held']} seats still held; {len(promoted)} seats went from the waitlist to people who had confirmed, "
          f"{check['promotion_rows']} promotion emails queued; seats in arrival order: {'yes' if in_order else 'NO'}")
    print(f"bookings by registration status: {check['registrations']}")
    print("checks: " + ("all met" if not failures else "FAILED: " + ", ".join(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
