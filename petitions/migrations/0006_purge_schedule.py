from django.db import migrations


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if not PeriodicTask.objects.filter(name="Purge personal data").exists():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute="41", hour="4", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
        PeriodicTask.objects.create(
            name="Purge personal data", task="petitions.tasks.purge_personal_data", crontab=crontab
        )


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="Purge personal data").delete()


class Migration(migrations.Migration):
    dependencies = [("petitions", "0005_delivery_schedule")]

    operations = [migrations.RunPython(install, uninstall)]
