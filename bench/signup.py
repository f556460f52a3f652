#!/usr/bin/env python3
"""Concurrent sign-ups over HTTP against gunicorn on PostgreSQL.

    .venv/bin/python bench/signup.py [--signups 500] [--concurrency 50] [--seats 50] [--workers N] [--verify]

It makes a throw-away database (s3days_bench), loads the 2018 event, gives the joint conference
--seats seats, starts gunicorn on 127.0.0.1:8765 (Celery publishing to Redis db 14 with no
worker: the emails wait in the broker), and sends the sign-ups: each virtual participant loads
the form (for its CSRF cookie), posts it and reads the result page; half of them book the joint
conference, the others one of the three platform meetings. It prints sign-ups per second, POST
latency percentiles, server errors, and the checks: no session confirmed above its capacity,
registrations in the database equal to the successful responses, and the result pages telling
exactly the seats and waitlist positions the database holds. With --verify the event confirms
addresses first: the seats are held (counted as taken) and the result pages say "Seat held".
It stops what it started; exit 1 on a failed check.
"""
import argparse
import json
import os
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    cpu_seconds, environment, fresh_database, machine_cpu_ticks, manage, process_ids, session_ids, sign_up,
    start_gunicorn, stop,
)

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/s3days_bench")

CHECK = """
import json
from agenda.models import Session
from registrations.models import Registration
rows = list(Session.objects.with_seat_counts().select_related("room").filter(registrable=True))
print(json.dumps({
    "oversold": sum(1 for s in rows if s.seat_limit is not None and s.seats_taken > s.seat_limit),
    "saved": Registration.objects.count(),
    "sessions": [(s.slug, s.seats_taken, s.waitlisted_count, s.seat_limit) for s in rows],
}))
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signups", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seats", type=int, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--verify", action="store_true", help="the event confirms addresses first (held seats)")
    args = parser.parse_args()

    env = environment(DATABASE, PORT, CELERY_BROKER_URL="redis://127.0.0.1:6379/14",
                      REDIS_URL="redis://127.0.0.1:6379/13")
    fresh_database(env)
    code = f"from agenda.models import Session; Session.objects.filter(slug='joint-conference').update(capacity={args.seats})"
    manage("shell", "-c", code, env=env)
    if args.verify:
        manage("shell", "-c", "from agenda.models import Event; Event.objects.update(verify_email=True)", env=env)
    ids = session_ids(env)
    meetings = [ids["agri-food-meeting"], ids["energy-meeting"], ids["industrial-modernisation-meeting"]]
    server = start_gunicorn(env, PORT, args.workers)
    results, lock = [], threading.Lock()

    def one(number):
        chosen = [ids["joint-conference"]] if number % 2 == 0 else [meetings[number % 3]]
        outcome = sign_up(BASE, number, chosen)
        with lock:
            results.append(outcome)

    try:
        web, database = process_ids(parent=server.pid), process_ids(name="postgres")
        web_before, database_before = cpu_seconds(web), cpu_seconds(database)
        started, client_cpu_before, machine_before = time.perf_counter(), time.process_time(), machine_cpu_ticks()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            list(pool.map(one, range(args.signups)))
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu_before
        machine_after = machine_cpu_ticks()
        machine_busy = (machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1])
        # PostgreSQL backends started during the run are counted too (they are still open).
        database = set(database) | set(process_ids(name="postgres"))
        web_cpu, database_cpu = cpu_seconds(web) - web_before, cpu_seconds(database) - database_before
    finally:
        stop(server)

    ok = sum(1 for status, _, _ in results if status == 302)
    errors = sum(1 for status, _, _ in results if status >= 500)
    other = len(results) - ok - errors
    pct = statistics.quantiles(sorted(latency for _, latency, _ in results), n=100)
    told = told_on_result_pages(page for _, _, page in results if page)
    check = json.loads(manage("shell", "-c", CHECK, env=env))
    print(f"sign-ups: {len(results)} sent, {args.concurrency} at a time, gunicorn {args.workers} workers")
    print(f"throughput: {len(results) / elapsed:.1f} sign-ups/s over {elapsed:.1f} s (form GET, POST, result page each)")
    per_signup = {"gunicorn": web_cpu, "PostgreSQL": database_cpu, "this load generator": client_cpu}
    print(f"CPU per sign-up ({os.cpu_count()} cores): "
          + ", ".join(f"{name} {seconds / len(results) * 1000:.1f} ms" for name, seconds in per_signup.items())
          + f"; the machine was {machine_busy:.0%} busy")
    print(f"POST latency: p50 {pct[49] * 1000:.0f} ms, p95 {pct[94] * 1000:.0f} ms, p99 {pct[98] * 1000:.0f} ms")
    print(f"responses: {ok} redirected (saved), {errors} server errors, {other} other")
    print(f"sessions oversold: {check['oversold']}")
    print(f"registrations in the database: {check['saved']}; successful responses: {ok}; lost: {ok - check['saved']}")
    print(f"per session (slug, seats taken{' (held)' if args.verify else ''}, waitlisted, seats): {check['sessions']}")
    joint = next(row for row in check["sessions"] if row[0] == "joint-conference")
    truthful = told == {"confirmed": joint[1], "positions": list(range(1, joint[2] + 1))}
    print(f"result pages for the joint conference: {told['confirmed']} seats confirmed, waitlist positions "
          f"{summarise(told['positions'])}; matches the database: {'yes' if truthful else 'NO'}")
    sys.exit(1 if check["oversold"] or errors or other or check["saved"] != ok or not truthful else 0)


def told_on_result_pages(pages):
    """What the result pages told about the joint conference: how many seats, which positions."""
    confirmed, positions = 0, []
    place = re.compile(
        r"Joint Thematic Platforms Conference[^<]*</strong><br>[^<]*<span[^>]*>(Seat confirmed|Seat held|Waitlist, position (\d+))<")
    for page in pages:
        if found := place.search(page):
            if found.group(2):
                positions.append(int(found.group(2)))
            else:
                confirmed += 1
    return {"confirmed": confirmed, "positions": sorted(positions)}


def summarise(numbers):
    return f"{numbers[0]}-{numbers[-1]} ({len(numbers)}, {len(set(numbers))} distinct)" if numbers else "none"


if __name__ == "__main__":
    main()
