"""The cache backend for production: Django's Redis cache, made to survive a Redis outage.

Everything cached here can be rebuilt from PostgreSQL, so when Redis does not answer, a read is
a miss and a write is skipped (with a warning in the log): pages get slower for a while, but a
participant's sign-up never fails because of the cache.
"""
import contextlib
import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


LOG_EVERY = 10  # seconds: an outage is logged, not every request during it
_last_logged = 0.0


@contextlib.contextmanager
def redis_down_is_a_miss():
    global _last_logged
    try:
        yield
    except REDIS_DOWN as error:
        if time.monotonic() - _last_logged > LOG_EVERY:
            _last_logged = time.monotonic()
            log.warning("cache: Redis unavailable (%s); carrying on without it", error)


class ForgivingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        # One redis.Redis per connection pool, where Django makes a new one for every call:
        # building one costs more than the round trip it makes. It is thread-safe.
        pool = self._get_connection_pool(write)
        if id(pool) not in self._clients:
            self._clients[id(pool)] = self._client(connection_pool=pool)
        return self._clients[id(pool)]

    def get(self, key, default):
        with redis_down_is_a_miss():
            return super().get(key, default)
        return default

    def get_many(self, keys):
        with redis_down_is_a_miss():
            return super().get_many(keys)
        return {}

    def has_key(self, key):
        with redis_down_is_a_miss():
            return super().has_key(key)
        return False

    def add(self, key, value, timeout):
        with redis_down_is_a_miss():
            return super().add(key, value, timeout)
        return False

    def incr(self, key, delta):
        with redis_down_is_a_miss():
            return super().incr(key, delta)
        raise ValueError(f"Key '{key}' not found (Redis unavailable).")

    def set(self, key, value, timeout):
        with redis_down_is_a_miss():
            super().set(key, value, timeout)

    def set_many(self, data, timeout):
        with redis_down_is_a_miss():
            super().set_many(data, timeout)

    def touch(self, key, timeout):
        with redis_down_is_a_miss():
            return super().touch(key, timeout)
        return False

    def delete(self, key):
        with redis_down_is_a_miss():
            return super().delete(key)
        return False

    def delete_many(self, keys):
        with redis_down_is_a_miss():
            super().delete_many(keys)


class ForgivingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ForgivingRedisCacheClient
