"""OpenAI's speech-to-text shape, so that its SDKs and the tools built on them
(Open WebUI, editor plugins) work with a base URL and a token.

POST /v1/audio/transcriptions queues a normal job (it shows up in the owner's
history) and answers when the job has ended, or 504 with the job id after
API_WAIT_LIMIT_S. `model` names one of the site's offered models; any other
name (clients send "whisper-1") is recorded and gets the site's default, or,
when `language` asks for one the default cannot do, the first offered model
that can. `language` is honoured where the model takes it (else 400); left out,
a multilingual Whisper model detects it. `prompt` feeds the job's words (names
and terms the decoder listens for, transcripts/vocabulary.py); `temperature` is
accepted and has no effect.
"""

import time

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from timedtext.formats import GRANULARITIES, RenderOptions
from transcripts import offered_models, services
from transcripts.render_cache import render_transcript
from transcripts.services import TextChoices
from transcripts.vocabulary import words_of_prompt

from .base import (
    ApiView,
    create_transcription,
    error_responses,
    finished_or_error,
    refuse_upload_errors,
    wait_for_job,
)

TAG = ["OpenAI-compatible"]
RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt", "diarized_json")
# timedtext's formats, by OpenAI's name for them.
FORMATS = {
    "json": "openai_json",
    "verbose_json": "openai_verbose_json",
    "diarized_json": "openai_diarized_json",
    "text": "txt",
    "srt": "srt",
    "vtt": "vtt",
}


class TranscriptionRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The audio or video file.")
    model = serializers.CharField(
        max_length=255,
        help_text="An offered model (GET /v1/models); any other name (whisper-1) gets the site's default.",
    )
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="ISO-639-1 code (en, de); one the model cannot do is refused. Left out: detected, or the model's own.",
    )
    prompt = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Names and terms to listen for: a comma-separated list is taken whole, from prose the words "
        "that name something (capitalised, or with inner capitals or digits).",
    )
    temperature = serializers.FloatField(
        required=False, min_value=0, max_value=1, default=0.0, help_text="Accepted, no effect."
    )
    response_format = serializers.ChoiceField(RESPONSE_FORMATS, required=False, default="json")
    timestamp_granularities = serializers.ListField(
        child=serializers.ChoiceField(GRANULARITIES), required=False, default=list,
        help_text="With verbose_json: word and/or segment (sent as timestamp_granularities[]).",
    )
    stream = serializers.BooleanField(required=False, default=False, help_text="Streaming is not supported.")

    def to_internal_value(self, data):
        # OpenAI's clients send the list as repeated "timestamp_granularities[]" fields.
        if hasattr(data, "getlist") and "timestamp_granularities[]" in data:
            fields = {name: data.get(name) for name in data}  # a shallow copy: files cannot be deep-copied
            fields["timestamp_granularities"] = data.getlist("timestamp_granularities[]")
            data = fields
        return super().to_internal_value(data)

    def validate_response_format(self, response_format):
        if response_format == "diarized_json" and not settings.DIARIZATION:
            raise serializers.ValidationError("Speakers are switched off on this server; diarized_json is not offered.")
        return response_format

    def validate_stream(self, stream):
        if stream:
            raise serializers.ValidationError("Streaming is not supported; send stream=false.")
        return stream


class VerboseSegmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seek = serializers.IntegerField()
    start = serializers.FloatField()
    end = serializers.FloatField()
    text = serializers.CharField(allow_blank=True)
    tokens = serializers.ListField(child=serializers.IntegerField())
    temperature = serializers.FloatField()
    avg_logprob = serializers.FloatField()
    compression_ratio = serializers.FloatField()
    no_speech_prob = serializers.FloatField()


class VerboseWordSerializer(serializers.Serializer):
    word = serializers.CharField()
    start = serializers.FloatField()
    end = serializers.FloatField()


class UsageSerializer(serializers.Serializer):
    type = serializers.ChoiceField(["duration"])
    seconds = serializers.FloatField()


class TranscriptionResultSerializer(serializers.Serializer):
    """json answers {text}; verbose_json adds the rest."""

    text = serializers.CharField(allow_blank=True)
    task = serializers.CharField(required=False)
    language = serializers.CharField(required=False)
    duration = serializers.FloatField(required=False)
    segments = VerboseSegmentSerializer(many=True, required=False)
    words = VerboseWordSerializer(many=True, required=False)
    usage = UsageSerializer(required=False)


def transcript_response(transcription, response_format, granularities):
    options = RenderOptions(granularities=tuple(granularities))
    content, content_type = render_transcript(transcription, FORMATS[response_format], options)
    return HttpResponse(content, content_type=content_type)


class AudioTranscriptions(ApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAG,
        operation_id="openaiCreateTranscription",
        summary="Transcribe audio (OpenAI's shape); waits for the job",
        description=(
            "Queues a normal job (it appears in your history) and answers when it has ended. "
            "After API_WAIT_LIMIT_S the answer is 504 with the job, which goes on: follow it under "
            "/api/transcriptions/{id}. `model` picks an offered model (others get the site's default); "
            "a language the model cannot do is refused; the prompt's names and terms are listened for; "
            "temperature has no effect."
        ),
        request={"multipart/form-data": TranscriptionRequestSerializer},
        responses={
            (200, "application/json"): OpenApiResponse(
                TranscriptionResultSerializer,
                description="json: {text}; verbose_json: the full object; diarized_json: segments with a speaker each.",
            ),
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="response_format=text"),
            (200, "application/x-subrip"): OpenApiResponse(OpenApiTypes.STR, description="response_format=srt"),
            (200, "text/vtt"): OpenApiResponse(OpenApiTypes.STR, description="response_format=vtt"),
            **error_responses(400, 401, 409, 413, 429, 504),
        },
    )
    def post(self, request, token=None):
        refuse_upload_errors(request)
        form = TranscriptionRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        options = form.validated_data
        model = offered_models.find_model(options["model"]) or services.model_for_language(options["language"])
        transcription = create_transcription(
            request,
            upload=options["file"],
            requested_model=options["model"],
            model=model.name,
            language=options["language"],
            text=TextChoices(
                words=tuple(words_of_prompt(options["prompt"])),
                # Only diarized_json shows speakers: the other answers need not wait for them.
                speaker_count="auto" if options["response_format"] == "diarized_json" else "off",
            ),
        )
        finished_or_error(wait_for_job(transcription))
        return transcript_response(transcription, options["response_format"], options["timestamp_granularities"])


class ModelSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.ChoiceField(["model"])
    created = serializers.IntegerField()
    owned_by = serializers.CharField()


class ModelListSerializer(serializers.Serializer):
    object = serializers.ChoiceField(["list"])
    data = ModelSerializer(many=True)


# The served model has no creation time of its own; the process start stands in.
STARTED_AT = int(time.time())


class Models(ApiView):
    @extend_schema(
        tags=TAG,
        operation_id="openaiListModels",
        summary="The models this server transcribes with, the default first",
        description="Any model name is accepted by /v1/audio/transcriptions; others get the default.",
        responses={200: ModelListSerializer, **error_responses(401)},
    )
    def get(self, request, token=None):
        models = [
            {"id": model.name, "object": "model", "created": STARTED_AT, "owned_by": "speechsite"}
            for model in offered_models.offered_models()
        ]
        return Response({"object": "list", "data": models})
