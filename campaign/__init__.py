# The Celery app is loaded with Django so that @shared_task binds to it and
# Task.delay_on_commit is available everywhere.
from .celery import app as celery_app

__all__ = ("celery_app",)
