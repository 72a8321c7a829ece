"""Handing work to the Celery worker from a request, without ever failing the request.

Every task enqueued from here has a periodic sweep that finds its work in the database (the
signers' outbox, the counting flags, queued deliveries, unsent announcements), so a message lost
to a broker outage or a Redis restart delays the work; it never loses it. That is why a failed
publish is logged and swallowed instead of turning a recorded signature into an error page.
"""

import logging
import time

from django.core.cache import cache
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# One quick retry covers a pooled broker connection that died (Redis restarted); more would only
# make a supporter wait while the broker is down.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}
# A kick whose task was lost (Redis restarted) stops blocking new kicks after this long.
KICK_TTL = 30


def enqueue(task, *args, countdown=None):
    """Send `task` now; False (and a log line) when the broker cannot be reached."""
    try:
        task.apply_async(args, countdown=countdown, retry=True, retry_policy=PUBLISH_RETRY)
    except (OperationalError, RedisError, OSError) as error:
        logger.warning("Broker unavailable (%s): %s not queued; its periodic sweep will pick the work up",
                       type(error).__name__, task.name)
        return False
    return True


def enqueue_on_commit(task, *args, countdown=None):
    """Send `task` once the current transaction commits (the row it needs is then visible)."""
    transaction.on_commit(lambda: enqueue(task, *args, countdown=countdown))


def kick(task, key, countdown):
    """Have `task` run soon, once for everything committed until it starts.

    After this transaction commits, the first caller enqueues it (to run after `countdown`
    seconds, so that work arriving meanwhile is done by the same run); later callers find the key
    and do nothing. The task calls `started(key)` before it looks for work.

    Ordering matters: the key is checked only after our commit. A caller that still finds the
    key has committed before the task deleted it, so the task's query (which comes after the
    delete) sees its row; a caller that commits later finds no key and kicks a new run. Nothing
    falls between two runs, and under a surge thousands of signatures share one task.

    The key holds the time the queued run will start (now + countdown). A process that has seen
    it skips the round trip to Redis until shortly before then: that run starts after this
    commit whatever else happens meanwhile (a sweep's run deleting the key included), so its
    query sees our rows.

    In a backlog -- the queued run is overdue because the workers are busy (or stopped) -- a
    process asks Redis at most every BACKLOG_RECHECK seconds instead of at every call. A row
    committed in between may just miss the overdue run if it starts meanwhile; it is then done by
    the next run: the next kick's, a following run of a busy task (a drain that finds more work
    queues another), or at worst the periodic sweep. Later, never lost: the work is in the
    database. Under a surge with the workers behind, that spares each signature and each
    confirmation a round trip to Redis (bench/README.md, fifth round).
    """
    transaction.on_commit(lambda: _kick(task, key, countdown))


# key -> until when this process need not ask Redis (a queued run starts later; or it is overdue).
_quiet_until = {}
# Clocks of the web and worker machines may differ by this much.
CLOCK_MARGIN = 0.1
# Seconds between a process's round trips while the queued run is overdue.
BACKLOG_RECHECK = 0.25


def _kick(task, key, countdown):
    now = time.time()
    if now < _quiet_until.get(key, 0):
        # A run is queued to start after this moment, so after our commit: its query will see
        # our rows (or it is overdue, see kick()). Under a surge this spares all but a few kicks
        # a second their round trip.
        return
    eta = now + countdown
    client = cache.redis_client() if hasattr(cache, "redis_client") else None
    if client is None:
        if cache.add(key, 1, timeout=KICK_TTL) and not enqueue(task, countdown=countdown):
            cache.delete(key)  # let the next caller try again
        return
    name = cache.make_key(key)
    try:
        # Set the key if it is not there, and read what was: the start time of the queued run.
        queued = client.set(name, repr(eta), nx=True, ex=KICK_TTL, get=True)
    except RedisError as error:
        logger.warning("Redis unavailable (%s): %s not kicked; its periodic sweep will pick the work up",
                       type(error).__name__, task.name)
        return
    if queued is None:  # ours to queue
        if not enqueue(task, countdown=countdown):
            client.delete(name)  # let the next caller try again
            return
        if task.app.conf.task_always_eager:  # the run has already happened (tests): no hint
            return
        queued = eta
    try:
        start = float(queued)
    except ValueError:  # not a start time (set by hand, or by an older release): no hint
        return
    if start - CLOCK_MARGIN > now:
        _quiet_until[key] = start - CLOCK_MARGIN  # that run starts after our commit
    else:
        _quiet_until[key] = now + BACKLOG_RECHECK  # overdue: the workers are behind (see kick())


def started(key):
    cache.delete(key)
