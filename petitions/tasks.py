from celery import shared_task

from . import counting


@shared_task(acks_late=True)
def update_signature_counts():
    """Every few seconds (beat): fold new confirmations into the petitions' counts."""
    changes = counting.update_counts()
    return {str(pk): change for pk, change in changes.items()}


@shared_task(acks_late=True)
def recount_signatures():
    """Nightly (beat): recount every petition from its signatures and repair drift."""
    repaired = counting.recount()
    return {str(pk): now for pk, (_was, now) in repaired.items()}
