"""manage.py download_model: fetch a model once, for workers that run offline:
the speech model, the punctuation model or the summary model."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# kind -> (the setting that names it, the transformers classes that load it)
KINDS = {
    "speech": ("STT_MODEL", "AutoModelForCTC", "Wav2Vec2Processor"),
    "punctuation": ("PUNCTUATION_MODEL", "AutoModelForTokenClassification", "AutoTokenizer"),
    "summary": ("SUMMARY_MODEL", "AutoModelForSeq2SeqLM", "AutoTokenizer"),
}


class Command(BaseCommand):
    help = (
        "Download a model (the speech model STT_MODEL by default; --kind punctuation or summary for "
        "PUNCTUATION_MODEL or SUMMARY_MODEL) into the Hugging Face cache, or with --to into a folder that "
        "the setting can then point at."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=list(KINDS), default="speech", help="which model (default: speech)")
        parser.add_argument("--model", default=None, help="hub id (default: the kind's setting)")
        parser.add_argument("--to", default=None, metavar="FOLDER", help="also save the model into FOLDER")

    def handle(self, *args, **options):
        import transformers

        setting, model_class, processor_class = KINDS[options["kind"]]
        model_name = options["model"] or getattr(settings, setting)
        if not model_name:
            raise CommandError(f"{setting} is empty (that stage is switched off); name a model with --model.")
        try:
            processor = getattr(transformers, processor_class).from_pretrained(model_name)
            model = getattr(transformers, model_class).from_pretrained(model_name)
        except Exception as exc:  # network, hub and format errors: one line for the operator
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"Could not download {model_name!r}: {reason}") from None
        if options["to"]:
            folder = Path(options["to"])
            folder.mkdir(parents=True, exist_ok=True)
            model.save_pretrained(folder)
            processor.save_pretrained(folder)
            self.stdout.write(f"Saved {model_name} to {folder}. Set {setting}={folder.resolve()}")
        else:
            self.stdout.write(f"{model_name} is in the Hugging Face cache; workers can now load it offline.")
