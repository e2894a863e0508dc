"""What speechsite stores: the media a person gave us, the transcription jobs run
on it, and the timed segments they produced.

The database row of a Transcription is the truth about a job. RQ's own status and
registries can contradict each other or vanish with a Redis restart, so every
attempt carries a lease token, and a worker only writes while its lease holds.
"""

import hashlib
import logging
import secrets
import uuid
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from timedtext import Segment as TimedSegment
from timedtext import Transcript, Word
from timedtext.languages import display_name
from timedtext.words import words_for_text
from transcripts.search_index import transcriptions_sql
from transcripts.search_words import parse_query, search_text_of

log = logging.getLogger(__name__)


def media_upload_path(media, filename):
    # Never the client's name or path: a generated name cannot traverse or
    # overwrite. The suffix is cosmetic (ffprobe decides the type).
    suffix = Path(filename).suffix.lower()[:10]
    if not suffix[1:].isalnum():
        suffix = ""
    return f"media/{media.owner_id}/{uuid.uuid4().hex}{suffix}"


class Media(models.Model):
    """An uploaded file or a file downloaded from a URL, kept for replay and retry."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "File"
        URL = "url", "URL"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media")
    source = models.CharField(max_length=10, choices=Source.choices)
    source_url = models.URLField(max_length=2000, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    # Empty until a URL has been downloaded.
    file = models.FileField(upload_to=media_upload_path, max_length=255, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    # Of the stored bytes: a worker checks its copy against it.
    sha256 = models.CharField(max_length=64, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    has_video = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "media"

    def __str__(self):
        return self.original_name or self.source_url or f"media {self.pk}"

    def delete_file(self):
        if not self.file:
            return
        try:
            self.file.delete(save=False)
        except OSError as exc:  # the storage is down (transcripts.storage.StorageUnavailable), a disk error
            # The row is gone already: keep the deletion, name the orphan for the admins.
            log.error("media file %s of deleted media %s not removed: %s", self.file.name, self.pk, exc)


@receiver(post_delete, sender=Media)
def delete_media_file(sender, instance, **kwargs):
    """Whatever deleted the row (a page, the API, the admin, a deleted account),
    the stored file goes too: once the deletion is committed, so that a rollback
    never loses a file whose row survives."""
    transaction.on_commit(instance.delete_file)


class TranscriptionQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def for_history(self, user):
        # Only what a row of the page shows: the job's options, errors and
        # notes stay in the database.
        return (
            self.owned_by(user)
            .select_related("media")
            .only(*HISTORY_COLUMNS)
            .order_by("-created_at", "-pk")
        )

    def search(self, text):
        """Transcriptions whose title holds the words as typed, or with a
        segment that matches them (transcripts/search_index.py: the full-text index)."""
        query = parse_query(text)
        if not query:
            return self if not query.text else self.filter(self._by_name(query.text))
        sql, params = transcriptions_sql(query)
        return self.filter(self._by_name(query.text) | Q(pk__in=RawSQL(sql, params)))

    def named(self, text):
        """Transcriptions whose title or one of whose speakers' names holds `text`."""
        return self.filter(self._by_name(text))

    @staticmethod
    def _by_name(text):
        # Titles and speaker names as typed (a scan of the person's own rows).
        return Q(title__icontains=text) | Q(pk__in=Speaker.objects.filter(name__icontains=text).values("transcription_id"))

    def unfinished(self):
        return self.filter(status__in=Transcription.UNFINISHED)


HISTORY_COLUMNS = (
    "id", "title", "status", "created_at", "duration_s", "owner_id", "media_id",
    "media__id", "media__source", "media__duration_s",
)


class SpeakersMode(models.TextChoices):
    OFF = "off", "No"
    AUTO = "auto", "Find how many"
    COUNT = "count", "A given number"


