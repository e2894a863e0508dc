from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("transcripts", "0004_worker_deaths"),
    ]

    operations = [
        migrations.AddField(
            model_name="media",
            name="sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="transcription",
            name="worker",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="transcription",
            name="chunk_plan",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="transcription",
            name="chunk_plan_key",
            field=models.CharField(blank=True, max_length=64),
        ),
    ]
