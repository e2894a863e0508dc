"""manage.py transcribe FILE: try the speech model on one file, no queue needed."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transcripts.exports import FORMATS, render


class Command(BaseCommand):
    help = (
        "Transcribe one audio or video file with the speech model (STT_MODEL) and print the transcript. "
        "Runs in this process: no Redis or worker needed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="an audio or video file ffmpeg can read")
        parser.add_argument("--format", choices=FORMATS, default="txt", help="output format (default: txt)")
        parser.add_argument("--start", type=float, default=None, metavar="S", help="start at S seconds into the file")
        parser.add_argument("--end", type=float, default=None, metavar="S", help="stop at S seconds into the file")
        parser.add_argument("--model", default=None, help="a hub id or local folder (default: STT_MODEL)")
        parser.add_argument(
            "--precision", default=None, help="auto, fp32, bf16, fp16 or int8 (default: STT_PRECISION)"
        )

    def handle(self, *args, **options):
        # The model stack is imported here, not at module level: the web process
        # loads management commands' modules too and must never import torch.
        from workers import pipeline

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            transcribe_options = pipeline.TranscribeOptions(
                start_s=options["start"],
                end_s=options["end"],
                split=pipeline.SplitOptions(
                    min_space_s=settings.SPLIT_MIN_SPACE_S, max_space_s=settings.SPLIT_MAX_SPACE_S
                ),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            recognizer = pipeline.load_recognizer(
                options["model"] or settings.STT_MODEL, options["precision"] or settings.STT_PRECISION
            )
            transcript = pipeline.transcribe_file(path, recognizer, transcribe_options)
        except pipeline.PipelineError as exc:
            raise CommandError(str(exc)) from None
        content, _ = render(options["format"], transcript.segments, title=path.name, duration_s=transcript.duration_s)
        self.stdout.write(content, ending="" if content.endswith("\n") else "\n")