class Transcription(models.Model):
    """One transcription job on one piece of media, and its outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELED = "canceled"

    class Stage(models.TextChoices):
        WAITING = "waiting", "Waiting in the queue"
        DOWNLOADING = "downloading", "Downloading"
        DECODING = "decoding", "Reading the audio"
        TRANSCRIBING = "transcribing", "Transcribing"
        POLISHING = "polishing", "Adding punctuation and numbers"
        SPEAKERS = "speakers", "Telling speakers apart"
        SAVING = "saving", "Saving"
        FINISHED = "finished", "Finished"

    class SummaryStatus(models.TextChoices):
        NONE = "", "No summary"
        QUEUED = "queued", "Waiting in the queue"
        RUNNING = "running", "Summarising"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    UNFINISHED = (Status.QUEUED, Status.RUNNING)
    RETRYABLE = (Status.FAILED, Status.CANCELED)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transcriptions")
    media = models.ForeignKey(Media, on_delete=models.CASCADE, related_name="transcriptions")
    title = models.CharField(max_length=255)

    # Options, as the person chose them.
    trim_start_s = models.FloatField(null=True, blank=True)
    trim_end_s = models.FloatField(null=True, blank=True)
    model_name = models.CharField(max_length=255, help_text="The offered model that runs the job (STT_MODELS).")
    requested_model = models.CharField(max_length=255, blank=True, help_text="What an API client asked for.")
    # English unless services.create_transcription says otherwise (rows from
    # before were all English, the one model's language).
    requested_language = models.CharField(
        max_length=16, blank=True, default="en", help_text="The language asked for; empty: the model detects it."
    )
    # What the transcript is in: the language asked for, or the one the model
    # detected (then with its probability). Empty until a detection has run.
    language = models.CharField(max_length=16, blank=True, default="en")
    language_probability = models.FloatField(null=True, blank=True)
    webhook_url = models.URLField(max_length=2000, blank=True)
    # The text stages this job asked for; each also needs the site's setting
    # (PUNCTUATION_MODEL, NUMBERS_AS_DIGITS, WORD_LISTS).
    punctuation = models.BooleanField(default=True, help_text="Restore punctuation and capitals.")
    numbers = models.BooleanField(default=True, help_text="Write numbers as digits.")
    use_word_list = models.BooleanField(default=True, help_text="Listen for the words of the owner's list.")
    words = models.TextField(blank=True, help_text="This job's own words to listen for, one per line.")
    summarize = models.BooleanField(default=False, help_text="Queue a summary when the transcript is done.")
    # Who spoke: off, found automatically, or a count (min = max: exactly that
    # many). Also needs the site's DIARIZATION setting.
    speakers_mode = models.CharField(
        max_length=5, choices=SpeakersMode.choices, default=SpeakersMode.OFF, help_text="Tell speakers apart."
    )
    speakers_min = models.PositiveSmallIntegerField(null=True, blank=True, help_text="At least this many speakers.")
    speakers_max = models.PositiveSmallIntegerField(null=True, blank=True, help_text="At most this many speakers.")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.WAITING)
    progress = models.FloatField(default=0.0, help_text="Percent of the current stage.")
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    duration_s = models.FloatField(null=True, blank=True, help_text="Seconds of audio transcribed.")
    transcribing_started_at = models.DateTimeField(null=True, blank=True)
    # Bumped whenever the finished text changes (a run ends, a segment is edited),
    # so that rendered downloads can be cached under it.
    text_revision = models.PositiveIntegerField(default=0)

    # Attempts: each one has its own RQ job id and lease token.
    attempt = models.PositiveIntegerField(default=0)
    # Attempts in a row whose worker died (reset when a person retries).
    worker_deaths = models.PositiveIntegerField(default=0)
    lease = models.UUIDField(null=True, blank=True)
    # Host and process of the worker that took the current attempt.
    worker = models.CharField(max_length=255, blank=True)
    # Where the audio is cut into chunks ([[start_s, end_s], ...]) and what made
    # those cuts (chunk_plan_key): an attempt after a dead worker cuts the same
    # way and goes on from the chunks whose segments are saved.
    chunk_plan = models.JSONField(default=list, blank=True)
    chunk_plan_key = models.CharField(max_length=64, blank=True)
    rq_job_id = models.CharField(max_length=100, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    error = models.TextField(blank=True, help_text="Shown to the owner as it is.")
    error_detail = models.TextField(blank=True, help_text="Traceback, for admins.")
    # Stages that could not do their work on a delivered transcript (a model that
    # did not load, words the model cannot spell): shown to the owner as they are.
    notes = models.JSONField(default=list, blank=True)

    # The summary: its own job on the workers (workers/summaries.py).
    summary = models.TextField(blank=True)
    summary_status = models.CharField(max_length=10, choices=SummaryStatus.choices, default=SummaryStatus.NONE, blank=True)
    summary_error = models.TextField(blank=True, help_text="Shown to the owner as it is.")
    summary_requested_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TranscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The history's order, ties included, read straight off the index.
        indexes = [models.Index(fields=["owner", "-created_at", "-id"], name="transcription_history")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("transcripts:detail", args=[self.pk])

    def download_url(self, fmt):
        return reverse("transcripts:download", args=[self.pk, fmt])

    @property
    def is_unfinished(self):
        return self.status in self.UNFINISHED

    @property
    def can_retry(self):
        return self.status in self.RETRYABLE

    def bump_text_revision(self):
        Transcription.objects.filter(pk=self.pk).update(text_revision=models.F("text_revision") + 1)

    @property
    def full_text(self):
        return " ".join(segment.text for segment in self.segments.all() if segment.text)

    def transcript(self, segments=None):
        """The finished transcript as timedtext renders it (`segments`: rows
        already loaded, else all of them)."""
        rows = self.segments.all() if segments is None else segments
        return Transcript(
            segments=tuple(row.timed() for row in rows),
            duration_s=self.duration_s or 0.0,
            title=self.title,
            language=self.language,
            summary=self.summary if self.summary_status == self.SummaryStatus.DONE else "",
            speakers=tuple(speaker.name for speaker in self.speakers.all()),
        )

    @property
    def speakers_label(self):
        """How many speakers the job asked for, in words ("" when none)."""
        if self.speakers_mode == SpeakersMode.AUTO:
            return "found automatically"
        if self.speakers_mode != SpeakersMode.COUNT:
            return ""
        if self.speakers_min == self.speakers_max:
            return f"exactly {self.speakers_min}"
        return f"{self.speakers_min} to {self.speakers_max}"

    @property
    def language_detected(self):
        return not self.requested_language and bool(self.language)

    @property
    def model_label(self):
        """The model's name without a hub owner or a server folder (STT_MODEL
        may name either): "hubert-large-ls960-ft"."""
        return self.model_name.rstrip("/").rsplit("/", 1)[-1]

    @property
    def language_label(self):
        """'German (detected)', 'English', or '' while a detection has not run."""
        if not self.language:
            return ""
        name = display_name(self.language)
        return f"{name} (detected)" if self.language_detected else name

    def new_attempt(self):
        """Give the job a fresh lease; an older attempt still running loses its right to write."""
        self.attempt += 1
        self.lease = uuid.uuid4()
        self.rq_job_id = f"transcription-{self.pk}-{self.attempt}"
        self.status = self.Status.QUEUED
        self.stage = self.Stage.WAITING
        self.progress = 0.0
        self.chunks_done = 0
        self.chunks_total = 0
        self.error = ""
        self.error_detail = ""
        self.language = self.requested_language  # a detection runs again
        self.language_probability = None
        self.notes = []
        self.transcribing_started_at = None
        # The segments will be replaced: a summary of the old ones would mislead.
        self.summary = ""
        self.summary_status = self.SummaryStatus.NONE
        self.summary_error = ""
        self.queued_at = timezone.now()
        self.heartbeat_at = None
        self.started_at = None
        self.finished_at = None

    def cancel(self):
        """Cancel a queued or running job; the running attempt sees its lease gone and stops."""
        updated = Transcription.objects.filter(pk=self.pk, status__in=self.UNFINISHED).update(
            status=self.Status.CANCELED, lease=None, finished_at=timezone.now(), error=""
        )
        self.refresh_from_db()
        return bool(updated)


class SegmentQuerySet(models.QuerySet):
    """Every write of a segment's text writes its search words too
    (transcripts/search_words.py), whichever code writes it: the database's search
    index follows the `search_text` column (migration 0009).

    Speaker names find transcripts today (TranscriptionQuerySet._by_name). For
    segments to be found by who said them, a speaker's name belongs in
    `search_text` too: compute it here and in Segment.save from the name as well,
    and rewrite the segments' `search_text` when a speaker is renamed; the index
    and every query then follow without other changes."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.search_text = search_text_of(obj.text)
        fields = kwargs.get("update_fields")
        if fields and "text" in fields and "search_text" not in fields:
            kwargs["update_fields"] = [*fields, "search_text"]
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if "text" in fields:
            for obj in objs:
                obj.search_text = search_text_of(obj.text)
            fields = [*fields, "search_text"]
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        if "text" in kwargs and "search_text" not in kwargs:  # bulk_update passes both
            if not isinstance(kwargs["text"], str):
                raise TypeError("Segment text must be updated with a string, so that its search words follow it.")
            kwargs["search_text"] = search_text_of(kwargs["text"])
        return super().update(**kwargs)


