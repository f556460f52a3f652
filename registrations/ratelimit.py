"""A fixed-window limit on POSTs per client address, counted in the cache (Redis in
production, so every web process shares the count)."""
from django.conf import settings
from django.core.cache import cache


def client_address(request):
    # Behind a reverse proxy REMOTE_ADDR is the proxy's own address; then the last address in
    # X-Forwarded-For is the one our proxy saw (earlier ones are the client's to forge).
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.RATE_LIMIT_TRUST_X_FORWARDED_FOR and forwarded:
        return forwarded.split(",")[-1].strip()
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
