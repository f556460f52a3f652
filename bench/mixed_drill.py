#!/usr/bin/env python3
"""Every write path at once, over HTTP against gunicorn on PostgreSQL.

    .venv/bin/python bench/mixed_drill.py [--operations 600] [--threads 16] [--workers 3] [--seed 1]

A throw-away database (s3days_mixed) with the 2018 event, its sessions made small so that waitlists
form, and the joint conference moved after the meetings so that programme order is not primary-key
order (the order of locks); gunicorn on 127.0.0.1:8767 with neither broker nor Redis (emails go to
the console, to nowhere). Threads run the operations in random order: sign-ups; participants
changing sessions, cancelling a booking or the whole registration on their private page (one
operation at a time each); an organiser raising and lowering capacities by 1 to 3 on the session,
room and event admin pages (the event's through its Room and Session inlines), each form sent back
whole as a browser would. Printed: operations per second; each kind's outcomes; failed operations
(a 5xx, a connection error, any answer but the expected one; an admin page refusing a capacity
below the seats taken is "refused"); PostgreSQL's deadlock count; then, checked in the database:
no session above its seat limit, nobody waitlisted beside a free seat, a confirmation email for
every registration. It stops what it started; exit 1 on a failed operation or a broken invariant.
"""
import argparse
import collections
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.html_forms import FormFields  # noqa: E402  (the tests post admin forms the same way)
from common import EVENT, Browser, environment, fresh_database, manage, sign_up, start_gunicorn, stop  # noqa: E402

PORT = 8767
BASE = f"http://127.0.0.1:{PORT}"
DATABASE = os.environ.get("BENCH_MIXED_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/s3days_mixed")
ORGANISER, PASSWORD = "organiser", "bench-organiser-password-x7"
POSTED = {"Content-Type": "application/x-www-form-urlencoded"}
KINDS = {"sign_up": 40, "change": 20, "cancel_booking": 15, "cancel": 5,  # weights
         "session_admin": 7, "room_admin": 7, "event_admin": 6}
FINE = {"done", "saved", "refused", "nothing booked"}  # the expected outcomes
ADMIN_PAGES = {"session_admin": ("session", "capacity"), "room_admin": ("room", "capacity"),
               "event_admin": ("event", r"(rooms|sessions)-\d+-capacity")}  # the event page's two inlines
MEETINGS = ["agri-food-meeting", "energy-meeting", "industrial-modernisation-meeting"]

SETUP = f"""
import datetime, json
from django.db.models import F
from agenda.models import Event, Session
event = Event.objects.get(slug="{EVENT}")
# The joint conference moves to the second afternoon, after the meetings (it overlaps none): the
# programme's order is then no longer primary-key order, the order every lock must follow.
day = datetime.timedelta(days=1)
joint = Session.objects.filter(event=event, slug="joint-conference")
joint.update(starts_at=F("starts_at") + day, ends_at=F("ends_at") + day, capacity=12)
Session.objects.filter(event=event, slug="agri-food-meeting").update(capacity=6)
event.rooms.filter(name="Meeting room B").update(capacity=8)
event.rooms.filter(name="Meeting room C").update(capacity=5)
sessions = event.sessions.filter(registrable=True)
print(json.dumps({{"ids": {{s.slug: s.pk for s in sessions}}, "event": [event.pk],  # the admin pages to edit:
    "session": [s.pk for s in sessions if s.capacity is not None], "room": sorted({{s.room_id for s in sessions}})}}))
"""

CHECK = """
WITH counts AS (
  SELECT s.id, s.slug, coalesce(s.capacity, r.capacity) AS seats,
         count(b.id) FILTER (WHERE b.status = 'confirmed') AS confirmed,
         count(b.id) FILTER (WHERE b.status = 'waitlisted') AS waiting
  FROM agenda_session s LEFT JOIN agenda_room r ON r.id = s.room_id
  LEFT JOIN registrations_booking b ON b.session_id = s.id
  WHERE s.registrable GROUP BY s.id, r.capacity)
SELECT json_build_object(
  'oversold', (SELECT count(*) FROM counts WHERE confirmed > seats),
  'waiting_beside_free_seat', (SELECT count(*) FROM counts WHERE waiting > 0 AND (seats IS NULL OR confirmed < seats)),
  'without_confirmation', (SELECT count(*) FROM registrations_registration g WHERE NOT EXISTS (
      SELECT 1 FROM registrations_outgoingemail e WHERE e.registration_id = g.id AND e.kind = 'confirmation')),
  'registrations', (SELECT count(*) FROM registrations_registration),
  'cancelled', (SELECT count(*) FROM registrations_registration WHERE status = 'cancelled'),
  'sessions', (SELECT json_agg(json_build_array(slug, confirmed, waiting, seats) ORDER BY id) FROM counts),
  'deadlocks', (SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()))
"""


