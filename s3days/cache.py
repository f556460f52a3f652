"""The cache backend for production: Django's Redis cache, made to survive a Redis outage.

Everything cached here can be rebuilt from PostgreSQL, so when Redis fails (refuses, hangs,
is full, read-only...) a read is a miss and a write is skipped, with a warning in the log:
pages get slower for a while, but a participant's sign-up never fails because of the cache.
After a failure Redis is left alone for SKIP_AFTER_FAILURE seconds, so that a Redis that
hangs costs one timeout per process, not one per cache call.
"""
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

from s3days.breaker import Breaker

SKIP_AFTER_FAILURE = 5  # seconds


def when_redis_fails(name, otherwise):
    """Django's RedisCacheClient.<name>, answering otherwise(*args) when Redis fails."""
    parent = getattr(RedisCacheClient, name)

    def method(self, *args):
        return self.attempt(lambda: parent(self, *args), otherwise(*args))

    return method


class ForgivingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self.breaker = Breaker("cache: Redis", rest=SKIP_AFTER_FAILURE)

    def get_client(self, key=None, *, write=False):
        # One redis.Redis per connection pool, where Django makes a new one for every call:
        # building one costs more than the round trip it makes. It is thread-safe.
        pool = self._get_connection_pool(write)
        if id(pool) not in self._clients:
            self._clients[id(pool)] = self._client(connection_pool=pool)
        return self._clients[id(pool)]

    def attempt(self, call, otherwise):
        """call() if Redis is usable, else (or if it fails now) `otherwise`."""
        if self.breaker.is_open:
            return otherwise
        try:
            return call()
        except RedisError as error:
            self.breaker.failed(error)
            return otherwise

    # What each call returns when Redis fails: a miss, "not stored", nothing.
    get = when_redis_fails("get", lambda key, default: default)
    get_many = when_redis_fails("get_many", lambda keys: {})
    has_key = when_redis_fails("has_key", lambda key: False)
    add = when_redis_fails("add", lambda key, value, timeout: False)
    set = when_redis_fails("set", lambda key, value, timeout: None)
    set_many = when_redis_fails("set_many", lambda data, timeout: None)
    touch = when_redis_fails("touch", lambda key, timeout: False)
    delete = when_redis_fails("delete", lambda key: False)
    delete_many = when_redis_fails("delete_many", lambda keys: None)

    def incr(self, key, delta):
        missing = object()
        value = self.attempt(lambda: super(ForgivingRedisCacheClient, self).incr(key, delta), missing)
        if value is missing:  # as if the key were not there: callers of incr() handle that
            raise ValueError(f"Key '{key}' not found (Redis unavailable).")
        return value

    def count_in_window(self, key, window):
        """Adds one to the counter `key`, which lasts `window` seconds from its first hit, and
        returns it; 0 when Redis fails. One round trip, atomic: a counter can never be left
        without its expiry (which would block its client for good)."""
        client = self.get_client(key, write=True)
        return self.attempt(lambda: int(client.eval(COUNT_IN_WINDOW, 1, key, window)), 0)


# INCR, then EXPIRE if the key has none: as a script, so nothing runs in between.
COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class ForgivingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ForgivingRedisCacheClient

    def count_in_window(self, key, window):
        return self._cache.count_in_window(self.make_and_validate_key(key), window)
