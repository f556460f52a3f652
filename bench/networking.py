#!/usr/bin/env python3
"""Networking under load: the directory and its suggestions over HTTP, and thousands of
meeting accepts at once.

    .venv/bin/python bench/networking.py [--people 2000] [--concurrency 20] [--requests 1000]
                                         [--accepts 5000] [--threads 16]

It makes a throw-away database (BENCH_DATABASE_URL, default net_bench), loads the 2018 event
and adds --people participants with profiles (platforms, countries, NUTS regions, offers and
wishes drawn from a small vocabulary; two in three visible, half of them public; a third with a
seat in the joint conference, a third in a platform meeting), 30 meeting slots of 40 tables
around the sessions, and --accepts meeting requests between distinct pairs.

1. gunicorn serves the private directory page (with suggestions), the same page searched and
   filtered, and the public list; --concurrency clients send --requests of each. Prints p50 and
   p99 latency (target: p99 under 300 ms) and non-200 answers, beside the same for an empty
   Django view (the ceiling the machine allows at that moment).
2. --threads threads accept every request at once (networking.services.accept, each with its
   own connection). Prints accepts per second, accepted and refused (no free table when both
   are free), errors, PostgreSQL deadlocks, and the conflicts, which must be 0: two meetings at
   one table in one slot, one person in two overlapping meetings, a meeting over a seat.

Celery publishes to Redis db 7 with no worker: the emails wait in the broker (flushed at the end).
Exit 1 on a failed check.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import EVENT, Browser, environment, fresh_database, manage, start_gunicorn, stop  # noqa: E402

PORT = 8771
BASE = f"http://127.0.0.1:{PORT}"
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/net_bench")
REDIS = "redis://127.0.0.1:6379/7"

SETUP = """
import datetime, json, random
from agenda.models import Event, Platform, Partnership, Room
from networking.models import Meeting, MeetingSlot, Profile
from registrations.models import Booking, Registration
random.seed(17)
PEOPLE, PAIRS = {people}, {pairs}
event = Event.objects.get()
platforms, partnerships = list(Platform.objects.all()), list(Partnership.objects.all())
joint = event.sessions.get(slug="joint-conference")
platform_meetings = list(event.sessions.filter(kind="platform_meeting"))
event.sessions.update(capacity=PEOPLE)
places = [("ES", "ES21"), ("ES", "ES30"), ("ES", "ES61"), ("FR", "FRK2"), ("FR", "FR10"), ("DE", "DE21"),
          ("DE", "DE30"), ("IT", "ITH5"), ("IT", "ITC4"), ("PL", "PL91"), ("PT", "PT17"), ("NL", "NL32"),
          ("BE", "BE10"), ("FI", "FI1D"), ("SE", "SE11"), ("AT", "AT13")]
words = ("biogas hydrogen storage smart grids solar photonics textiles sensors traceability dairy "
         "robotics nanomaterials bioeconomy funding pilots investors 3d printing medical devices "
         "wind marine buildings blockchain data food safety packaging logistics").split()
kinds = ["public_authority", "research", "business", "civil_society", "other"]
now = datetime.datetime(2018, 11, 1, tzinfo=event.tz)
registrations = Registration.objects.bulk_create([
    Registration(event=event, first_name=f"Person{{n}}", last_name=f"Bench{{n:04d}}", email=f"person{{n}}@example.org",
                 organisation=f"Organisation {{n % 400}}", country=places[n % len(places)][0],
                 region=places[n % len(places)][1], stakeholder_type=kinds[n % len(kinds)], consent_given_at=now)
    for n in range(PEOPLE)])
Through = Registration.platforms.through
Through.objects.bulk_create([Through(registration_id=r.pk, platform_id=platforms[n % 3].pk)
                             for n, r in enumerate(registrations)]
                            + [Through(registration_id=r.pk, platform_id=platforms[(n + 1) % 3].pk)
                               for n, r in enumerate(registrations) if n % 4 == 0])
PartnershipThrough = Registration.partnerships.through
PartnershipThrough.objects.bulk_create([PartnershipThrough(registration_id=r.pk, partnership_id=random.choice(partnerships).pk)
                                        for r in registrations[::2]])
Booking.objects.bulk_create(
    [Booking(registration=r, session=joint, status="confirmed") for r in registrations[0::3]]
    + [Booking(registration=r, session=platform_meetings[n % 3], status="confirmed")
       for n, r in enumerate(registrations[1::3])])
