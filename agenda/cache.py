"""The agenda page is cached for SEAT_COUNTS_MAX_AGE seconds; an organiser's change bumps a
version number that is part of every cache key, so the next request renders afresh."""
from django.core.cache import cache

VERSION_KEY = "agenda:version"


def agenda_version():
    return cache.get_or_set(VERSION_KEY, 1, timeout=None)


def agenda_changed():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not in the cache (evicted, or a fresh Redis)
        cache.set(VERSION_KEY, 2, timeout=None)
