"""The signers' outbox on the signature row, and the periodic sweeps that send what is owed."""

from django.db import migrations, models

SCHEDULES = [
    # (name, task, every n seconds)
    ("Send signers' emails (outbox sweep)", "petitions.tasks.send_signer_emails", 10),
    ("Resume unsent announcements", "petitions.tasks.resume_announcements", 300),
]


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every in SCHEDULES:
        if not PeriodicTask.objects.filter(name=name).exists():
            interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
            PeriodicTask.objects.create(name=name, task=task, interval=interval)


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _task, _every in SCHEDULES]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('petitions', '0008_announcements'),
    ]

    operations = [
        migrations.AddField(
            model_name='signature',
            name='email_attempts',
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='signature',
            name='email_due',
            field=models.CharField(blank=True, choices=[('', 'Nothing'), ('confirm', 'Confirmation link'), ('already_signed', 'Already signed')], default='', editable=False, max_length=20),
        ),
        migrations.AddField(
            model_name='signature',
            name='email_not_before',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name='signature',
            index=models.Index(condition=models.Q(('email_due', ''), _negated=True), fields=['id'], name='signature_email_due'),
        ),
        migrations.RunPython(install, uninstall),
    ]
