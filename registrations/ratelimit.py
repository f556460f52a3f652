"""A fixed-window limit on POSTs per client address, counted in the cache (Redis in
production, so every web process shares the count)."""
from django.conf import settings
from django.core.cache import cache, caches


def client_address(request):
    # Behind a reverse proxy REMOTE_ADDR is the proxy's own address; then the last address in
    # X-Forwarded-For is the one our proxy saw (earlier ones are the client's to forge).
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.RATE_LIMIT_TRUST_X_FORWARDED_FOR and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def exceeded(request, scope):
    return count_hit(f"ratelimit:{scope}:{client_address(request)}") > settings.RATE_LIMIT_POSTS


def count_hit(key):
    """Counts one more POST in the key's window; returns the window's count so far."""
    window = settings.RATE_LIMIT_WINDOW
    backend = caches["default"]  # `cache` is only a proxy to it
    if hasattr(backend, "count_in_window"):  # Redis (s3days/cache.py): one round trip
        return backend.count_in_window(key, window)
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr: a new window starts
        cache.set(key, 1, timeout=window)
        return 1
