"""The admin's history of signatures erased before it was kept in step (petitions.signing.
forget_in_admin_history): their entries still named the signers. Data only; nothing to undo."""

from django.db import migrations
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat


def forget(apps, schema_editor):
    Signature = apps.get_model("petitions", "Signature")
    LogEntry = apps.get_model("admin", "LogEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="petitions", model="signature").first()
    if content_type is None:
        return  # a new database: no history yet
    erased = Signature.objects.filter(email="").annotate(text_id=Cast("pk", output_field=CharField()))
    LogEntry.objects.filter(content_type=content_type, object_id__in=erased.values("text_id")).update(
        object_repr=Concat(Value("Signature #"), F("object_id")), change_message=""
    )


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0010_signature_fewer_indexes"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
