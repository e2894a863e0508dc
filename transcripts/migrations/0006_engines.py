from django.db import migrations, models


class Migration(migrations.Migration):
    """The language of each job. Jobs from before were all English (the one
    CTC model), so existing rows get "en"; new jobs get what they ask for."""

    dependencies = [
        ("transcripts", "0005_scaleout"),
    ]

    operations = [
        migrations.AddField(
            model_name="transcription",
            name="requested_language",
            field=models.CharField(
                blank=True, default="en", help_text="The language asked for; empty: the model detects it.", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="transcription",
            name="language",
            field=models.CharField(blank=True, default="en", max_length=16),
        ),
        migrations.AddField(
            model_name="transcription",
            name="language_probability",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="transcription",
            name="model_name",
            field=models.CharField(help_text="The offered model that runs the job (STT_MODELS).", max_length=255),
        ),
    ]
