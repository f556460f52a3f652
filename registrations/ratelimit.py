"""Fixed-window limits on POSTs, counted in the cache (Redis in production, so every web process
shares the counts): per client address, and per email address typed into the form.

Per client address alone would lock out an institution whose people all reach us through one
address (a proxy, a NAT), or let one client fill someone's inbox slowly; so the limit per client
address is generous, and the limit per submitted email address tight: nobody needs many tries
for one address."""
import hashlib

from django.conf import settings
from django.core.cache import cache, caches


def client_address(request):
    # Behind a reverse proxy REMOTE_ADDR is the proxy's own address; then the last address in
    # X-Forwarded-For is the one our proxy saw (earlier ones are the client's to forge).
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.RATE_LIMIT_TRUST_X_FORWARDED_FOR and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def exceeded(request, scope, email=""):
    """Counts this POST for its client address and, if one was submitted, its email address;
    True when either is over its limit for the window."""
    over_for_address = (
        count_hit(f"ratelimit:{scope}:address:{client_address(request)}") > settings.RATE_LIMIT_POSTS_PER_ADDRESS
    )
    over_for_email = bool(email.strip()) and (
        count_hit(f"ratelimit:{scope}:email:{email_key(email)}") > settings.RATE_LIMIT_POSTS_PER_EMAIL
    )
    return over_for_address or over_for_email


def email_key(email):
    # Hashed: no address in the cache's key names (anyone listing Redis keys would read them),
    # and a key of fixed length and characters whatever was typed. Any letter case counts as one
    # address, as it does for registrations.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


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
