#!/usr/bin/env python3
"""Concurrent sign-ups over HTTP against gunicorn on PostgreSQL.

    .venv/bin/python bench/signup.py [--signups 500] [--concurrency 50] [--seats 50]

It makes a throw-away database (s3days_bench), loads the 2018 event, gives the joint conference
--seats seats, starts gunicorn on 127.0.0.1:8765 (Celery publishing to Redis db 14, no worker:
the emails wait in the broker), and sends the sign-ups: each virtual participant loads the form
(for its CSRF cookie) then posts it; half of them book the joint conference, the others one of
the three platform meetings. It prints sign-ups per second, POST latency percentiles, server
errors, and the checks: no session confirmed above its capacity, and registrations in the
database equal to the successful responses. It stops what it started.
"""
import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
EVENT = "s3-platform-days-2018"
DATABASE = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/s3days_bench")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def environment():
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": DATABASE,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
        "REDIS_URL": "redis://127.0.0.1:6379/13",
        "RATE_LIMIT_POSTS": "1000000",
        "SITE_URL": BASE,
        "LOG_LEVEL": "WARNING",
    }


def manage(*args, env):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_database(env, seats):
    name = urllib.parse.urlsplit(DATABASE).path.lstrip("/")
    admin_url = DATABASE.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    manage("migrate", "--noinput", env=env)
    manage("load_s3days", env=env)
    code = f"from agenda.models import Session; Session.objects.filter(slug='joint-conference').update(capacity={seats})"
    manage("shell", "-c", code, env=env)


def session_ids(env):
    code = "from agenda.models import Session; print({s.slug: s.pk for s in Session.objects.all()})"
    out = subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    return eval(out.strip().splitlines()[-1])  # our own dict literal


def start_gunicorn(env, workers):
    server = subprocess.Popen(
        [os.path.join(ROOT, ".venv", "bin", "gunicorn"), "s3days.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(BASE + "/healthz", timeout=1)
            return server
        except Exception:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not start")


def sign_up(number, sessions, platform_id):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    form = opener.open(f"{BASE}/{EVENT}/register/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({
        "csrfmiddlewaretoken": token, "first_name": f"Bench{number}", "last_name": "Participant",
        "email": f"bench{number}@example.org", "organisation": "Bench Lab", "country": "ES",
        "region": "Basque Country", "stakeholder_type": "research", "platforms": platform_id,
        "sessions": sessions, "consent": "on",
    }, doseq=True).encode()
    request = urllib.request.Request(f"{BASE}/{EVENT}/register/", data=data, headers={"Referer": BASE + "/"})
    started = time.perf_counter()
    try:
        status = opener.open(request, timeout=60).status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signups", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seats", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2 * os.cpu_count() + 1)
    args = parser.parse_args()

    env = environment()
    prepare_database(env, args.seats)
    ids = session_ids(env)
    meetings = [ids["agri-food-meeting"], ids["energy-meeting"], ids["industrial-modernisation-meeting"]]
    server = start_gunicorn(env, args.workers)
    results, lock = [], threading.Lock()

    def one(number):
        chosen = [ids["joint-conference"]] if number % 2 == 0 else [meetings[number % 3]]
        outcome = sign_up(number, chosen, "1")
        with lock:
            results.append(outcome)

    try:
        started, client_cpu_before = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            list(pool.map(one, range(args.signups)))
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu_before
    finally:
        server.terminate()
        server.wait(10)

    ok = sum(1 for status, _ in results if status == 302)
    errors = sum(1 for status, _ in results if status >= 500)
    other = len(results) - ok - errors
    latencies = sorted(latency for _, latency in results)
    pct = statistics.quantiles(latencies, n=100)
    check = (
        "from agenda.models import Session; from registrations.models import Registration;"
        "rows = Session.objects.with_seat_counts().select_related('room');"
        "print(sum(1 for s in rows if s.seat_limit is not None and s.confirmed_count > s.seat_limit),"
        " Registration.objects.count(),"
        " [(s.slug, s.confirmed_count, s.waitlisted_count, s.seat_limit) for s in rows if s.registrable])"
    )
    out = subprocess.run([PYTHON, "manage.py", "shell", "-c", check], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()[-1]
    oversold, saved, per_session = out.split(" ", 2)
    print(f"sign-ups: {len(results)} sent, {args.concurrency} at a time, gunicorn {args.workers} workers")
    print(f"throughput: {len(results) / elapsed:.1f} sign-ups/s over {elapsed:.1f} s (form GET + POST each)")
    print(f"this load generator itself used {client_cpu:.1f} s of CPU ({client_cpu / elapsed:.0%} of one core)")
    print(f"POST latency: p50 {pct[49] * 1000:.0f} ms, p95 {pct[94] * 1000:.0f} ms, p99 {pct[98] * 1000:.0f} ms")
    print(f"responses: {ok} redirected (saved), {errors} server errors, {other} other")
    print(f"sessions oversold: {oversold}")
    print(f"registrations in the database: {saved}; successful responses: {ok}; lost: {ok - int(saved)}")
    print(f"per session (slug, confirmed, waitlisted, seats): {per_session}")
    failed = int(oversold) or errors or other or int(saved) != ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
