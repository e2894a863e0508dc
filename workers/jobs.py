"""RQ entry points: load the rows, run the pipeline, save the results.

`transcribe` is what the web process enqueues (by its dotted path, see
transcripts/queueing.py). The pipeline reads no settings: this module turns the
site's settings and the job's options into its arguments, and words its errors
for the people who read them (users on the job page, admins in the traceback).
Every write goes through the attempt's lease (attempt.py).
"""

import hashlib
import json
import logging
import traceback
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import close_old_connections
from django.utils import timezone
from rq.timeouts import JobTimeoutException

from guards.media import MediaError
from transcripts import offered_models, services
from transcripts.models import SpeakersMode, Transcription
from transcripts.storage import StorageUnavailable
from transcripts.vocabulary import words_for_job

from . import pipeline
from .attempt import Attempt, LeaseLost, heartbeat
from .downloads import download_media
from .fetch import DownloadError
from .media_copy import MediaCopyError, job_folder, local_media
from .pipeline.engines.whisper import check_whisper_folder
from .pipeline.errors import ModelLoadError, PipelineError, PrecisionError

log = logging.getLogger(__name__)

Stage = Transcription.Stage

UNEXPECTED_ERROR = (
    "Something went wrong on our side while transcribing this file. "
    "The administrators can see the details; you can retry."
)
TOO_SLOW = (
    "The transcription took longer than allowed and was stopped. "
    "You can retry; if it happens again the file may be too long for this server."
)
MEDIA_UNAVAILABLE = (
    "The server could not read the stored file right now, so nothing was transcribed. "
    "The administrators can see why; please retry later."
)
MODEL_UNAVAILABLE = (
    "The speech model is not available on the server right now, so nothing was transcribed. "
    "The administrators can see why; please retry later."
)
MODEL_NOT_OFFERED = (
    "The model {name} is no longer offered on this site, so nothing was transcribed. "
    "Start a new transcription with one of the offered models."
)
# Errors whose message is for the person who asked for the job, shown as it is.
USER_ERRORS = (PipelineError, MediaError, DownloadError)


class ModelNotOffered(PipelineError):
    """The job's model was taken off STT_MODELS after it was queued."""


def model_load_advice(exc, model=None):
    """What an operator reads about a model that failed to load (ModelLoadError,
    PrecisionError): the reason, and the setting that fixes it."""
    if isinstance(exc, PrecisionError):
        return f"{exc} Set STT_PRECISION to one that runs on this worker."
    advice = (
        f"{exc} Point the model's source (STT_MODELS, or STT_MODEL) at a local folder that holds it, or "
        "download it first with `python manage.py download_model` on a machine that can reach the Hugging Face hub."
    )
    other_engine = model and engine_of_folder(model.source)
    if other_engine and other_engine != model.engine:
        advice += f" The folder holds a {other_engine} model: offer it with the engine {other_engine!r}."
    return advice


def engine_of_folder(source):
    """'whisper' or 'ctc' for a local folder that holds such a model, else None."""
    folder = Path(source).expanduser()
    try:
        check_whisper_folder(source, folder)
        return "whisper"
    except ModelLoadError:
        pass
    try:
        architectures = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("architectures") or []
    except (OSError, ValueError, AttributeError):
        return None
    return "ctc" if any(str(name).endswith("ForCTC") for name in architectures) else None


def load_engine(model=None, precision=None):
    """The speech engine of an offered model (default: the site's default),
    loaded once per worker process: its engine and source decide which.
    precision: STT_PRECISION unless given."""
    model = model or offered_models.default_model()
    precision = precision or settings.STT_PRECISION
    if model.engine == "whisper":
        return pipeline.load_whisper_engine(model.source, precision, settings.STT_THREADS)
    return pipeline.load_ctc_engine(
        model.source,
        precision,
        settings.STT_THREADS,
        settings.STT_CPU_BATCH_MB,
        backend=settings.STT_RUNTIME,
        onnx_cache_dir=settings.STT_ONNX_CACHE_DIR,
    )


def whisper_options(language):
    """A Whisper job's options: its language ('' to detect it) and the site's decoding settings."""
    return pipeline.WhisperOptions(
        language=language or None, beam_size=settings.WHISPER_BEAM_SIZE, batch_size=settings.WHISPER_BATCH_SIZE
    )


def offered_model(transcription):
    model = offered_models.model_of_job(transcription.model_name)
    if model is None:
        raise ModelNotOffered(MODEL_NOT_OFFERED.format(name=transcription.model_name))
    return model


def engine_for_job(model, transcription, attempt):
    """The engine with the job's options bound: a Whisper model gets the
    language asked for (or detects it, and the job records what it found)."""
    engine = load_engine(model)
    if model.engine != "whisper":
        return engine

    def on_language(code, probability):
        detected = not transcription.requested_language
        attempt.update(language=code, language_probability=probability if detected else None)

    return engine.with_options(whisper_options(transcription.requested_language), on_language)