def psql(sql):
    return subprocess.run(["psql", DATABASE, "-Atc", sql], check=True, capture_output=True, text=True).stdout.strip()


def csrf(page):
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()


class Participants:
    """Private tokens of active registrations, lent to one operation at a time. New sign-ups'
    tokens are read from the database when the pool runs dry."""

    def __init__(self):
        self.lock, self.free, self.pending = threading.Lock(), [], []

    def signed_up(self, email):
        with self.lock:
            self.pending.append(email)

    def take(self):
        with self.lock:
            if not self.free and self.pending:
                emails = ",".join(f"'{email}'" for email in self.pending)
                self.free += psql("SELECT token FROM registrations_registration"
                                  f" WHERE status = 'active' AND email IN ({emails})").split()
                self.pending.clear()
            return self.free.pop(random.randrange(len(self.free))) if self.free else None

    def give_back(self, token):
        with self.lock:
            self.free.append(token)


def choose_sessions(ids):
    """A random choice a participant may make: the joint conference or not, one meeting at most
    (the three meetings are at the same time)."""
    chosen = [ids["joint-conference"]] if random.random() < 0.6 else []
    return chosen + ([ids[random.choice(MEETINGS)]] if random.random() < 0.8 else [])


def do_sign_up(number, ids, participants):
    status, _, page = sign_up(BASE, number, choose_sessions(ids))
    if status == 302 and page:
        participants.signed_up(f"bench{number}@example.org")
        return "done"
    return f"POST {status}"


def do_change(token, ids):
    browser, page = Browser(BASE), f"/{EVENT}/registration/{token}/"
    status, _, body = browser.request("GET", page)
    if status != 200:
        return f"GET {status}"
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf(body), "sessions": choose_sessions(ids)}, doseq=True)
    status = browser.request("POST", page + "sessions/", data, POSTED)[0]
    return "done" if status == 302 else f"POST {status}"


def do_cancel(token, booking=False):
    """Cancels one booking (chosen on the private page) or the whole registration."""
    browser, page = Browser(BASE), f"/{EVENT}/registration/{token}/cancel/"
    if booking:
        status, _, body = browser.request("GET", f"/{EVENT}/registration/{token}/")
        found = re.findall(rf'/registration/{token}/cancel/(\d+)/"'.encode(), body)
        if status != 200 or not found:
            return "nothing booked" if status == 200 else f"GET {status}"
        page += random.choice(found).decode() + "/"
    status, _, body = browser.request("GET", page)
    if status != 200:
        return f"GET {status}"
    status, _, body = browser.request("POST", page, f"csrfmiddlewaretoken={csrf(body)}", POSTED)
    if booking:
        return "done" if status == 302 else f"POST {status}"
    return "done" if status == 200 and b"Your registration is cancelled" in body else f"POST {status}"


def do_admin(organiser, path, form_id, capacity_field, refusals):
    """Opens an admin change page, raises or lowers one or more of its capacities by 1 to 3 (an
    empty one, no limit or the room's, stays empty), saves."""
    browser = Browser(BASE)
    browser.cookies = dict(organiser.cookies)
    status, _, body = browser.request("GET", path)
    if status != 200:
        return f"GET {status}"
    fields = FormFields(body.decode(), form_id).fields
    capacities = [i for i, (name, value) in enumerate(fields) if re.fullmatch(capacity_field, name) and value]
    for i in random.sample(capacities, random.randint(1, len(capacities))):
        fields[i] = (fields[i][0], str(max(1, int(fields[i][1]) + random.choice((-3, -2, -1, 1, 2, 3)))))
    status, _, body = browser.request("POST", path, urllib.parse.urlencode(fields), POSTED)
    if status == 302:
        return "saved"
    if status == 200 and b"errorlist" in body:
        said = re.search(rb"errorlist[^>]*>(.*?)</ul>", body, re.S).group(1).decode()
        refusals.append(" ".join(re.sub(r"<[^>]+>", " ", said).split()))
        return "refused"
    return f"POST {status}"