class Segment(models.Model):
    """A timed piece of a transcript. `text` is what the owner sees; `original_text`
    is the readable text the pipeline made (punctuated, numbers as digits), kept so
    that an edit can be reverted; `heard_words` is what the speech model heard
    before the text stages (the page's raw view)."""

    transcription = models.ForeignKey(Transcription, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start_s = models.FloatField()
    end_s = models.FloatField()
    text = models.TextField(blank=True)
    original_text = models.TextField(blank=True)
    # The words of original_text, as timedtext.Word.as_dict(): times absolute.
    # An edited text is timed from them (timedtext.words.words_for_text).
    words = models.JSONField(default=list, blank=True)
    # The words as the model heard them, in the same time span.
    heard_words = models.JSONField(default=list, blank=True)
    # Speaker.index of who said it; null where speakers were not told apart.
    speaker = models.PositiveSmallIntegerField(null=True, blank=True)
    # The words of `text` as the search index holds them (transcripts/search_words.py),
    # written with every write of `text` (SegmentQuerySet, save).
    search_text = models.TextField(blank=True, default="", editable=False)

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["transcription", "index"]
        constraints = [
            models.UniqueConstraint(fields=["transcription", "index"], name="unique_segment_index_per_transcription"),
        ]

    def __str__(self):
        return f"{self.start_s:.2f}–{self.end_s:.2f} {self.text[:40]}"

    @property
    def is_edited(self):
        return self.text != self.original_text

    def save(self, *args, **kwargs):
        self.search_text = search_text_of(self.text)
        fields = kwargs.get("update_fields")
        if fields is not None and "text" in fields and "search_text" not in fields:
            kwargs["update_fields"] = [*fields, "search_text"]
        super().save(*args, **kwargs)

    @property
    def heard_text(self):
        return " ".join(word["word"] for word in self.heard_words or ())

    def timed(self, with_words=True):
        """This segment as a timedtext.Segment: the words of its text, timed by
        the one rule for edited text (timedtext/words.py). Without words, the
        `words` column is not read (it may be deferred)."""
        words = ()
        if with_words:
            heard = tuple(Word.from_dict(word) for word in self.words or ())
            # A segment has one speaker (the pipeline cuts segments where it
            # changes), and a corrected speaker is the segment's: its words follow.
            words = tuple(
                replace(word, speaker=self.speaker)
                for word in words_for_text(self.text, heard, self.start_s, self.end_s)
            )
        return TimedSegment(
            start_s=self.start_s, end_s=self.end_s, text=self.text, words=words, edited=self.is_edited,
            speaker=self.speaker,
        )


class Speaker(models.Model):
    """A voice told apart in a transcription. `index` is what Segment.speaker
    holds; `name` is what the owner calls it ("Speaker 1" until named): renaming
    it renames it in the whole transcript."""

    transcription = models.ForeignKey(Transcription, on_delete=models.CASCADE, related_name="speakers")
    index = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["transcription", "index"]
        constraints = [
            models.UniqueConstraint(fields=["transcription", "index"], name="unique_speaker_index_per_transcription"),
        ]

    def __str__(self):
        return self.name


class WordList(models.Model):
    """A person's own words (names, product words, jargon), one word or phrase
    a line, that the speech model listens for in every job they start."""

    MAX_WORDS = 2000
    MAX_WORD_CHARS = 100

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="word_list")
    words = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"word list of {self.owner}"

    @property
    def entries(self):
        return [line for line in self.words.splitlines() if line.strip()]

    @classmethod
    def entries_of(cls, user):
        """The words of `user`'s list ([] when they have none)."""
        found = cls.objects.filter(owner=user).values_list("words", flat=True).first()
        return [line for line in (found or "").splitlines() if line.strip()]


