#!/usr/bin/env python3
"""Exports 100,000 registrations as CSV and as XLSX over HTTP from gunicorn on PostgreSQL, side
by side with PostgreSQL's own COPY of the same rows (the ceiling).

    .venv/bin/python bench/export.py [--registrations 100000]

It makes a throw-away database (s3days_export), fills it in SQL (each registration with a
platform and a booking), starts gunicorn with one worker, downloads /<event>/staff/attendees.csv
and then attendees.xlsx as a member of "Registration staff", and reads the worker's peak memory
(VmHWM) after each. Then it times `COPY (SELECT ...) TO STDOUT WITH CSV` of the registrations'
columns through psql. Targets: CSV within 3 times the time of COPY, XLSX within 10 times; the
worker's peak memory under 200 MB.
"""
import argparse
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import EVENT, environment, fresh_database, manage, process_ids, start_gunicorn, stop  # noqa: E402

PORT = 8768
BASE = f"http://127.0.0.1:{PORT}"
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/s3days_export")

FILL = """
INSERT INTO registrations_registration (event_id, first_name, last_name, email, organisation, country, region,
    stakeholder_type, dietary_needs, accessibility_needs, consent_given_at, status, token, checkin_code,
    created_at, updated_at)
SELECT 1, 'Anë' || n, 'Participant' || n, 'p' || n || '@example.org', 'Organisation ' || (n % 500), 'ES',
    'ES21', 'research', '', '', now(), 'active', md5(n::text) || md5((n + 1)::text),
    upper(substr(md5((n * 7)::text), 1, 10)), now(), now()
FROM generate_series(1, {count}) AS n;
INSERT INTO registrations_registration_platforms (registration_id, platform_id)
SELECT id, 1 + id % 3 FROM registrations_registration;
INSERT INTO registrations_booking (registration_id, session_id, status, created_at, updated_at)
SELECT id, (SELECT id FROM agenda_session WHERE slug = 'joint-conference'), 'confirmed', now(), now()
FROM registrations_registration;
ANALYZE;
"""

# The same columns as the export, computed by PostgreSQL alone. \copy takes one line.
COPY = (
    "\\copy (SELECT r.id, r.last_name, r.first_name, r.email, r.organisation, r.country, r.region, r.stakeholder_type,"
    " (SELECT string_agg(p.name, '; ') FROM registrations_registration_platforms rp"
    "  JOIN agenda_platform p ON p.id = rp.platform_id WHERE rp.registration_id = r.id),"
    " (SELECT string_agg(s.title || ' (' || b.status || ')', '; ') FROM registrations_booking b"
    "  JOIN agenda_session s ON s.id = b.session_id WHERE b.registration_id = r.id),"
    " r.created_at, r.checked_in_at FROM registrations_registration r"
    " WHERE r.event_id = 1 AND r.status = 'active' ORDER BY r.id) TO STDOUT WITH CSV HEADER\n"
)

STAFF_SESSION = """
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
user = User.objects.create_user("bench-staff", password="x", is_staff=True)
user.groups.add(Group.objects.get(name="Registration staff"))
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(session.session_key)
"""


def peak_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1])


def serve_registrations(database, port, count):
    """A throw-away database with `count` registrations, gunicorn with one worker on it, and a
    "Registration staff" login: (server, worker pid, session key). Stop the server when done."""
    env = environment(database, port)
    fresh_database(env)
    subprocess.run(["psql", database, "-qc", FILL.format(count=count)], check=True)
    session_key = manage("shell", "-c", STAFF_SESSION, env=env)
    server = start_gunicorn(env, port, workers=1)
    [worker] = process_ids(parent=server.pid)
    return server, worker, session_key


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrations", type=int, default=100_000)
    args = parser.parse_args()
    server, worker, session_key = serve_registrations(DATABASE, PORT, args.registrations)
    try:
        before = peak_kib(worker)
        request = urllib.request.Request(f"{BASE}/{EVENT}/staff/attendees.csv", headers={"Cookie": f"sessionid={session_key}"})
        started = time.perf_counter()
        size = rows = 0
        with urllib.request.urlopen(request, timeout=600) as response:
            for line in response:
                size += len(line)
                rows += 1
        export_seconds = time.perf_counter() - started
        after = peak_kib(worker)
        request = urllib.request.Request(f"{BASE}/{EVENT}/staff/attendees.xlsx", headers={"Cookie": f"sessionid={session_key}"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=900) as response:
            xlsx_size = len(response.read())
        xlsx_seconds = time.perf_counter() - started
        after_xlsx = peak_kib(worker)
    finally:
        stop(server)
    started = time.perf_counter()
    copy = subprocess.run(["psql", DATABASE, "-q"], input=COPY, capture_output=True, text=True, check=True).stdout
    copy_seconds = time.perf_counter() - started
    print(f"registrations: {args.registrations}")
    print(f"s3days export: {export_seconds:.2f} s, {(rows - 1) / export_seconds:,.0f} rows/s, {size / 1e6:.1f} MB, {rows - 1} rows")
    print(f"PostgreSQL COPY: {copy_seconds:.2f} s, {copy.count(chr(10)) - 1:,} rows")
    print(f"export / COPY: {export_seconds / copy_seconds:.1f} times (target 3 or less)")
    print(f"s3days XLSX: {xlsx_seconds:.2f} s, {args.registrations / xlsx_seconds:,.0f} rows/s, {xlsx_size / 1e6:.1f} MB; "
          f"XLSX / COPY: {xlsx_seconds / copy_seconds:.1f} times (target 10 or less)")
    print(f"gunicorn worker peak memory: {before / 1024:.0f} MB before, {after / 1024:.0f} MB after the CSV, "
          f"{after_xlsx / 1024:.0f} MB after the XLSX (target under 200 MB)")


if __name__ == "__main__":
    main()
