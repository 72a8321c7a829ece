"""Counting sign attempts per network and petition: the rate limits and moderation's burst flag.

Three fixed windows per (client address, petition), as the e-petitions site keeps them:

- burst: SIGN_RATE_BURST (10/m by default): beyond it, a friendly 429 page;
- sustained: SIGN_RATE_SUSTAINED (100/h): likewise, so a group signing together on one network
  is slowed, never shut out;
- network: moderation's window (petitions.moderation.BURST_SIZE signatures within BURST_WINDOW):
  beyond it a signature is flagged for an organiser's look, never refused.

(petitions.outbox counts the emails sent to each address here too, with `emails_to`.)

All three are counted in one round trip and one command (a small Lua script: INCR per window,
and EXPIRE when a window's counter is new; under a surge that is one network hop per signature
instead of the six of the django-ratelimit setup this replaced). Without Redis (make run, make
test) the same counts go through Django's cache.

The address is never part of a key: keys carry the day's keyed IP hash (petitions.signing.ip_hash),
which Redis cannot turn back into an address. When Redis cannot be reached the counts are unknown
and signing fails open, with a log line: refusing every supporter would be worse than a few
uncounted attempts.
"""

import functools
import hashlib
import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from . import moderation

logger = logging.getLogger(__name__)

RATE = re.compile(r"(\d+)/(\d*)([smhd])")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PREFIX = "limit"  # under the cache's KEY_PREFIX, so that it is cleared with the rest of the site's keys
FUDGE = 5  # seconds a counter outlives its window (clock skew between web processes)


def parse_rate(text):
    """'10/m' -> (10, 60); '5/10m' -> (5, 600)."""
    count, multiple, unit = RATE.fullmatch(text).groups()
    return int(count), int(multiple or 1) * UNITS[unit]


@dataclass(frozen=True)
class Window:
    name: str
    limit: int
    period: int  # seconds


def windows():
    return _windows(settings.SIGN_RATE_BURST, settings.SIGN_RATE_SUSTAINED, moderation.BURST_SIZE,
                    moderation.BURST_WINDOW)


@functools.lru_cache(maxsize=16)
def _windows(burst, sustained, burst_size, burst_window):
    # Made once per set of values rather than parsed again for every sign POST.
    return (
        Window("burst", *parse_rate(burst)),
        Window("sustained", *parse_rate(sustained)),
        Window("network", burst_size, int(burst_window.total_seconds())),
    )


@dataclass(frozen=True)
class Attempt:
    """One sign attempt, counted: `counts` is {window name: attempts so far, this one included},
    or None when they could not be counted."""

    counts: dict | None
    windows: tuple

    @property
    def limited(self):
        if self.counts is None:
            return False  # fail open
        return any(self.counts[w.name] > w.limit for w in self.windows if w.name != "network")

    @property
    def from_a_busy_network(self):
        """None when unknown: moderation then has no opinion on bursts."""
        if self.counts is None:
            return None
        return self.counts["network"] >= moderation.BURST_SIZE


def count_attempt(network, petition_slug, now=None):
    """Count an attempt from `network` (a keyed hash of the client address) on a petition."""
    now = time.time() if now is None else now
    current = windows()
    keys = [f"{PREFIX}:{w.name}:{int(now // w.period)}:{network}:{petition_slug}" for w in current]
    try:
        counts = increment(keys, [w.period + FUDGE for w in current])
    except (RedisError, ValueError) as error:
        logger.warning("Rate limiting unavailable (%s): request allowed without a limit", type(error).__name__)
        return Attempt(None, current)
    return Attempt(dict(zip((w.name for w in current), counts, strict=True)), current)


# Atomic in Redis: a counter gets its expiry in the same step that creates it.
COUNT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call("INCR", key)
  if counts[i] == 1 then redis.call("EXPIRE", key, ARGV[i]) end
end
return counts
"""
_script = None


def increment(keys, timeouts):
    """Add one to each counter (a key given twice, two), creating it with its timeout; returns the
    new counts. Raises RedisError (or ValueError, from Django's cache) when they cannot be counted."""
    global _script
    client = cache.redis_client() if hasattr(cache, "redis_client") else None
    if client is None:
        # Django's cache: add() then incr(), each atomic on its own (locmem holds a lock).
        for key, timeout in zip(keys, timeouts, strict=True):
            cache.add(key, 0, timeout)
        return [cache.incr(key) for key in keys]
    if _script is None:
        _script = client.register_script(COUNT_SCRIPT)  # EVALSHA; loads itself after a Redis restart
    make_key = cache.make_key  # once: each attribute of `cache` is looked up through a thread-local proxy
    return _script(keys=[make_key(key) for key in keys], args=timeouts, client=client)


def emails_to(addresses, now=None):
    """Count an email to each address (a keyed hash of it: Redis never holds one) in the window of
    SIGNER_EMAILS_PER_ADDRESS; returns the counts, this email included, or None when they could not
    be counted (then nothing is held back: see the module's docstring)."""
    limit, period = parse_rate(settings.SIGNER_EMAILS_PER_ADDRESS)
    window = int((time.time() if now is None else now) // period)
    secret = _address_key(settings.SECRET_KEY)
    keys = [f"{PREFIX}:mail:{window}:{_hashed(address, secret)}" for address in addresses]
    try:
        return increment(keys, [period + FUDGE] * len(keys))
    except (RedisError, ValueError) as error:
        logger.warning("Counting emails per address unavailable (%s): emails sent without the cap",
                       type(error).__name__)
        return None


def _hashed(address, key):
    return hashlib.blake2b(address.strip().lower().encode(), key=key, digest_size=16).hexdigest()


@functools.lru_cache(maxsize=2)
def _address_key(secret):
    # Keyed BLAKE2 is a MAC in one call: salted_hmac() for each address, with its key derived again
    # every time, cost a worker 10% more instructions per email (bench/ab.py --path emails).
    return hashlib.sha256(f"petitions.limits.emails_to{secret}".encode()).digest()
