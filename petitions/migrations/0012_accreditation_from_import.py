from django.db import migrations, models


class Migration(migrations.Migration):
    """Existing accreditations are taken as imported: until now the importer replaced them all with
    each file's, so that is what they were (one added by hand was already lost at each import)."""

    dependencies = [
        ("petitions", "0011_forget_erased_signers_in_admin_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="accreditation",
            name="from_import",
            field=models.BooleanField(default=True, editable=False),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="accreditation",
            name="from_import",
            field=models.BooleanField(
                default=False, editable=False,
                help_text="Accreditations added by hand are kept when a newer directory is imported.",
                verbose_name="from the imported directory",
            ),
        ),
    ]
