"""The signature table's names for the statements written once (petitions.signing, petitions.outbox)."""

from django.db import connection

from .models import Signature

TABLE = connection.ops.quote_name(Signature._meta.db_table)


def column(attname):
    """A Signature column's quoted name."""
    return connection.ops.quote_name(Signature._meta.get_field(attname).column)
