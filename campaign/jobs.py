"""Handing work to the Celery worker from a request, without ever failing the request.

Every task enqueued from here has a periodic sweep that finds its work in the database (the
signers' outbox, the counting flags, queued deliveries, unsent announcements), so a message lost
to a broker outage or a Redis restart delays the work; it never loses it. That is why a failed
publish is logged and swallowed instead of turning a recorded signature into an error page.
"""

import logging

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
    """
    transaction.on_commit(lambda: _kick(task, key, countdown))


def _kick(task, key, countdown):
    if cache.add(key, 1, timeout=KICK_TTL) and not enqueue(task, countdown=countdown):
        cache.delete(key)  # let the next caller try again


def started(key):
    cache.delete(key)
