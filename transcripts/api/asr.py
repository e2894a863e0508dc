"""whisper-asr-webservice's shape, for the tools built for it (Bazarr's Whisper
provider, subgen-style clients): POST /asr with a multipart `audio_file` and
query parameters `output`, `task`, `language` and `encode`.

Those tools only let a person set a base URL, so the token may ride in the path:
http://host/t/<token>/asr. Such a URL is a secret.

With encode=false the body is raw 16 kHz mono 16-bit PCM, as Bazarr sends it
(it decodes with its own ffmpeg); it gets a WAV header and is then an upload
like any other.
"""

import wave
from pathlib import Path
from urllib.parse import quote

from django.core.files.uploadedfile import TemporaryUploadedFile
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from timedtext.formats import FORMATS
from timedtext.languages import language_name
from transcripts import language_detection, services
from transcripts.render_cache import render_transcript
from transcripts.services import TextChoices
from transcripts.vocabulary import words_of_prompt

from .base import (
    ApiView,
    Unavailable,
    WaitedTooLong,
    create_transcription,
    error_responses,
    finished_or_error,
    invalid,
    refusal_error,
    refuse_upload_errors,
    wait_for_job,
)

TAG = ["whisper-asr-webservice-compatible"]
# timedtext's formats, by whisper-asr-webservice's name for them.
OUTPUTS = {"txt": "txt", "srt": "srt", "vtt": "vtt", "json": "whisper_json", "tsv": "tsv"}
PCM_RATE = 16000
OUTPUT_TYPES = {output: FORMATS[fmt].content_type for output, fmt in OUTPUTS.items()}


class AsrOptionsSerializer(serializers.Serializer):
    """The query parameters (or form fields) of /asr and /detect-language."""

    output = serializers.ChoiceField(list(OUTPUTS), required=False, default="txt")
    task = serializers.ChoiceField(["transcribe", "translate"], required=False, default="transcribe")
    language = serializers.CharField(required=False, allow_blank=True, default="")
    encode = serializers.BooleanField(required=False, default=True)
    initial_prompt = serializers.CharField(required=False, allow_blank=True, default="")
    vad_filter = serializers.BooleanField(required=False, default=False)
    word_timestamps = serializers.BooleanField(required=False, default=False)

    def validate_task(self, task):
        if task == "translate":
            raise serializers.ValidationError("Translation is not supported; this server transcribes only.")
        return task


class AudioFileSerializer(serializers.Serializer):
    audio_file = serializers.FileField()


ASR_PARAMETERS = [
    OpenApiParameter("output", enum=list(OUTPUTS), default="txt"),
    OpenApiParameter("task", enum=["transcribe"], default="transcribe", description="translate is refused (400)."),
    OpenApiParameter(
        "language",
        str,
        description=(
            "A code (en, de). The site's default model runs, or the first offered model that takes the language; "
            "one no offered model takes is refused. Left out: detected by a multilingual model, or the model's own."
        ),
    ),
    OpenApiParameter("encode", bool, default=True, description="false: audio_file is raw 16 kHz mono s16le PCM."),
    OpenApiParameter("initial_prompt", str, description="Names and terms to listen for (as OpenAI's prompt)."),
    OpenApiParameter("vad_filter", bool, description="Accepted, no effect: silence is always skipped."),
    OpenApiParameter("word_timestamps", bool, description="json output always has word times."),
]


def read_options(request):
    refuse_upload_errors(request)
    # whisper-asr-webservice takes options as query parameters; form fields work too.
    fields = {name: request.data.get(name) for name in request.data}
    fields.update(request.query_params.dict())
    options = AsrOptionsSerializer(data=fields)
    options.is_valid(raise_exception=True)
    return options.validated_data


def audio_upload(request, encode):
    form = AudioFileSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    upload = form.validated_data["audio_file"]
    return upload if encode else pcm_as_wav(upload)


def pcm_as_wav(upload):
    """The raw PCM of an encode=false request as a WAV file."""
    if upload.size % 2:
        raise invalid("With encode=false the audio must be 16-bit PCM: an even number of bytes.", "audio_file")
    wav = TemporaryUploadedFile(f"{Path(upload.name).stem or 'audio'}.wav", "audio/wav", 0, None)
    writer = wave.open(wav.file, "wb")
    writer.setnchannels(1)
    writer.setsampwidth(2)
    writer.setframerate(PCM_RATE)
    for chunk in upload.chunks():
        writer.writeframesraw(chunk)
    writer.close()  # writes the sizes into the header; leaves our file open
    wav.size = wav.file.tell()
    wav.file.seek(0)
    return wav


class Asr(ApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAG,
        operation_id="asr",
        summary="Transcribe audio (whisper-asr-webservice's shape); waits for the job",
        description=(
            "For Bazarr's Whisper provider and similar tools. The token may also be given in the path: "
            "/t/<token>/asr (keep such URLs secret). Translation is refused."
        ),
        parameters=ASR_PARAMETERS,
        request={"multipart/form-data": AudioFileSerializer},
        responses={
            **{
                (200, content_type.split(";")[0]): OpenApiResponse(OpenApiTypes.STR, description=f"output={output}")
                for output, content_type in OUTPUT_TYPES.items()
                if output != "json"
            },
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="output=json"),
            **error_responses(400, 401, 409, 413, 429, 504),
        },
    )
    def post(self, request, token=None):
        options = read_options(request)
        upload = audio_upload(request, options["encode"])
        model = services.model_for_language(options["language"])
        try:
            transcription = create_transcription(
                request,
                upload=upload,
                requested_model="whisper-asr-webservice",
                model=model.name,
                language=options["language"],
                text=TextChoices(words=tuple(words_of_prompt(options["initial_prompt"]))),
            )
        finally:
            # The WAV made from raw PCM is no request file, so Django would not
            # close it; its temporary file may have been moved into storage.
            upload.close()
        finished_or_error(wait_for_job(transcription))
        output = options["output"]
        headers = {
            "Asr-Engine": "speechsite",
            "Content-Disposition": f'attachment; filename="{quote(Path(upload.name).stem)}.{output}"',
        }
        content, content_type = render_transcript(transcription, OUTPUTS[output])
        return HttpResponse(content, content_type=content_type, headers=headers)


class DetectedLanguageSerializer(serializers.Serializer):
    detected_language = serializers.CharField()
    language_code = serializers.CharField()
    confidence = serializers.FloatField(required=False, help_text="Only when a model detected it.")


class DetectLanguage(ApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAG,
        operation_id="detectLanguage",
        summary="Language of the audio, detected by an offered multilingual Whisper model",
        description=(
            "A worker running the first offered multilingual Whisper model reads up to 90 s of the file. "
            "A site with no such model answers the language of its model (English), without confidence."
        ),
        parameters=[ASR_PARAMETERS[3]],
        request={"multipart/form-data": AudioFileSerializer},
        responses={200: DetectedLanguageSerializer, **error_responses(400, 401, 413, 503, 504)},
    )
    def post(self, request, token=None):
        options = read_options(request)
        upload = audio_upload(request, options["encode"])
        try:
            detected = language_detection.detect_language(upload)
        except services.RequestRefused as refusal:
            raise refusal_error(refusal) from refusal
        except language_detection.DetectionUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        except language_detection.DetectionTimedOut as exc:
            raise WaitedTooLong(str(exc)) from exc
        finally:
            upload.close()
        body = {"detected_language": language_name(detected.language), "language_code": detected.language}
        if detected.probability is not None:
            body["confidence"] = detected.probability
        return Response(body)
