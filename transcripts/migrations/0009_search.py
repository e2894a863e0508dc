"""Search with an index (transcripts/search_words.py, search_index.py), and
the history's order read off one index."""

from django.db import migrations, models

BATCH = 2000


def fill_search_text(apps, schema_editor):
    from transcripts.search_words import search_text_of

    Segment = apps.get_model("transcripts", "Segment")
    batch = []
    for segment in Segment.objects.only("id", "text").iterator(chunk_size=BATCH):
        segment.search_text = search_text_of(segment.text)
        batch.append(segment)
        if len(batch) == BATCH:
            Segment.objects.bulk_update(batch, ["search_text"])
            batch = []
    Segment.objects.bulk_update(batch, ["search_text"])


def install_index(apps, schema_editor):
    from transcripts import search_index

    search_index.install(schema_editor.connection)


def uninstall_index(apps, schema_editor):
    from transcripts import search_index

    search_index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("transcripts", "0008_speakers"),
    ]

    operations = [
        migrations.AddField(
            model_name="segment",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(install_index, uninstall_index),
        migrations.RemoveIndex(
            model_name="transcription",
            name="transcripts_owner_i_079e61_idx",
        ),
        migrations.AddIndex(
            model_name="transcription",
            index=models.Index(fields=["owner", "-created_at", "-id"], name="transcription_history"),
        ),
    ]
