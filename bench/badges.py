#!/usr/bin/env python3
"""Prints name badges for 2,000 people over HTTP from gunicorn on PostgreSQL.

    .venv/bin/python bench/badges.py [--registrations 2000]

It makes a throw-away database (s3days_badges), fills it in SQL as bench/export.py does (each
person on one of the three platforms), starts gunicorn with one worker and downloads
/<event>/staff/badges.pdf as a member of "Registration staff": first one platform's third, then
everyone (8 to an A4 sheet), then everyone one to an A6 page, reading the worker's peak memory
(VmHWM) after each. Targets: 2,000 badges under 20 s; memory flat (the peak grows little from a
third to all of them).
"""
import argparse
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import EVENT, stop  # noqa: E402
from export import peak_kib, serve_registrations  # noqa: E402

PORT = 8769
BASE = f"http://127.0.0.1:{PORT}"
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/s3days_badges")


def download(path, session_key):
    request = urllib.request.Request(f"{BASE}/{EVENT}/staff/{path}", headers={"Cookie": f"sessionid={session_key}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        size = len(response.read())
    return time.perf_counter() - started, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrations", type=int, default=2000)
    args = parser.parse_args()
    server, worker, session_key = serve_registrations(DATABASE, PORT, args.registrations)
    try:
        before = peak_kib(worker)
        third_seconds, third_size = download("badges.pdf?platform=energy", session_key)
        after_third = peak_kib(worker)
        all_seconds, all_size = download("badges.pdf", session_key)
        after_all = peak_kib(worker)
        a6_seconds, a6_size = download("badges.pdf?layout=a6", session_key)
        after_a6 = peak_kib(worker)
    finally:
        stop(server)
    count = args.registrations
    print(f"registrations: {count}")
    print(f"one platform ({count // 3} badges, A4): {third_seconds:.2f} s, {third_size / 1e6:.1f} MB")
    print(f"everyone ({count} badges, 8 to an A4 sheet, {-(-count // 8)} pages): {all_seconds:.2f} s, "
          f"{count / all_seconds:,.0f} badges/s, {all_size / 1e6:.1f} MB (target under 20 s)")
    print(f"everyone (one to an A6 page): {a6_seconds:.2f} s, {a6_size / 1e6:.1f} MB")
    print(f"gunicorn worker peak memory: {before / 1024:.0f} MB before, {after_third / 1024:.0f} MB after a third, "
          f"{after_all / 1024:.0f} MB after everyone, {after_a6 / 1024:.0f} MB after A6")


if __name__ == "__main__":
    main()
