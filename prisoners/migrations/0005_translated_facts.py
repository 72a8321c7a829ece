"""Translation columns for facts the public pages showed in English whatever the language.

The value a row holds already is English (the default language): it is copied into the new `_en`
column, as modeltranslation's `update_translation_fields` would, so nothing a page shows changes
until someone fills in a translation. Going back drops the new columns; the original ones were
never changed.
"""

from django.db import migrations, models

#: model -> its newly translated fields.
NEWLY_TRANSLATED = {
    "detentionfacility": ("name",),
    "codearticle": ("title", "max_sentence"),
    "prisoner": ("city",),
    "criminalcase": ("investigating_body", "city"),
    "defendant": ("notes",),
    "caseevent": ("source_title",),
}


def keep_existing_values_in_english(apps, schema_editor):
    for model_name, fields in NEWLY_TRANSLATED.items():
        model = apps.get_model("prisoners", model_name)
        model.objects.update(**{f"{name}_en": models.F(name) for name in fields})


class Migration(migrations.Migration):

    dependencies = [
        ('prisoners', '0004_prisoner_status_accused'),
    ]

    operations = [
        migrations.AddField(
            model_name='caseevent',
            name='source_title_en',
            field=models.CharField(blank=True, max_length=200, null=True, verbose_name='source title'),
        ),
        migrations.AddField(
            model_name='caseevent',
            name='source_title_fr',
            field=models.CharField(blank=True, max_length=200, null=True, verbose_name='source title'),
        ),
        migrations.AddField(
            model_name='caseevent',
            name='source_title_ru',
            field=models.CharField(blank=True, max_length=200, null=True, verbose_name='source title'),
        ),
        migrations.AddField(
            model_name='caseevent',
            name='source_title_uk',
            field=models.CharField(blank=True, max_length=200, null=True, verbose_name='source title'),
        ),
        migrations.AddField(
            model_name='codearticle',
            name='max_sentence_en',
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name='maximum sentence'),
        ),
        migrations.AddField(
            model_name='codearticle',
            name='max_sentence_fr',
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name='maximum sentence'),
        ),
        migrations.AddField(
            model_name='codearticle',
            name='max_sentence_ru',
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name='maximum sentence'),
        ),
        migrations.AddField(
            model_name='codearticle',
            name='max_sentence_uk',
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name='maximum sentence'),
        ),
        migrations.AddField(
            model_name='codearticle',
            name='title_en',
            field=models.CharField(help_text='What the article punishes, in plain words.', max_length=300, null=True, verbose_name='title'),
        ),
        migrations.AddField(
            model_name='codearticle',
            name='title_fr',
            field=models.CharField(help_text='What the article punishes, in plain words.', max_length=300, null=True, verbose_name='title'),
        ),
        migrations.AddField(
            model_name='codearticle',
            name='title_ru',
            field=models.CharField(help_text='What the article punishes, in plain words.', max_length=300, null=True, verbose_name='title'),
        ),
        migrations.AddField(
            model_name='codearticle',
            name='title_uk',
            field=models.CharField(help_text='What the article punishes, in plain words.', max_length=300, null=True, verbose_name='title'),
        ),
        migrations.AddField(
            model_name='criminalcase',
            name='city_en',
            field=models.CharField(blank=True, help_text='Where it is investigated or tried.', max_length=100, null=True, verbose_name='city'),
        ),
        migrations.AddField(
            model_name='criminalcase',
            name='city_fr',
            field=models.CharField(blank=True, help_text='Where it is investigated or tried.', max_length=100, null=True, verbose_name='city'),
        ),
        migrations.AddField(
            model_name='criminalcase',
            name='city_ru',
            field=models.CharField(blank=True, help_text='Where it is investigated or tried.', max_length=100, null=True, verbose_name='city'),
        ),
        migrations.AddField(
            model_name='criminalcase',
            name='city_uk',
            field=models.CharField(blank=True, help_text='Where it is investigated or tried.', max_length=100, null=True, verbose_name='city'),
        ),
        migrations.AddField(
            model_name='criminalcase',
            name='investigating_body_en',
            field=models.CharField(blank=True, help_text='e.g. FSB, Investigative Committee', max_length=200, null=True, verbose_name='investigating body'),
        ),
        migrations.AddField(
            model_name='criminalcase',
            name='investigating_body_fr',
            field=models.CharField(blank=True, help_text='e.g. FSB, Investigative Committee', max_length=200, null=True, verbose_name='investigating body'),
        ),
        migrations.AddField(
            model_name='criminalcase',
            name='investigating_body_ru',
            field=models.CharField(blank=True, help_text='e.g. FSB, Investigative Committee', max_length=200, null=True, verbose_name='investigating body'),
        ),
        migrations.AddField(
            model_name='criminalcase',
            name='investigating_body_uk',
            field=models.CharField(blank=True, help_text='e.g. FSB, Investigative Committee', max_length=200, null=True, verbose_name='investigating body'),
        ),
        migrations.AddField(
            model_name='defendant',
            name='notes_en',
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name='notes'),
        ),
        migrations.AddField(
            model_name='defendant',
            name='notes_fr',
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name='notes'),
        ),
        migrations.AddField(
            model_name='defendant',
            name='notes_ru',
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name='notes'),
        ),
        migrations.AddField(
            model_name='defendant',
            name='notes_uk',
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name='notes'),
        ),
        migrations.AddField(
            model_name='detentionfacility',
            name='name_en',
            field=models.CharField(max_length=200, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='detentionfacility',
            name='name_fr',
            field=models.CharField(max_length=200, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='detentionfacility',
            name='name_ru',
            field=models.CharField(max_length=200, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='detentionfacility',
            name='name_uk',
            field=models.CharField(max_length=200, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='prisoner',
            name='city_en',
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name='home city'),
        ),
        migrations.AddField(
            model_name='prisoner',
            name='city_fr',
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name='home city'),
        ),
        migrations.AddField(
            model_name='prisoner',
            name='city_ru',
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name='home city'),
        ),
        migrations.AddField(
            model_name='prisoner',
            name='city_uk',
            field=models.CharField(blank=True, max_length=100, null=True, verbose_name='home city'),
        ),
        migrations.RunPython(keep_existing_values_in_english, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='detentionfacility',
            constraint=models.UniqueConstraint(fields=('name_en', 'city'), name='detentionfacility_unique_name_city-en'),
        ),
        migrations.AddConstraint(
            model_name='detentionfacility',
            constraint=models.UniqueConstraint(fields=('name_uk', 'city'), name='detentionfacility_unique_name_city-uk'),
        ),
        migrations.AddConstraint(
            model_name='detentionfacility',
            constraint=models.UniqueConstraint(fields=('name_ru', 'city'), name='detentionfacility_unique_name_city-ru'),
        ),
        migrations.AddConstraint(
            model_name='detentionfacility',
            constraint=models.UniqueConstraint(fields=('name_fr', 'city'), name='detentionfacility_unique_name_city-fr'),
        ),
    ]
