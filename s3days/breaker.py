"""A circuit breaker for the services a request can do without: the cache and the broker.

After a failure the service is left alone for `rest` seconds, so one that is down or hangs
costs one timeout per process and rest period, not one per request. Thread-safe enough: at
worst two threads both try a service that has just failed."""
import logging
import time

log = logging.getLogger(__name__)


class Breaker:
    def __init__(self, name, rest):
        self.name, self.rest = name, rest
        self._closed_again_at = 0.0

    @property
    def is_open(self):
        """True while the service is being left alone."""
        return time.monotonic() < self._closed_again_at

    def reset(self):
        """Uses the service again at the next call."""
        self._closed_again_at = 0.0

    def failed(self, error):
        self._closed_again_at = time.monotonic() + self.rest
        log.warning("%s failed (%s); going without it for %s s", self.name, error, self.rest)