visibility = ["participants", "public", "hidden"]
profiles = Profile.objects.bulk_create([
    Profile(registration=r, visibility=visibility[n % 3],
            about=f"We work on {{' and '.join(random.sample(words, 3))}}.",
            expertise=", ".join(random.sample(words, 3)), offers=" ".join(random.sample(words, 4)),
            looking_for=" ".join(random.sample(words, 4)))
    for n, r in enumerate(registrations)])
visible = [p for p in profiles if p.visibility != "hidden"]
foyer = Room.objects.get(event=event, name="Foyer")
MeetingSlot.objects.filter(event=event).delete()
starts = [datetime.datetime(2018, 11, 27, 10, tzinfo=event.tz) + datetime.timedelta(minutes=20 * n) for n in range(15)]
starts += [datetime.datetime(2018, 11, 28, 12, tzinfo=event.tz) + datetime.timedelta(minutes=20 * n) for n in range(15)]
MeetingSlot.objects.bulk_create([MeetingSlot(event=event, room=foyer, tables=40, starts_at=start,
                                             ends_at=start + datetime.timedelta(minutes=20)) for start in starts])
pairs, sent = set(), {{}}
while len(pairs) < PAIRS:
    one, other = random.sample(visible, 2)
    key = (min(one.pk, other.pk), max(one.pk, other.pk))
    if key in pairs or sent.get(one.pk, 0) >= 10:
        continue
    pairs.add(key)
    sent[one.pk] = sent.get(one.pk, 0) + 1
Meeting.objects.bulk_create([Meeting(requester_id=a, invitee_id=b, message="Shall we meet?") for a, b in pairs])
from django.db import connection
with connection.cursor() as cursor:  # statistics, as autovacuum would gather on a live database
    cursor.execute("ANALYZE")
viewers = [p.registration.token for p in visible[:200]]
print(json.dumps({{"tokens": viewers}}))
"""

ACCEPT_ALL = """
import json, random, statistics, threading, time
from concurrent.futures import ThreadPoolExecutor
from django.db import connection
from agenda.models import Event
from networking import services
from networking.models import Meeting
event = Event.objects.get()
now = __import__("datetime").datetime(2018, 11, 1, tzinfo=event.tz)
ids = list(Meeting.objects.filter(status="requested").values_list("pk", flat=True))
random.Random(5).shuffle(ids)
meetings = {{m.pk: m for m in Meeting.objects.select_related("requester", "invitee").filter(pk__in=ids)}}
with connection.cursor() as cursor:
    cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
    deadlocks_before = cursor.fetchone()[0]
outcomes, latencies, lock = {{"accepted": 0, "refused": 0, "errors": []}}, [], threading.Lock()
def accept(pk):
    started = time.perf_counter()
    try:
        services.accept(meetings[pk], now=now)
        outcome = "accepted"
    except services.MeetingRefused:
        outcome = "refused"
    except Exception as error:
        outcome = repr(error)
    finally:
        connection.close()
    with lock:
        latencies.append(time.perf_counter() - started)
        if outcome in ("accepted", "refused"):
            outcomes[outcome] += 1
        else:
            outcomes["errors"].append(outcome)
started = time.perf_counter()
with ThreadPoolExecutor({threads}) as pool:
    list(pool.map(accept, ids))
