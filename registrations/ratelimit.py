"""A fixed-window limit on POSTs per client address, counted in the cache (Redis in
production, so every web process shares the count)."""
from django.conf import settings
from django.core.cache import cache


def client_address(request):
    # REMOTE_ADDR is the proxy's address behind a reverse proxy; gunicorn's
    # --forwarded-allow-ips makes it the client's again (see README, "Running for real").
    return request.META.get("REMOTE_ADDR", "unknown")


def exceeded(request, scope):
    key = f"ratelimit:{scope}:{client_address(request)}"
    cache.add(key, 0, timeout=settings.RATE_LIMIT_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: a new window starts
        cache.set(key, 1, timeout=settings.RATE_LIMIT_WINDOW)
        count = 1
    return count > settings.RATE_LIMIT_POSTS
