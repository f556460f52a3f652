"""Site-wide views: the health check, the CSRF failure page, the benchmarks' ceiling."""
from concurrent.futures import ThreadPoolExecutor, wait

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

HEALTH_TIMEOUT = 0.75  # seconds: a load balancer must get its answer within one, with room to spare
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


def check_database():
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connections.close_all()  # this thread's own connection: do not keep it
    return "ok"


def check_broker():
    if not settings.CELERY_BROKER_URL:
        return "none (tasks run in-process)"
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=HEALTH_TIMEOUT,
                                  socket_connect_timeout=HEALTH_TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def healthz(request):
    """200 when the database answers, 503 otherwise, in under a second: each check runs in a
    thread, and one that has not answered in time counts as down. The body names the broker's
    state too, but a broker that is down does not fail the check: the outbox keeps every email
    until it is back, and a load balancer pulling every web node for it would stop sign-ups.
    Monitoring that wants to hear of the broker asks /healthz?strict=1 (503 if anything is down)."""
    futures = {"database": _checks.submit(check_database), "broker": _checks.submit(check_broker)}
    wait(futures.values(), timeout=HEALTH_TIMEOUT)
    report = {}
    for name, future in futures.items():
        if not future.done():
            report[name] = "error: no answer in time"
        elif future.exception():
            report[name] = f"error: {type(future.exception()).__name__}"
        else:
            report[name] = future.result()
    needed = report if request.GET.get("strict") else {"database": report["database"]}
    healthy = all(not value.startswith("error") for value in needed.values())
    return JsonResponse(report, status=200 if healthy else 503)


def csrf_failure(request, reason=""):
    """A 403 in the site's look when a form comes without its CSRF token (nothing is saved)."""
    return render(request, "403_csrf.html", status=403)


def ceiling(request):
    """The cheapest response Django can give: the benchmarks' ceiling (BENCH_CEILING_VIEW=1)."""
    return HttpResponse("ok", content_type="text/plain")
