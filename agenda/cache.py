"""What is cached for SEAT_COUNTS_MAX_AGE seconds (agenda pages, the sign-up form, the event and
its bookable sessions) is stored with the agenda version it was made from; an organiser's change
bumps that version, so the next request builds afresh instead of waiting for the timeout."""
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

VERSION_KEY = "agenda:version"


def agenda_version():
    return cache.get_or_set(VERSION_KEY, 1, timeout=None)


def agenda_changed():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not in the cache (evicted, or a fresh Redis)
        cache.set(VERSION_KEY, 2, timeout=None)


def cached_until_agenda_changes(key, build):
    """build()'s value, at most SEAT_COUNTS_MAX_AGE seconds old and never older than the last
    change to the programme. A hit costs one cache round trip: the value and the version are
    read together. Each language has its own copy: pages and forms carry the words of the one
    they were made in."""
    key = f"{key}:{translation.get_language()}"
    found = cache.get_many([key, VERSION_KEY])
    version = found.get(VERSION_KEY) or agenda_version()
    cached_version, value = found.get(key, (None, None))
    if cached_version != version:
        value = build()
        cache.set(key, (version, value), timeout=settings.SEAT_COUNTS_MAX_AGE)
    return value