def new_api_token():
    """A token for the API: 256 random bits, URL-safe so that it can ride in a path."""
    return ApiToken.PREFIX + secrets.token_urlsafe(32)


def hash_api_token(token):
    # The token is random and long, so a plain SHA-256 is enough: there is
    # nothing to brute-force, and lookups by hash stay one indexed query.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A named API token. Only its SHA-256 is stored; the token itself is shown
    once, when it is created."""

    PREFIX = "ss_"
    DISPLAY_CHARS = 10

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters, so that the owner can tell tokens apart.
    prefix = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, owner, name):
        """(ApiToken, token): the token in clear is returned here and never again."""
        token = new_api_token()
        api_token = cls.objects.create(
            owner=owner, name=name, token_hash=hash_api_token(token), prefix=token[: cls.DISPLAY_CHARS]
        )
        return api_token, token

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    def revoke(self):
        ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.refresh_from_db()


def new_webhook_secret():
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookSecret(models.Model):
    """The key a user's webhooks are signed with. Kept in clear: the worker needs
    it to sign, and the owner reads it on the tokens page to verify."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_secret")
    secret = models.CharField(max_length=100, default=new_webhook_secret)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"webhook secret of {self.owner}"

    @classmethod
    def for_user(cls, user):
        secret, _ = cls.objects.get_or_create(owner=user)
        return secret

    def rotate(self):
        self.secret = new_webhook_secret()
        self.save()