def log_in():
    organiser = Browser(BASE)
    body = organiser.request("GET", "/admin/login/")[2]
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf(body), "username": ORGANISER, "password": PASSWORD})
    if organiser.request("POST", "/admin/login/", data, POSTED)[0] != 302:
        sys.exit("the organiser could not log in")
    return organiser


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--operations", type=int, default=600)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)

    env = environment(DATABASE, PORT, RATE_LIMIT_POSTS_PER_ADDRESS="1000000", RATE_LIMIT_POSTS_PER_EMAIL="1000000",
                      ADMIN_USERNAME=ORGANISER, ADMIN_PASSWORD=PASSWORD)
    for name in ("CELERY_BROKER_URL", "REDIS_URL", "EMAIL_URL"):
        env.pop(name, None)  # eager tasks, console emails, each worker's own cache: PostgreSQL alone
    fresh_database(env)
    programme = json.loads(manage("shell", "-c", SETUP, env=env))
    manage("create_demo_admin", env=env)
    ids = programme["ids"]
    plan = random.choices(list(KINDS), weights=list(KINDS.values()), k=args.operations)
    participants, outcomes, refusals, lock = Participants(), collections.Counter(), [], threading.Lock()
    server = start_gunicorn(env, PORT, args.workers)

    def one(number):
        kind, token = plan[number], None
        if kind in ("change", "cancel_booking", "cancel"):
            token = participants.take()
            kind = kind if token else "sign_up"  # nobody to act for yet
        try:
            if kind in ADMIN_PAGES:
                model, capacity_field = ADMIN_PAGES[kind]
                path = f"/admin/agenda/{model}/{random.choice(programme[model])}/change/"
                outcome = do_admin(organiser, path, f"{model}_form", capacity_field, refusals)
            elif kind == "sign_up":
                outcome = do_sign_up(number, ids, participants)
            elif kind == "change":
                outcome = do_change(token, ids)
            else:
                outcome = do_cancel(token, booking=kind == "cancel_booking")
        except Exception as error:  # a connection refused or reset, a page without its form
            outcome = f"{type(error).__name__}: {error}"[:120]
        if token and not (kind == "cancel" and outcome == "done"):
            participants.give_back(token)
        with lock:
            outcomes[kind, outcome] += 1

    try:
        organiser = log_in()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(one, range(args.operations)))
        elapsed = time.perf_counter() - started
    finally:
        stop(server)
    time.sleep(1.5)  # PostgreSQL's statistics (the deadlock count) are flushed within a second
    check = json.loads(psql(CHECK))

    failed = {key: count for key, count in outcomes.items() if key[1] not in FINE}
    server_errors = sum(count for (_, outcome), count in failed.items() if re.search(r"\b5\d\d$", outcome))
    print(f"operations: {args.operations} in {elapsed:.1f} s, {args.operations / elapsed:.1f} per second "
          f"({args.threads} threads, gunicorn {args.workers} workers)")
    for kind in KINDS:
        mine = sorted((outcome, count) for (k, outcome), count in outcomes.items() if k == kind)
        print(f"  {kind}: " + ", ".join(f"{count} {outcome}" for outcome, count in mine))
    print(f"failed operations: {sum(failed.values())} (server errors {server_errors}, "
          f"other {sum(failed.values()) - server_errors})")
    print(f"deadlocks detected by PostgreSQL: {check['deadlocks']}")
    for said, count in collections.Counter(refusals).most_common(3):
        print(f"admin refused {count} times: {said[:200]}")
    print(f"sessions oversold: {check['oversold']}; waitlisted beside a free seat: {check['waiting_beside_free_seat']}")
    print(f"registrations without a confirmation email: {check['without_confirmation']} "
          f"(of {check['registrations']}, {check['cancelled']} cancelled)")
    print(f"per session (slug, confirmed, waitlisted, seats): {check['sessions']}")
    broken = check["oversold"] or check["waiting_beside_free_seat"] or check["without_confirmation"]
    sys.exit(1 if failed or broken else 0)


if __name__ == "__main__":
    main()
