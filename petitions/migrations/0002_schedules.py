"""Install the periodic tasks in django-celery-beat's tables, where organisers can edit them.

Created here rather than in CELERY_BEAT_SCHEDULE because the DatabaseScheduler rewrites entries
from that setting on every start, which would undo an organiser's change made in admin.
"""

from django.db import migrations

SCHEDULES = [
    # (name, task, interval seconds or None, crontab (minute, hour) or None)
    ("Update signature counts", "petitions.tasks.update_signature_counts", 5, None),
    ("Recount signatures (repair drift)", "petitions.tasks.recount_signatures", None, ("17", "3")),
]


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, cron in SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        if every is not None:
            interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
            PeriodicTask.objects.create(name=name, task=task, interval=interval)
        else:
            minute, hour = cron
            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*",
                timezone="UTC",
            )
            PeriodicTask.objects.create(name=name, task=task, crontab=crontab)


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
