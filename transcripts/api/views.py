"""The async jobs API: create a job and come back later (or get a webhook).

    POST   /api/transcriptions                      202, Location: the job
    GET    /api/transcriptions?status=&search=&page=
    GET    /api/transcriptions/{id}
    GET    /api/transcriptions/{id}/segments
    GET    /api/transcriptions/{id}/download.{txt,srt,vtt,json}
    POST   /api/transcriptions/{id}/retry | cancel | summary
    DELETE /api/transcriptions/{id}
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from timedtext.formats import DOWNLOADS, FORMATS, segment_dict
from transcripts import services
from transcripts.downloads import download_response, render_options
from transcripts.models import Transcription
from transcripts.ownership import get_own_transcription

from .base import (
    ApiView,
    Conflict,
    create_transcription,
    error_responses,
    invalid,
    refusal_error,
    refuse_upload_errors,
)
from .serializers import NewTranscriptionSerializer, SegmentSerializer, TranscriptionSerializer

TAG = ["Jobs"]
ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The transcription's id.")
Status = Transcription.Status


class TranscriptionPages(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        # DRF falls back to the default on a bad page_size; say so instead.
        value = request.query_params.get(self.page_size_query_param)
        if value is not None and not (value.isascii() and value.isdigit() and 1 <= int(value) <= self.max_page_size):
            raise invalid(f"page_size must be a whole number from 1 to {self.max_page_size}.", "page_size")
        return super().get_page_size(request)

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        if value is not None and not (value.isascii() and value.isdigit()):
            raise invalid("page must be a whole number.", "page")
        return super().get_page_number(request, paginator)


class TranscriptionList(ApiView, GenericAPIView):
    serializer_class = TranscriptionSerializer
    pagination_class = TranscriptionPages
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        transcriptions = Transcription.objects.for_history(self.request.user).prefetch_related("speakers")
        wanted_status = self.request.query_params.get("status", "")
        if wanted_status:
            if wanted_status not in Status.values:
                raise invalid(f"status must be one of {', '.join(Status.values)}.", "status")
            transcriptions = transcriptions.filter(status=wanted_status)
        return transcriptions.search(self.request.query_params.get("search", ""))

    @extend_schema(
        tags=TAG,
        operation_id="listTranscriptions",
        summary="List your transcriptions, newest first",
        parameters=[
            OpenApiParameter("status", enum=Status.values, description="Only jobs with this status."),
            OpenApiParameter("search", str, description="Words in the title or the transcript."),
        ],
        responses={200: TranscriptionSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=TAG,
        operation_id="createTranscription",
        summary="Queue a transcription of a file or a URL",
        description=(
            "Answers 202 at once; follow the job at the Location header, or pass a webhook_url. "
            "Media limits are those of the pages."
        ),
        request={"multipart/form-data": NewTranscriptionSerializer, "application/json": NewTranscriptionSerializer},
        responses={202: TranscriptionSerializer, **error_responses(400, 401, 413, 429)},
    )
    def post(self, request):
        refuse_upload_errors(request)
        form = NewTranscriptionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        transcription = create_transcription(
            request,
            upload=data.get("file"),
            url=data.get("url"),
            title=data["title"],
            trim_start_s=data["trim_start_s"],
            trim_end_s=data["trim_end_s"],
            webhook_url=data["webhook_url"],
            model=data["model"],
            language=data["language"],
            text=services.TextChoices(
                punctuation=data["punctuation"],
                numbers=data["numbers"],
                use_word_list=data["use_word_list"],
                words=tuple(data["words"]),
                summarize=data["summarize"],
                speaker_count=data["speaker_count"],
            ),
        )
        body = self.get_serializer(transcription).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class OwnTranscriptionView(ApiView, GenericAPIView):
    serializer_class = TranscriptionSerializer
    pagination_class = None  # one job, or all of its segments

    def get_object(self):
        # The routes take any path segment so that a malformed id gets the
        # API's JSON 404 rather than the site's HTML page.
        pk = self.kwargs["pk"]
        if not pk.isascii() or not pk.isdigit():
            raise NotFound()
        return get_own_transcription(self.request, int(pk), Transcription.objects.select_related("media"))


class TranscriptionDetail(OwnTranscriptionView):
    @extend_schema(
        tags=TAG,
        operation_id="getTranscription",
        parameters=[ID],
        summary="A job: status, progress, error, times",
        responses={200: TranscriptionSerializer, **error_responses(401, 404)},
    )
    def get(self, request, pk):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        tags=TAG,
        operation_id="deleteTranscription",
        parameters=[ID],
        summary="Delete a transcription and its stored media",
        responses={204: None, **error_responses(401, 404)},
    )
    def delete(self, request, pk):
        services.delete_transcription(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TranscriptionSegments(OwnTranscriptionView):
    serializer_class = SegmentSerializer

    @extend_schema(
        tags=TAG,
        operation_id="listSegments",
        parameters=[ID],
        summary="The transcript's segments with start/end seconds and word times",
        description="While a job runs, the segments finished so far.",
        responses={200: SegmentSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, pk):
        transcription = self.get_object()
        names = tuple(speaker.name for speaker in transcription.speakers.all())
        return Response(
            [segment_dict(segment.timed(), segment.index, speakers=names) for segment in transcription.segments.all()]
        )


class TranscriptionRetry(OwnTranscriptionView):
    @extend_schema(
        tags=TAG,
        operation_id="retryTranscription",
        parameters=[ID],
        summary="Queue a failed or canceled job again",
        request=None,
        responses={202: TranscriptionSerializer, **error_responses(401, 404, 409, 429)},
    )
    def post(self, request, pk):
        transcription = self.get_object()
        try:
            # When Redis is down the attempt stays queued and the reaper enqueues it later.
            services.retry(transcription)
        except services.RequestRefused as refusal:
            raise refusal_error(refusal) from refusal
        transcription.refresh_from_db()
        return Response(self.get_serializer(transcription).data, status=status.HTTP_202_ACCEPTED)


class TranscriptionCancel(OwnTranscriptionView):
    @extend_schema(
        tags=TAG,
        operation_id="cancelTranscription",
        parameters=[ID],
        summary="Cancel a queued or running job",
        request=None,
        responses={200: TranscriptionSerializer, **error_responses(401, 404, 409)},
    )
    def post(self, request, pk):
        transcription = self.get_object()
        if not transcription.cancel():
            raise Conflict(f"Only a queued or running job can be canceled; this one is {transcription.status}.")
        return Response(self.get_serializer(transcription).data)


class TranscriptionSummary(OwnTranscriptionView):
    @extend_schema(
        tags=TAG,
        operation_id="summarizeTranscription",
        parameters=[ID],
        summary="Make a summary of a finished transcript",
        description=(
            "Queues a summary (a job of its own; map-reduce over long transcripts). Follow the job: "
            "summary_status becomes done (summary) or failed (summary_error); the transcript is never changed. "
            "The .json download includes the summary."
        ),
        request=None,
        responses={202: TranscriptionSerializer, **error_responses(401, 404, 409)},
    )
    def post(self, request, pk):
        transcription = self.get_object()
        try:
            services.request_summary(transcription)
        except services.SummaryRefused as refusal:
            raise refusal_error(refusal) from refusal
        return Response(self.get_serializer(transcription).data, status=status.HTTP_202_ACCEPTED)


DOWNLOAD_TYPES = {fmt: FORMATS[fmt].content_type.split(";")[0] for fmt in DOWNLOADS}


class TranscriptionDownload(OwnTranscriptionView):

    @extend_schema(
        tags=TAG,
        operation_id="downloadTranscript",
        summary="The transcript as .txt, .srt, .vtt or .json (the pages' downloads)",
        parameters=[
            ID,
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(DOWNLOADS)),
            OpenApiParameter("max_chars", int, description="Subtitles: characters per line."),
            OpenApiParameter("max_lines", int, description="Subtitles: lines per cue."),
            OpenApiParameter("max_cue_s", float, description="Subtitles: seconds per cue."),
        ],
        responses={
            **{
                (200, media_type): OpenApiResponse(OpenApiTypes.OBJECT if fmt == "json" else OpenApiTypes.STR)
                for fmt, media_type in DOWNLOAD_TYPES.items()
            },
            **error_responses(400, 401, 404, 409),
        },
    )
    def get(self, request, pk, fmt):
        transcription = self.get_object()
        if fmt not in DOWNLOADS:
            raise NotFound(f"Unknown format; choose one of {', '.join(DOWNLOADS)}.")
        if transcription.status != Status.DONE:
            raise Conflict(f"The transcript is not ready: the job is {transcription.status}.")
        try:
            options = render_options(request.query_params)
        except (TypeError, ValueError) as exc:
            raise invalid(f"Invalid subtitle options: {exc}") from exc
        return download_response(transcription, fmt, options)
