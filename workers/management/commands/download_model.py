"""manage.py download_model: fetch the speech model once, for workers that run offline."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transcripts import offered_models


class Command(BaseCommand):
    help = (
        "Download a speech model (an offered model by name, or STT_MODEL) into the Hugging Face cache, or with "
        "--to into a folder that the model's source can then name."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--model", default=None, help="an offered model's name (STT_MODELS) or a CTC hub id (default: STT_MODEL)"
        )
        parser.add_argument("--to", default=None, metavar="FOLDER", help="also save the model into FOLDER")

    def handle(self, *args, **options):
        offered = offered_models.find_model(options["model"] or "")
        if offered is not None and offered.engine == "whisper":
            return self.download_whisper(offered.source, options["to"])
        self.download_ctc(offered.source if offered else options["model"] or settings.STT_MODEL, options["to"])

    def download_whisper(self, source, folder):
        from faster_whisper.utils import download_model

        try:
            path = download_model(source, output_dir=folder)
        except Exception as exc:  # network, hub and name errors: one line for the operator
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"Could not download {source!r}: {reason}") from None
        self.stdout.write(f"Whisper model {source} is in {path}; its entry in STT_MODELS may name that folder.")

    def download_ctc(self, model_name, folder):
        from transformers import AutoModelForCTC, Wav2Vec2Processor

        try:
            processor = Wav2Vec2Processor.from_pretrained(model_name)
            model = AutoModelForCTC.from_pretrained(model_name)
        except Exception as exc:  # network, hub and format errors: one line for the operator
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"Could not download {model_name!r}: {reason}") from None
        if folder:
            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            model.save_pretrained(folder)
            processor.save_pretrained(folder)
            self.stdout.write(f"Saved {model_name} to {folder}. Set STT_MODEL={folder.resolve()}")
        else:
            self.stdout.write(f"{model_name} is in the Hugging Face cache; workers can now load it offline.")
