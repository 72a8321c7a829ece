"""Translation columns for facts the public pages showed in English whatever the language.

The value a row holds already is English (the default language): it is copied into the new `_en`
column, as modeltranslation's `update_translation_fields` would, so nothing a page shows changes
until someone fills in a translation. Going back drops the new columns; the original ones were
never changed.
"""

from django.db import migrations, models

#: model -> its newly translated fields.
NEWLY_TRANSLATED = {
    "organisation": ("description",),
    "solidarityaction": ("place", "city"),
}


def keep_existing_values_in_english(apps, schema_editor):
    for model_name, fields in NEWLY_TRANSLATED.items():
        model = apps.get_model("campaign", model_name)
        model.objects.update(**{f"{name}_en": models.F(name) for name in fields})


class Migration(migrations.Migration):

    dependencies = [
        ('campaign', '0003_audit_log'),
    ]

    operations = [
        migrations.AddField(
            model_name='organisation',
            name='description_en',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='description_fr',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='description_ru',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='description_uk',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='solidarityaction',
            name='city_en',
            field=models.CharField(max_length=100, null=True, verbose_name='city'),
        ),
        migrations.AddField(
            model_name='solidarityaction',
            name='city_fr',
            field=models.CharField(max_length=100, null=True, verbose_name='city'),
        ),
        migrations.AddField(
            model_name='solidarityaction',
            name='city_ru',
            field=models.CharField(max_length=100, null=True, verbose_name='city'),
        ),
        migrations.AddField(
            model_name='solidarityaction',
            name='city_uk',
            field=models.CharField(max_length=100, null=True, verbose_name='city'),
        ),
        migrations.AddField(
            model_name='solidarityaction',
            name='place_en',
            field=models.CharField(help_text='e.g. Embassy of the Russian Federation', max_length=200, null=True, verbose_name='place'),
        ),
        migrations.AddField(
            model_name='solidarityaction',
            name='place_fr',
            field=models.CharField(help_text='e.g. Embassy of the Russian Federation', max_length=200, null=True, verbose_name='place'),
        ),
        migrations.AddField(
            model_name='solidarityaction',
            name='place_ru',
            field=models.CharField(help_text='e.g. Embassy of the Russian Federation', max_length=200, null=True, verbose_name='place'),
        ),
        migrations.AddField(
            model_name='solidarityaction',
            name='place_uk',
            field=models.CharField(help_text='e.g. Embassy of the Russian Federation', max_length=200, null=True, verbose_name='place'),
        ),
        migrations.RunPython(keep_existing_values_in_english, migrations.RunPython.noop),
    ]
