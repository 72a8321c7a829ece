"""Django's Redis cache, failing open: with Redis unreachable the site carries on as if every key
were missing, instead of answering supporters with errors.

What the cache holds here can all be lost: cached JSON and page parts are recomputed, rate-limit
counters fail open (settings.RATELIMIT_FAIL_OPEN; petitions.views logs it), and the kicks of
campaign.jobs give way to the periodic sweeps. One warning every few seconds per process says so,
rather than one per request during an outage.
"""

import functools
import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

WARN_EVERY = 10.0  # seconds
_last_warning = [0.0]


def _warn(operation, error):
    now = time.monotonic()
    if now - _last_warning[0] >= WARN_EVERY:
        _last_warning[0] = now
        logger.warning("Cache unavailable (%s in %s); carrying on without it", type(error).__name__, operation)


def _fail_open(answer):
    """Wrap a client method: on a Redis error, warn and return `answer` (or raise it, if an exception)."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                _warn(method.__name__, error)
                if isinstance(answer, type) and issubclass(answer, Exception):
                    raise answer("cache unavailable") from error
                return answer() if callable(answer) else answer

        return wrapper

    return decorate


class FailOpenRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        # Django builds a new redis.Redis object (and its ~170 response callbacks) for every
        # operation; one per connection pool is enough: redis.Redis is thread-safe over its pool.
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    add = _fail_open(False)(RedisCacheClient.add)
    set = _fail_open(None)(RedisCacheClient.set)
    touch = _fail_open(False)(RedisCacheClient.touch)
    delete = _fail_open(False)(RedisCacheClient.delete)
    get_many = _fail_open(dict)(RedisCacheClient.get_many)
    has_key = _fail_open(False)(RedisCacheClient.has_key)
    # A missing key is a ValueError for incr(); callers (django-ratelimit) already handle it.
    incr = _fail_open(ValueError)(RedisCacheClient.incr)
    set_many = _fail_open(None)(RedisCacheClient.set_many)
    delete_many = _fail_open(None)(RedisCacheClient.delete_many)
    clear = _fail_open(False)(RedisCacheClient.clear)

    def get(self, key, default):  # the answer is the caller's default, so not _fail_open
        try:
            return RedisCacheClient.get(self, key, default)
        except RedisError as error:
            _warn("get", error)
            return default


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient

    def redis_client(self):
        """The redis.Redis client, for a pipeline (petitions.limits); keys via make_key()."""
        return self._cache.get_client(write=True)


class ProcessMemoryCache(LocMemCache):
    """Django's local-memory cache without the pickling: values are kept and handed out as they are.

    caches["local"] keeps, for a second or two, what every request of a surge reads: the public
    petition, its rendered page, the public JSON. LocMemCache pickles each value on the way in and
    out (so a caller cannot change what others get); for the petition, with its texts in four
    languages, unpickling was the largest single cost of reading it. Here nothing is copied, so
    what is stored must be treated as read-only by everyone who gets it -- true of a rendered page,
    a JSON document, and a model instance read for display.
    """

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._set(key, value, timeout)
                return True
            return False

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                return default
            self._cache.move_to_end(key, last=False)
            return self._cache[key]

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            self._set(key, value, timeout)

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                raise ValueError(f"Key '{key}' not found")
            value = self._cache[key] + delta
            self._cache[key] = value
            self._cache.move_to_end(key, last=False)
        return value