seconds = time.perf_counter() - started
with connection.cursor() as cursor:
    cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
    deadlocks = cursor.fetchone()[0] - deadlocks_before
    cursor.execute(\"\"\"SELECT count(*) FROM (SELECT slot_id, "table" FROM networking_meeting WHERE status = 'accepted'
                      GROUP BY slot_id, "table" HAVING count(*) > 1) AS doubled\"\"\")
    same_table = cursor.fetchone()[0]
    cursor.execute(\"\"\"WITH places AS (
        SELECT p.registration_id AS person, s.starts_at, s.ends_at, m.id FROM networking_meeting m
        JOIN networking_meetingslot s ON s.id = m.slot_id
        JOIN networking_profile p ON p.id IN (m.requester_id, m.invitee_id) WHERE m.status = 'accepted')
      SELECT count(*) FROM places a JOIN places b ON a.person = b.person AND a.id < b.id
      AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at\"\"\")
    two_places = cursor.fetchone()[0]
    cursor.execute(\"\"\"SELECT count(*) FROM networking_meeting m JOIN networking_meetingslot s ON s.id = m.slot_id
      JOIN networking_profile p ON p.id IN (m.requester_id, m.invitee_id)
      JOIN registrations_booking b ON b.registration_id = p.registration_id AND b.status IN ('confirmed', 'held')
      JOIN agenda_session x ON x.id = b.session_id
      WHERE m.status = 'accepted' AND x.starts_at < s.ends_at AND s.starts_at < x.ends_at\"\"\")
    over_a_seat = cursor.fetchone()[0]
latencies.sort()
print(json.dumps({{"seconds": seconds, "decided": len(latencies), "accepted": outcomes["accepted"],
                  "refused": outcomes["refused"], "errors": outcomes["errors"][:5], "error_count": len(outcomes["errors"]),
                  "deadlocks": deadlocks, "same_table": same_table, "two_places": two_places, "over_a_seat": over_a_seat,
                  "p50": statistics.median(latencies), "p99": latencies[int(len(latencies) * 0.99) - 1]}}))
"""


def load(paths, concurrency):
    """GETs every path with `concurrency` clients; returns (sorted latencies in ms, non-200 count)."""
    def get(path):
        started = time.perf_counter()
        status = Browser(BASE).request("GET", path)[0]
        return (time.perf_counter() - started) * 1000, status

    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(get, paths))
    return sorted(latency for latency, _ in results), sum(1 for _, status in results if status != 200)


def percentile(sorted_values, share):
    return sorted_values[max(int(len(sorted_values) * share) - 1, 0)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000, help="GETs of each page")
    parser.add_argument("--accepts", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2 * os.cpu_count() + 1)
    args = parser.parse_args()

    env = environment(DATABASE, PORT, REDIS_URL=REDIS, CELERY_BROKER_URL=REDIS, BENCH_CEILING_VIEW="1")
    fresh_database(env)
    started = time.perf_counter()
    tokens = json.loads(manage("shell", "-c", SETUP.format(people=args.people, pairs=args.accepts), env=env))["tokens"]
    print(f"setup: {args.people} participants with profiles, {args.accepts} requests, 30 slots x 40 tables "
          f"({time.perf_counter() - started:.0f} s)")

    failed = False
    rng = random.Random(3)
    pages = {
        # The least a Django view can do, on the same server and machine: what the load allows.
        "ceiling (empty view)": ["/bench/ceiling"] * args.requests,
        "directory + suggestions": [f"/{EVENT}/registration/{rng.choice(tokens)}/people/" for _ in range(args.requests)],
        "directory searched": [f"/{EVENT}/registration/{rng.choice(tokens)}/people/?platform=energy&country=ES&q=biogas"
                               f"&page={rng.randint(1, 3)}" for _ in range(args.requests)],
        "public list": [f"/{EVENT}/participants/?page={rng.randint(1, 4)}" for _ in range(args.requests)],
    }
    server = start_gunicorn(env, PORT, args.workers)
    try:
        load(pages["directory + suggestions"][:50], args.concurrency)  # warm up
        print(f"gunicorn {args.workers} workers, {args.concurrency} concurrent clients, {args.requests} GETs per page")
        for name, paths in pages.items():
            started = time.perf_counter()
            latencies, non_200 = load(paths, args.concurrency)
            elapsed = time.perf_counter() - started
            p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
            print(f"{name:26} p50 {p50:6.0f} ms   p99 {p99:6.0f} ms   {len(paths) / elapsed:6.0f} requests/s   "
                  f"non-200 {non_200}")
            failed |= non_200 > 0 or (name.startswith("directory") and p99 >= 300)
    finally:
        stop(server)

    result = json.loads(manage("shell", "-c", ACCEPT_ALL.format(threads=args.threads), env=env))
    conflicts = result["same_table"] + result["two_places"] + result["over_a_seat"]
    print(f"accepts: {result['decided']} at once by {args.threads} threads in {result['seconds']:.1f} s = "
          f"{result['decided'] / result['seconds']:.0f} accepts/s (p50 {result['p50'] * 1000:.0f} ms, "
          f"p99 {result['p99'] * 1000:.0f} ms)")
    print(f"  accepted {result['accepted']}, refused (no free table when both free) {result['refused']}, "
          f"errors {result['error_count']} {result['errors']}, deadlocks {result['deadlocks']}")
    print(f"  conflicts = {conflicts} (two at one table {result['same_table']}, one person in two places "
          f"{result['two_places']}, a meeting over a seat {result['over_a_seat']})")
    failed |= conflicts > 0 or result["error_count"] > 0 or result["deadlocks"] > 0
    subprocess.run(["redis-cli", "-n", "7", "flushdb"], capture_output=True)  # the emails no worker sent
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
