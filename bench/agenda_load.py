#!/usr/bin/env python3
"""Requests per second of the agenda page under wrk, against gunicorn on PostgreSQL, side by
side with the cheapest Django view on the same server (the ceiling).

    .venv/bin/python bench/agenda_load.py [--connections 50] [--seconds 15]

It makes a throw-away database (s3days_agenda) with the 2018 event plus 60 sessions with
speakers and bookings, starts gunicorn (Redis as cache, as in production) and runs wrk on
/bench/ceiling, then on /<event>/agenda/. Prints both, their ratio, and the latency
percentiles. Targets: the agenda at 50% of the ceiling or more, p99 under 100 ms at 50
connections. Needs wrk (apt-get install wrk).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import EVENT, environment, fresh_database, manage, start_gunicorn, stop  # noqa: E402

PORT = 8767
BASE = f"http://127.0.0.1:{PORT}"
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/s3days_agenda")

MORE_SESSIONS = """
import datetime
from agenda.models import Event, Room, Session, Speaker
from registrations.models import Booking, Registration
event = Event.objects.get()
room = Room.objects.get(name="Auditorium")
start = datetime.datetime(2018, 11, 28, 14, tzinfo=event.tz)
for number in range(60):
    session = Session.objects.create(event=event, title=f"Partnership meeting {number}", slug=f"partnership-{number}",
        kind="partnership_meeting", room=room, starts_at=start + datetime.timedelta(minutes=number),
        ends_at=start + datetime.timedelta(minutes=number + 45), capacity=40)
    session.speakers.add(*[Speaker.objects.create(name=f"Speaker {number}-{n}", organisation="Region") for n in range(2)])
    for n in range(10):
        registration = Registration.objects.create(event=event, first_name="A", last_name="B",
            email=f"p{number}-{n}@example.org", organisation="O", country="ES", stakeholder_type="other",
            consent_given_at=start)
        Booking.objects.create(registration=registration, session=session, status="confirmed")
print("ok")
"""


def wrk(url, connections, seconds):
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, latency, int(errors.group(1)) if errors else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2 * os.cpu_count() + 1)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    env = environment(DATABASE, PORT, REDIS_URL="redis://127.0.0.1:6379/12", BENCH_CEILING_VIEW="1")
    fresh_database(env)
    manage("shell", "-c", MORE_SESSIONS, env=env)
    server = start_gunicorn(env, PORT, args.workers)
    try:
        wrk(f"{BASE}/{EVENT}/agenda/", 10, 2)  # warm up
        ceiling = wrk(f"{BASE}/bench/ceiling", args.connections, args.seconds)
        agenda = wrk(f"{BASE}/{EVENT}/agenda/", args.connections, args.seconds)
    finally:
        stop(server)
    print(f"gunicorn {args.workers} workers, wrk {args.connections} connections, {args.seconds} s each; 65 sessions")
    for name, (rps, latency, errors) in (("ceiling (empty view)", ceiling), ("agenda page", agenda)):
        print(f"{name:22} {rps:8.0f} requests/s   p50 {latency.get('50')}   p99 {latency.get('99')}   non-2xx {errors}")
    print(f"agenda / ceiling: {agenda[0] / ceiling[0]:.0%} (target 50% or more)")


if __name__ == "__main__":
    main()
