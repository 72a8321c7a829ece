"""Django's PostgreSQL backend, with a cheaper health check.

With CONN_HEALTH_CHECKS (settings: a connection that a Postgres restart ended must be replaced,
not used for a request that would then fail), Django sends `SELECT 1` at the start of every
request that uses the database. On this project's two-core machine that round trip cost a sign
POST as much as a tenth of its CPU, and under a surge a fifth of its time waiting (bench/README.md).

The check here asks the socket instead. A healthy idle connection has nothing to read; when the
server ends one (a restart, pg_terminate_backend, an idle timeout) its goodbye -- an error
message, then the end of the stream -- makes the socket readable. So: nothing to read, and
psycopg has seen no failure -> usable, without a query. Anything to read (that, or a message the
server may send unasked, such as a changed parameter) -> Django's own check, `SELECT 1`, decides.

What neither check can see is a connection that dies after it: the query then fails, as it would
have after `SELECT 1`, and Django closes the connection at the end of that request.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None:
            return False
        try:
            quiet = (
                connection.pgconn.status == pq.ConnStatus.OK
                and connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
                and not _readable(connection.fileno())
            )
        except (OSError, ValueError, base.Database.Error):  # closed meanwhile: no socket any more
            return False
        return quiet or super().is_usable()


def _readable(fd):
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))  # POLLHUP and POLLERR are always reported as well
