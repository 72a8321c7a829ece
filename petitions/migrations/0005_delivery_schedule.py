from django.db import migrations


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if not PeriodicTask.objects.filter(name="Run deliveries").exists():
        interval, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
        PeriodicTask.objects.create(name="Run deliveries", task="petitions.tasks.run_deliveries", interval=interval)


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="Run deliveries").delete()


class Migration(migrations.Migration):
    dependencies = [("petitions", "0004_delivery_private_letters")]

    operations = [migrations.RunPython(install, uninstall)]
