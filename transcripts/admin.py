from django.contrib import admin, messages
from django.utils.html import format_html

from . import services
from .models import Media, Segment, Speaker, Transcription, WordList


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "source", "duration_s", "size_bytes", "has_video", "created_at"]
    list_filter = ["source", "has_video", "created_at"]
    search_fields = ["original_name", "source_url", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at", "sha256"]


class SegmentInline(admin.TabularInline):
    model = Segment
    fields = ["index", "start_s", "end_s", "speaker", "text", "original_text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class SpeakerInline(admin.TabularInline):
    # Names only: who said what is the owner's to correct, on the page.
    model = Speaker
    fields = ["index", "name"]
    readonly_fields = ["index"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Transcription)
class TranscriptionAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "status", "stage", "progress", "model_name", "language", "attempt", "created_at", "finished_at"]
    list_filter = ["status", "model_name", "owner", "created_at"]
    search_fields = ["title", "owner__username", "error"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    raw_id_fields = ["owner", "media"]
    readonly_fields = [
        "status", "stage", "progress", "chunks_done", "chunks_total", "duration_s", "attempt", "lease",
        "rq_job_id", "heartbeat_at", "error", "error_traceback", "created_at", "started_at", "finished_at",
        "worker", "chunk_plan", "chunk_plan_key", "language", "language_probability", "notes", "summary_status",
        "summary_error", "summary_requested_at",
    ]
    exclude = ["error_detail"]
    inlines = [SpeakerInline, SegmentInline]
    actions = ["retry", "cancel"]

    @admin.display(description="Traceback (and what the text stages could not do)")
    def error_traceback(self, transcription):
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", transcription.error_detail or "–")

    @admin.action(description="Retry the selected transcriptions (as their owners' Retry button does)")
    def retry(self, request, queryset):
        queued, unavailable, refused = 0, 0, []
        for transcription in queryset.select_related("media", "owner"):
            try:
                retried = services.retry(transcription)
            except services.RequestRefused as refusal:
                refused.append(f"#{transcription.pk}: {refusal.message}")
                continue
            queued += retried.queued
            unavailable += not retried.queued
        self.message_user(request, f"{queued} transcription(s) queued again.", messages.SUCCESS)
        if unavailable:
            self.message_user(
                request,
                f"{unavailable} kept as queued: Redis is unreachable; they are queued when it is back.",
                messages.WARNING,
            )
        if refused:
            self.message_user(request, "Not retried: " + " ".join(refused), messages.ERROR)

    @admin.action(description="Cancel the selected queued or running transcriptions")
    def cancel(self, request, queryset):
        canceled = sum(transcription.cancel() for transcription in queryset.filter(status__in=Transcription.UNFINISHED))
        self.message_user(request, f"{canceled} transcription(s) canceled.", messages.SUCCESS)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["transcription", "index", "start_s", "end_s", "text"]
    search_fields = ["text", "transcription__title"]
    list_select_related = ["transcription"]
    raw_id_fields = ["transcription"]
    readonly_fields = ["original_text", "words", "heard_words"]


@admin.register(WordList)
class WordListAdmin(admin.ModelAdmin):
    list_display = ["owner", "updated_at"]
    search_fields = ["owner__username"]
    raw_id_fields = ["owner"]
