"""manage.py transcribe FILE: try the speech model on one file, no queue needed."""

from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from timedtext.cues import CueOptions
from timedtext.formats import FORMATS, RenderOptions, render
from timedtext.languages import language_code
from transcripts import offered_models
from transcripts.offered_models import OfferedModel


class Command(BaseCommand):
    help = (
        "Transcribe one audio or video file with one of the site's models (default: its default model) and print "
        "the transcript. "
        "Runs in this process: no Redis or worker needed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="an audio or video file ffmpeg can read")
        parser.add_argument("--format", choices=list(FORMATS), default="txt", help="output format (default: txt)")
        parser.add_argument("--start", type=float, default=None, metavar="S", help="start at S seconds into the file")
        parser.add_argument("--end", type=float, default=None, metavar="S", help="stop at S seconds into the file")
        parser.add_argument(
            "--model",
            default=None,
            help="an offered model's name (STT_MODELS), or a CTC model's hub id or folder (default: the site's default)",
        )
        parser.add_argument(
            "--language", default="", help="a language code for the model (default: detected, or the model's own)"
        )
        parser.add_argument(
            "--precision", default=None, help="auto, fp32, bf16, fp16 or int8 (default: STT_PRECISION)"
        )
        text = parser.add_argument_group("readable text (as the site's settings offer it)")
        text.add_argument("--words", default="", help="names and terms to listen for, separated by commas")
        text.add_argument("--raw", action="store_true", help="the words as heard: no punctuation, numbers as words")
        text.add_argument(
            "--speakers", default="off", metavar="COUNT",
            help='tell speakers apart: "auto", a number, or a range such as 2-4 (default: off)',
        )
        cues = parser.add_argument_group("subtitle cues (srt, vtt)")
        cues.add_argument("--max-chars", type=int, default=None, metavar="N", help="characters per line (default 42)")
        cues.add_argument("--max-lines", type=int, default=None, metavar="N", help="lines per cue (default 2)")
        cues.add_argument("--max-cue-s", type=float, default=None, metavar="S", help="seconds per cue (default 7)")

    def handle(self, *args, **options):
        # The worker side is imported here, not at module level: management
        # commands' modules are loaded by every manage.py call.
        from transcripts.speaker_count import parse_speaker_count
        from transcripts.vocabulary import parse_words
        from workers import jobs, pipeline

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            render_options = RenderOptions(cues=CueOptions(**cue_values(options)))
            transcribe_options = pipeline.TranscribeOptions(
                start_s=options["start"],
                end_s=options["end"],
                split=pipeline.SplitOptions(
                    min_space_s=settings.SPLIT_MIN_SPACE_S, max_space_s=settings.SPLIT_MAX_SPACE_S
                ),
                decoding=replace(jobs.decoding_options(), words=tuple(parse_words(options["words"]))),
                speakers=jobs.speaker_count_options(*parse_speaker_count(options["speakers"])),
            )
        except ValueError as exc:  # a BadSpeakerCount too
            raise CommandError(str(exc)) from None
        model = chosen_model(options["model"])
        # Whisper writes punctuation and capitals itself.
        punctuation = not options["raw"] and model.engine != "whisper"
        transcribe_options = replace(
            transcribe_options, text=jobs.text_options(punctuation=punctuation, numbers=not options["raw"])
        )
        try:
            language = model.language_for(language_code(options["language"]) or "")
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        heard = {"language": language}
        try:
            engine = jobs.load_engine(model, options["precision"])
            if model.engine == "whisper":
                engine = engine.with_options(
                    jobs.whisper_options(language), on_language=lambda code, _: heard.update(language=code)
                )
            transcript = pipeline.transcribe_file(
                path, engine, transcribe_options, on_note=lambda note: self.stderr.write(f"note: {note.message}")
            )
        except (pipeline.ModelLoadError, pipeline.PrecisionError) as exc:
            raise CommandError(jobs.model_load_advice(exc, model)) from None
        except jobs.USER_ERRORS as exc:
            raise CommandError(str(exc)) from None
        transcript = replace(transcript, title=path.name, language=heard["language"])
        content, _ = render(options["format"], transcript, render_options)
        self.stdout.write(content, ending="" if content.endswith("\n") else "\n")


def chosen_model(name):
    """An offered model by name; any other name is a CTC model's hub id or
    folder, English, as before there were offered models."""
    if not name:
        return offered_models.default_model()
    return offered_models.find_model(name) or OfferedModel(name, "ctc", name, ("en",), "")


def cue_values(options):
    return {name: options[name] for name in ("max_chars", "max_lines", "max_cue_s") if options[name] is not None}
