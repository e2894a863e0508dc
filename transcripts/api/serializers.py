"""What the API reads and writes. Validation of media, URLs, trims and limits is
transcripts.services' job; these serializers only check shapes and types."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guards import netguard
from timedtext.formats import DOWNLOADS
from transcripts import vocabulary
from transcripts.models import Transcription
from transcripts.speaker_count import SPEAKERS_HELP, BadSpeakerCount, parse_speaker_count, speaker_count_text


class ErrorDetailSerializer(serializers.Serializer):
    message = serializers.CharField()
    type = serializers.CharField()
    param = serializers.CharField(allow_null=True)
    code = serializers.CharField(allow_null=True)


class JobReferenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """Every error of the API, in the shape OpenAI's clients read."""

    error = ErrorDetailSerializer()
    field_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages, for invalid input.",
    )
    transcription = JobReferenceSerializer(required=False, help_text="The job concerned, where there is one.")


def check_webhook_url(url):
    """The address check of URL ingestion, applied to webhook targets."""
    if not url:
        return ""
    try:
        netguard.check_webhook_url(url, settings.URL_ALLOWED_HOSTS)
    except netguard.BlockedURL as exc:
        raise serializers.ValidationError(str(exc)) from exc
    return url


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        "description": "Names and terms to listen for: a list, or one string with one per line or commas between.",
    }
)
class WordsField(serializers.Field):
    """A job's words: a JSON list of strings, or one string (a form field) with
    one word or phrase a line or separated by commas."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            text = data
        elif isinstance(data, list) and all(isinstance(item, str) for item in data):
            text = "\n".join(data)
        else:
            raise serializers.ValidationError("Send the words as a string or a list of strings.")
        try:
            return vocabulary.check_words(vocabulary.parse_words(text))
        except vocabulary.TooManyWords as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value):
        return vocabulary.parse_words(value)


class NewTranscriptionSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="The audio or video file (multipart).")
    url = serializers.URLField(required=False, max_length=2000, help_text="Or a link to a video or audio file.")
    title = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")
    trim_start_s = serializers.FloatField(required=False, allow_null=True, min_value=0, default=None)
    trim_end_s = serializers.FloatField(required=False, allow_null=True, min_value=0, default=None)
    webhook_url = serializers.URLField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="Receives a signed POST when the job ends (done or failed).",
    )
    model = serializers.CharField(
        required=False, allow_blank=True, max_length=255, default="",
        help_text="An offered model (GET /v1/models); an unknown name is refused. Default: the site's default.",
    )
    language = serializers.CharField(
        required=False, allow_blank=True, max_length=32, default="",
        help_text="A code (en, de). Left out: detected by a multilingual model, or the model's own language.",
    )
    punctuation = serializers.BooleanField(
        required=False, default=True, help_text="Restore punctuation and capitals (where the server offers it)."
    )
    numbers = serializers.BooleanField(required=False, default=True, help_text="Write numbers as digits.")
    use_word_list = serializers.BooleanField(
        required=False, default=True, help_text="Listen for the words of your word list (the Words page)."
    )
    words = WordsField(required=False, default=list, help_text="This file's own names and terms to listen for.")
    summarize = serializers.BooleanField(
        required=False, default=False, help_text="Make a summary once the transcript is done (a job of its own)."
    )
    speaker_count = serializers.CharField(
        required=False, default="off", max_length=20, help_text=SPEAKERS_HELP + " Default: off."
    )

    def validate_speaker_count(self, value):
        try:
            parse_speaker_count(value)
        except BadSpeakerCount as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value

    def validate_webhook_url(self, value):
        return check_webhook_url(value)

    def validate(self, data):
        if bool(data.get("file")) == bool(data.get("url")):
            raise serializers.ValidationError("Send a file or a url, not both.")
        return data


class MediaSerializer(serializers.Serializer):
    source = serializers.CharField()
    source_url = serializers.CharField()
    original_name = serializers.CharField()
    size_bytes = serializers.IntegerField(allow_null=True)
    duration_s = serializers.FloatField(allow_null=True)
    has_video = serializers.BooleanField()


class SpeakerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="index")
    name = serializers.CharField()


class TranscriptionSerializer(serializers.ModelSerializer):
    media = MediaSerializer(read_only=True)
    webhook_url = serializers.CharField(read_only=True, help_text="Empty when the job has no webhook.")
    url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    segments_url = serializers.SerializerMethodField()
    downloads = serializers.SerializerMethodField()
    words = WordsField(read_only=True, help_text="This job's own words (the word list is applied besides, when used).")
    notes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="What a text stage could not do on the delivered transcript (a model that did not load, "
        "words the model cannot spell).",
    )
    summary_status = serializers.ChoiceField(
        Transcription.SummaryStatus.choices, read_only=True, help_text="Empty when no summary was asked for."
    )
    speaker_count = serializers.SerializerMethodField(help_text="The speakers asked for: off, auto, 3 or 2-4.")
    speakers = SpeakerSerializer(many=True, read_only=True, help_text="Who spoke, by the id segments carry.")

    class Meta:
        model = Transcription
        fields = [
            "id",
            "title",
            "status",
            "stage",
            "progress",
            "error",
            "duration_s",
            "trim_start_s",
            "trim_end_s",
            "model_name",
            "requested_model",
            "requested_language",
            "language",
            "language_probability",
            "webhook_url",
            "punctuation",
            "numbers",
            "use_word_list",
            "words",
            "summarize",
            "speaker_count",
            "speakers",
            "notes",
            "summary",
            "summary_status",
            "summary_error",
            "attempt",
            "created_at",
            "started_at",
            "finished_at",
            "media",
            "url",
            "page_url",
            "segments_url",
            "downloads",
        ]
        read_only_fields = fields

    def absolute(self, path):
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, transcription) -> str:
        return self.absolute(reverse("api:transcription-detail", args=[transcription.pk]))

    def get_speaker_count(self, transcription) -> str:
        return speaker_count_text(transcription)

    def get_page_url(self, transcription) -> str:
        return self.absolute(transcription.get_absolute_url())

    def get_segments_url(self, transcription) -> str:
        return self.absolute(reverse("api:transcription-segments", args=[transcription.pk]))

    @extend_schema_field(
        {"type": "object", "properties": {fmt: {"type": "string"} for fmt in DOWNLOADS}, "required": list(DOWNLOADS)}
    )
    def get_downloads(self, transcription):
        return {
            fmt: self.absolute(reverse("api:transcription-download", args=[transcription.pk, fmt])) for fmt in DOWNLOADS
        }


class WordSerializer(serializers.Serializer):
    word = serializers.CharField()
    start = serializers.FloatField()
    end = serializers.FloatField()
    speaker = serializers.CharField(required=False, help_text="The speaker's name, where speakers were told apart.")


class SegmentSerializer(serializers.Serializer):
    """The shape of timedtext.formats.segment_dict, which builds the answer (for
    the .json download and the pages too); this class documents it."""

    index = serializers.IntegerField()
    start = serializers.FloatField()
    end = serializers.FloatField()
    text = serializers.CharField(allow_blank=True)
    edited = serializers.BooleanField()
    speaker = serializers.CharField(allow_null=True, help_text="The speaker's name; null where speakers were not told apart.")
    words = WordSerializer(many=True, help_text="The words of the text with times; see the README for edited segments.")