# What an administrator can do about a text stage's model (see stage_note_detail).
STAGE_ADVICE = {
    "punctuation": "Set PUNCTUATION_MODEL to a local folder that holds the model (or empty, to switch punctuation "
    "off), or download it first with `python manage.py download_model --kind punctuation`.",
    "language model": "Set STT_LM_PATH to an ARPA language model file, or empty for none.",
    "speakers": "Set SPEAKER_ENCODER to a Resemblyzer voice encoder file (empty: the one in the Resemblyzer "
    "package; bin/setup installs it and silero-vad), or DIARIZATION=false to switch speakers off.",
}


def decoding_options(transcription=None):
    """How the engine decodes, from the site's settings and the words `transcription` asks for."""
    return pipeline.DecodingOptions(
        beam_search=settings.STT_DECODER == "beam",
        words=tuple(words_for_job(transcription)) if transcription is not None else (),
        lm_path=settings.STT_LM_PATH or None,
        beam_size=settings.STT_BEAM_SIZE,
        hotword_weight=settings.STT_HOTWORD_WEIGHT,
        lm_weight=settings.STT_LM_WEIGHT,
        word_score=settings.STT_WORD_SCORE,
    )


def text_options(punctuation=True, numbers=True):
    """The text stages the site offers, of those asked for."""
    return pipeline.TextOptions(
        numbers=settings.NUMBERS_AS_DIGITS and numbers,
        punctuation_model=(settings.PUNCTUATION_MODEL or None) if punctuation else None,
    )


def transcribe_options(transcription):
    return pipeline.TranscribeOptions(
        start_s=transcription.trim_start_s,
        end_s=transcription.trim_end_s,
        split=pipeline.SplitOptions(min_space_s=settings.SPLIT_MIN_SPACE_S, max_space_s=settings.SPLIT_MAX_SPACE_S),
        decoding=decoding_options(transcription),
        # Whisper writes punctuation and capitals itself.
        text=text_options(transcription.punctuation and not writes_punctuation(transcription), transcription.numbers),
        speakers=speaker_options(transcription),
    )


def speaker_options(transcription):
    """How many speakers `transcription` asks to tell apart, or None for no speakers stage."""
    return speaker_count_options(transcription.speakers_mode, transcription.speakers_min, transcription.speakers_max)


def speaker_count_options(mode, fewest=None, most=None):
    """The speakers stage's options for a count (transcripts/speaker_count.py),
    or None where the count or the site's DIARIZATION setting says off."""
    if not settings.DIARIZATION or mode == SpeakersMode.OFF:
        return None
    encoder = settings.SPEAKER_ENCODER or None
    if mode == SpeakersMode.AUTO:
        return pipeline.SpeakerOptions(encoder=encoder)
    return pipeline.SpeakerOptions(min_speakers=fewest, max_speakers=most, encoder=encoder)


def writes_punctuation(transcription):
    model = offered_models.model_of_job(transcription.model_name)
    return model is not None and model.engine == "whisper"


def plan_key(transcription, options):
    """What the cut plan and the saved chunks depend on: an attempt resumes an
    earlier one's chunks only when all of it is the same."""
    media = transcription.media
    split = options.split
    made_from = [
        media.file.name, media.sha256, transcription.model_name, transcription.requested_language,
        options.start_s, options.end_s, split.min_space_s, split.max_space_s, asdict(options.decoding),
    ]
    return hashlib.sha256(json.dumps(made_from).encode()).hexdigest()


def stage_note_detail(note):
    """What admins read about a stage note: the reason, and what fixes it."""
    advice = STAGE_ADVICE.get(note.stage, "")
    return f"{note.stage}: {note.detail} {advice}".strip()


def transcribe(transcription_id, lease):
    """RQ job: transcribe one Transcription for the attempt that holds `lease`."""
    close_old_connections()
    attempt = Attempt(transcription_id, lease)
    if not attempt.claim():
        log.info("transcription %s: attempt %s is no longer current; skipped", transcription_id, lease)
        return "skipped"
    transcription = Transcription.objects.select_related("media").get(pk=transcription_id)
    try:
        with heartbeat(attempt):
            run(transcription, attempt)
    except LeaseLost:
        log.info("transcription %s: lease lost (canceled or requeued); stopped", transcription_id)
        return "lease lost"
    except JobTimeoutException:
        attempt.fail(TOO_SLOW, traceback.format_exc())
        raise
    except (MediaCopyError, StorageUnavailable) as exc:
        # Names hosts, folders and settings: for admins, not users.
        log.error("transcription %s: media not readable: %s", transcription_id, exc)
        attempt.fail(MEDIA_UNAVAILABLE, str(exc))
        raise
    except (ModelLoadError, PrecisionError) as exc:
        # The reason names server paths and settings: for admins, not users.
        advice = model_load_advice(exc, offered_models.model_of_job(transcription.model_name))
        log.error("transcription %s: %s", transcription_id, advice)
        attempt.fail(MODEL_UNAVAILABLE, advice)
        raise
    except USER_ERRORS as exc:
        attempt.fail(str(exc))
        raise
    except Exception:
        attempt.fail(UNEXPECTED_ERROR, traceback.format_exc())
        raise
    return "done"


