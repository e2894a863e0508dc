"""manage.py download_model: fetch the speech model once, for workers that run offline."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Download the speech model (STT_MODEL) into the Hugging Face cache, or with --to into a folder "
        "that STT_MODEL can then point at."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", default=None, help="hub id (default: STT_MODEL)")
        parser.add_argument("--to", default=None, metavar="FOLDER", help="also save the model into FOLDER")

    def handle(self, *args, **options):
        from transformers import AutoModelForCTC, Wav2Vec2Processor

        model_name = options["model"] or settings.STT_MODEL
        try:
            processor = Wav2Vec2Processor.from_pretrained(model_name)
            model = AutoModelForCTC.from_pretrained(model_name)
        except Exception as exc:  # network, hub and format errors: one line for the operator
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"Could not download {model_name!r}: {reason}") from None
        if options["to"]:
            folder = Path(options["to"])
            folder.mkdir(parents=True, exist_ok=True)
            model.save_pretrained(folder)
            processor.save_pretrained(folder)
            self.stdout.write(f"Saved {model_name} to {folder}. Set STT_MODEL={folder.resolve()}")
        else:
            self.stdout.write(f"{model_name} is in the Hugging Face cache; workers can now load it offline.")
