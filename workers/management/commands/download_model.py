"""manage.py download_model: fetch a model once, for workers that run offline:
the speech model, the punctuation model or the summary model."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transcripts import offered_models

# kind -> (the setting that names it, the transformers classes that load it)
KINDS = {
    "speech": ("STT_MODEL", "AutoModelForCTC", "Wav2Vec2Processor"),
    "punctuation": ("PUNCTUATION_MODEL", "AutoModelForTokenClassification", "AutoTokenizer"),
    "summary": ("SUMMARY_MODEL", "AutoModelForSeq2SeqLM", "AutoTokenizer"),
}


class Command(BaseCommand):
    help = (
        "Download a model into the Hugging Face cache, or with --to into a folder that its setting can then name: "
        "a speech model (an offered model by name, or STT_MODEL), or with --kind punctuation or summary "
        "PUNCTUATION_MODEL or SUMMARY_MODEL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=list(KINDS), default="speech", help="which model (default: speech)")
        parser.add_argument(
            "--model",
            default=None,
            help="speech: an offered model's name (STT_MODELS) or a CTC hub id; other kinds: a hub id "
            "(default: the kind's setting)",
        )
        parser.add_argument("--to", default=None, metavar="FOLDER", help="also save the model into FOLDER")

    def handle(self, *args, **options):
        setting = KINDS[options["kind"]][0]
        if options["kind"] == "speech":
            offered = offered_models.find_model(options["model"] or "")
            if offered is not None and offered.engine == "whisper":
                return self.download_whisper(offered.source, options["to"])
            model_name = offered.source if offered else options["model"] or settings.STT_MODEL
        else:
            model_name = options["model"] or getattr(settings, setting)
            if not model_name:
                raise CommandError(f"{setting} is empty (that stage is switched off); name a model with --model.")
        self.download_transformers(options["kind"], model_name, options["to"])

    def download_whisper(self, source, folder):
        from faster_whisper.utils import download_model

        try:
            path = download_model(source, output_dir=folder)
        except Exception as exc:  # network, hub and name errors: one line for the operator
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"Could not download {source!r}: {reason}") from None
        self.stdout.write(f"Whisper model {source} is in {path}; its entry in STT_MODELS may name that folder.")

    def download_transformers(self, kind, model_name, folder):
        import transformers

        setting, model_class, processor_class = KINDS[kind]
        try:
            processor = getattr(transformers, processor_class).from_pretrained(model_name)
            model = getattr(transformers, model_class).from_pretrained(model_name)
        except Exception as exc:  # network, hub and format errors: one line for the operator
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"Could not download {model_name!r}: {reason}") from None
        if folder:
            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            model.save_pretrained(folder)
            processor.save_pretrained(folder)
            self.stdout.write(f"Saved {model_name} to {folder}. Set {setting}={folder.resolve()}")
        else:
            self.stdout.write(f"{model_name} is in the Hugging Face cache; workers can now load it offline.")
