"""The production cache (s3days.cache.ForgivingRedisCache) on a real Redis: the rate limit
counts there in one round trip, and a Redis outage costs speed, never a sign-up."""
import socket
import subprocess
import time

import pytest
import redis
from django.conf import settings as django_settings

from registrations.models import Registration
from tests.test_email_delivery import free_port
from tests.test_register import valid_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_server():
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield process, client
    process.terminate()
    process.wait(5)


@pytest.fixture
def redis_cache(settings, redis_server):
    """The project's production cache settings, on the throw-away Redis."""
    process, client = redis_server
    port = client.connection_pool.connection_kwargs["port"]
    settings.CACHES = {"default": {**settings.REDIS_CACHE, "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    return process, client


@pytest.fixture
def url(seeded):
    return f"/{seeded.slug}/register/"


def test_the_rate_limit_counts_in_redis_with_one_script_per_counter(client, url, seeded, settings, redis_cache):
    _, redis_client = redis_cache
    settings.RATE_LIMIT_POSTS_PER_ADDRESS = 2
    redis_client.config_resetstat()
    assert client.post(url, valid_data(seeded)).status_code == 302
    assert client.post(url, valid_data(seeded, email="second@example.org")).status_code == 302
    refused = client.post(url, valid_data(seeded, email="third@example.org"))
    assert refused.status_code == 429 and Registration.objects.count() == 2
    # Each POST: one script per counter, its address's and its email's (INCR, TTL, and EXPIRE for
    # a counter's first); nothing else touches the keys.
    calls = {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in redis_client.info("commandstats").items()}
    assert calls["eval"] == calls["incr"] == calls["ttl"] == 2 * 3 and calls["expire"] == 1 + 3
    assert "exists" not in calls and "incrby" not in calls  # what Django's cache.incr() would send
    [key] = redis_client.keys("*ratelimit:register:address:*")
    assert int(redis_client.get(key)) == 3 and 0 < redis_client.ttl(key) <= settings.RATE_LIMIT_WINDOW


def test_a_counter_that_lost_its_expiry_gets_it_back(client, url, seeded, settings, redis_cache):
    _, redis_client = redis_cache
    settings.RATE_LIMIT_POSTS_PER_ADDRESS = 100
    client.post(url, valid_data(seeded))
    [key] = redis_client.keys("*ratelimit:register:address:*")
    redis_client.persist(key)  # as if the process had died between INCR and EXPIRE
    client.post(url, valid_data(seeded, email="second@example.org"))
    assert 0 < redis_client.ttl(key) <= settings.RATE_LIMIT_WINDOW


def test_a_redis_outage_costs_no_sign_up(client, url, seeded, settings, redis_cache):
    settings.RATE_LIMIT_POSTS_PER_ADDRESS = 5
    process, _ = redis_cache
    assert client.get(url).status_code == 200  # the form and the event are now in Redis
    process.terminate()
    process.wait(5)
    started = time.monotonic()
    response = client.post(url, valid_data(seeded), follow=True)
    assert response.status_code == 200 and "Thank you, Ane" in response.content.decode()
    assert time.monotonic() - started < 2  # a refused connection fails fast, no retry loop
    assert Registration.objects.get().email == "ane@example.eus"
    for page in [url, f"/{seeded.slug}/", f"/{seeded.slug}/agenda/"]:
        assert client.get(page).status_code == 200
    for number in range(6):  # no count without Redis: nobody is turned away for it
        assert client.post(url, valid_data(seeded, email=f"p{number}@example.org")).status_code == 302


def test_a_full_redis_costs_no_sign_up(client, url, seeded, settings, redis_cache):
    _, redis_client = redis_cache
    redis_client.config_set("maxmemory", 1)  # every write now fails: OOM, noeviction
    redis_client.config_set("maxmemory-policy", "noeviction")
    response = client.post(url, valid_data(seeded), follow=True)
    assert response.status_code == 200 and "Thank you, Ane" in response.content.decode()
    assert Registration.objects.get().email == "ane@example.eus"


def test_a_redis_that_hangs_costs_one_timeout_not_one_per_cache_call(client, url, seeded, settings):
    # A socket that listens but never answers: connections complete, replies never come.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(100)
        settings.CACHES = {"default": {**settings.REDIS_CACHE, "LOCATION": f"redis://127.0.0.1:{silent.getsockname()[1]}/0"}}
        timeout = settings.REDIS_CACHE["OPTIONS"]["socket_timeout"]
        started = time.monotonic()
        response = client.post(url, valid_data(seeded), follow=True)
        elapsed = time.monotonic() - started
    assert response.status_code == 200 and Registration.objects.get().email == "ane@example.eus"
    # One wait for the first call; the next ones skip Redis (the POST alone makes a dozen).
    assert timeout <= elapsed < 3 * timeout, elapsed


def test_after_a_failure_redis_is_left_alone_for_a_while_then_used_again(settings, redis_cache, monkeypatch):
    from django.core.cache import cache

    from s3days import cache as forgiving

    monkeypatch.setattr(forgiving, "SKIP_AFTER_FAILURE", 0.5)
    _, redis_client = redis_cache
    redis_client.config_set("maxmemory-policy", "noeviction")
    redis_client.config_set("maxmemory", 1)
    cache.set("first", 1)  # refused: out of memory
    redis_client.config_set("maxmemory", 0)  # Redis is fine again...
    cache.set("second", 2)
    assert cache.get("second") is None  # ...but left alone for now
    time.sleep(0.6)
    cache.set("third", 3)
    assert cache.get("third") == 3 and cache.get("first") is None
