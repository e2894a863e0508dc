"""manage.py worker_queues: the RQ queues a worker serves, for bin/worker."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transcripts import offered_models


class Command(BaseCommand):
    help = (
        "Print the queues of the offered models this worker has (all of them, or those named), "
        "and the summaries queue every worker serves, space-separated, for `manage.py rqworker`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "models", nargs="*", help="offered model names (STT_MODELS), space- or comma-separated; default: all"
        )

    def handle(self, *args, **options):
        names = [name for argument in options["models"] for name in argument.split(",") if name.strip()]
        offered = offered_models.offered_models()
        if not names:
            chosen = offered
        else:
            unknown = [name for name in names if offered_models.find_model(name.strip()) is None]
            if unknown:
                known = ", ".join(model.name for model in offered)
                raise CommandError(f"Not an offered model: {', '.join(unknown)}. The offered models (STT_MODELS): {known}.")
            chosen = [offered_models.find_model(name.strip()) for name in names]
        queues = [*(model.queue for model in chosen), settings.SUMMARY_QUEUE]
        self.stdout.write(" ".join(dict.fromkeys(queues)))