def run(transcription, attempt):
    media = transcription.media
    with job_folder() as folder:
        if media.file:
            attempt.update(stage=Stage.DECODING, progress=0.0)
            path = local_media(media.file.storage, media.file.name, folder, media.sha256)
        else:
            attempt.update(stage=Stage.DOWNLOADING, progress=0.0)
            path = download_media(media, folder, on_progress=lambda percent: attempt.update(progress=percent))
            # The link was the title while nothing better was known (cut to the field's length).
            if transcription.title == media.source_url[: Transcription._meta.get_field("title").max_length]:
                attempt.update(title=media.original_name[:255] or transcription.title)
            attempt.update(stage=Stage.DECODING, progress=0.0)
        engine = engine_for_job(offered_model(transcription), transcription, attempt)
        transcript, notes = transcribe_resuming(path, engine, transcription, attempt)
    attempt.update(stage=Stage.SAVING)
    attempt.finish(
        transcript,
        notes=[note.message for note in notes],
        detail="\n\n".join(stage_note_detail(note) for note in notes if note.detail),
    )
    if transcription.summarize:
        queue_summary(transcription)


def transcribe_resuming(path, engine, transcription, attempt):
    """The pipeline, going on from the chunks an earlier attempt saved (its
    worker died): the plan and the finished chunks go in as arguments, each
    batch's segments are saved as it ends."""
    options = transcribe_options(transcription)
    key = plan_key(transcription, options)
    saved_plan, saved = attempt.saved_chunks(key)

    def on_plan(spans):
        kept = saved if spans == saved_plan else {}
        if kept:
            log.info("transcription %s: resuming with %d of %d chunks done", transcription.pk, len(kept), len(spans))
        attempt.save_plan(spans, key, list(kept))
        if not kept:  # the pace of a resumed attempt would count chunks it did not do: no estimate
            attempt.update(transcribing_started_at=timezone.now())

    def on_progress(done, total, finished_segments):
        attempt.save_partial_segments(finished_segments)
        attempt.update(chunks_done=done, progress=100.0 * done / max(total, 1))

    notes = []

    def on_note(note):
        if note.detail:  # a model that did not load, a stage that raised: for the operator
            log.warning("transcription %s: %s", transcription.pk, stage_note_detail(note))
        notes.append(note)

    transcript = pipeline.transcribe_file(
        path,
        engine,
        options,
        on_plan=on_plan,
        on_progress=on_progress,
        on_text_stages=lambda: attempt.update(stage=Stage.POLISHING, progress=0.0),
        on_speakers=lambda: attempt.update(stage=Stage.SPEAKERS, progress=0.0),
        on_note=on_note,
        plan=saved_plan,
        done=saved,
    )
    return transcript, notes


def detect_language(storage_name, model_name):
    """RQ job for /detect-language: the language of the first 90 s of a stored
    file, as {"language", "probability"}, or {"error"} with a message for the
    client (the file, or a model that cannot detect). The web side deletes the file."""
    close_old_connections()
    model = offered_models.find_model(model_name)
    if model is None:
        return {"error": MODEL_NOT_OFFERED.format(name=model_name)}
    try:
        engine = load_engine(model)
        with job_folder() as folder:
            audio = pipeline.decode_audio(local_media(default_storage, storage_name, folder), end_s=90.0)
        language, probability = engine.detect_language([audio])
    except (ModelLoadError, PrecisionError) as exc:
        log.error("language detection with %s: %s", model_name, model_load_advice(exc, model))
        return {"error": MODEL_UNAVAILABLE}
    except USER_ERRORS as exc:
        return {"error": str(exc)}
    return {"language": language, "probability": round(probability, 4)}


def queue_summary(transcription):
    """The summary the job asked for; a refusal (summaries switched off, Redis
    down) is the summary's failure, not the transcript's."""
    try:
        services.request_summary(transcription)
    except services.SummaryRefused as refusal:
        Transcription.objects.filter(pk=transcription.pk, status=Transcription.Status.DONE).update(
            summary_status=Transcription.SummaryStatus.FAILED, summary_error=refusal.message
        )


def record_rq_failure(job, connection, exc_type, exc_value, tb):
    """RQ on_failure callback: record what RQ saw (a timeout, an abandoned job)
    when the job itself could not. Never raises: RQ must go on."""
    try:
        transcription_id, lease = job.args
        # The job records its own failures first; this only lands when it could
        # not (a timeout outside it, a worker lost before the job claimed the row).
        if exc_type is not None and issubclass(exc_type, JobTimeoutException):
            message = TOO_SLOW
        else:
            message = UNEXPECTED_ERROR
        detail = "".join(traceback.format_exception(exc_type, exc_value, tb)) if exc_type else ""
        Attempt(transcription_id, lease).fail(message, detail)
    except Exception:
        log.exception("could not record the failure of RQ job %s", getattr(job, "id", "?"))
