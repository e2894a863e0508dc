"""What every API view shares: JSON errors in one shape, Bearer tokens, and the
refusals of transcripts.services turned into HTTP answers."""

import time

from django.conf import settings
from django.urls import reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView, exception_handler

from transcripts import services
from transcripts.models import Transcription
from transcripts.uploads import upload_errors

from .serializers import ErrorSerializer

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    406: "invalid_request_error",
    409: "conflict_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
    503: "service_unavailable_error",
    504: "timeout_error",
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"


class TooManyJobs(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_unfinished_jobs"


class StorageDown(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "storage_unavailable"


class Unavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"


class WaitedTooLong(exceptions.APIException):
    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_code = "wait_limit"


class JobError(exceptions.APIException):
    """An error about one job; the answer names the job so that the client can follow it."""

    def __init__(self, detail, transcription, status_code, code):
        super().__init__(detail, code)
        self.status_code = status_code
        self.transcription = transcription


def invalid(message, param=None, code="invalid"):
    return exceptions.ValidationError({param or "non_field_errors": [message]}, code=code)


def first_message(data):
    """(param, message) of the first message in DRF's error data."""
    if isinstance(data, dict):
        for key, value in data.items():
            _, message = first_message(value)
            return (None if key in ("non_field_errors", "detail") else key), message
    if isinstance(data, list) and data:
        return first_message(data[0])
    return None, str(data)


def flatten_field_errors(data):
    return {key: [str(item) for item in (value if isinstance(value, list) else [value])] for key, value in data.items()}


def api_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        return None
    param, message = first_message(response.data)
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    _, code = first_message(codes) if codes is not None else (None, None)
    body = {
        "error": {
            "message": message,
            "type": ERROR_TYPES.get(response.status_code, "server_error"),
            "param": param,
            "code": code,
        }
    }
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        body["field_errors"] = flatten_field_errors(response.data)
    transcription = getattr(exc, "transcription", None)
    if transcription is not None:
        path = reverse("api:transcription-detail", args=[transcription.pk])
        body["transcription"] = {"id": transcription.pk, "url": context["request"].build_absolute_uri(path)}
    response.data = body
    return response


class IgnoreAcceptNegotiation(DefaultContentNegotiation):
    """Answer in the view's own format whatever the Accept header says: tools
    send all sorts of Accept headers for subtitles and plain text, and a 406
    helps none of them."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ApiView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = IgnoreAcceptNegotiation

    def get_exception_handler(self):
        return api_exception_handler


def refuse_upload_errors(request):
    """The upload handler drops a file over MAX_UPLOAD_BYTES; say so, before
    the form complains that the file is missing."""
    request.data  # parses the body: the handler notes what it dropped
    errors = upload_errors(request)
    if errors:
        raise PayloadTooLarge(next(iter(errors.values())))


def refusal_error(refusal):
    """The HTTP answer to a services.RequestRefused: 429 for the per-user limit on
    unfinished jobs, 409 for a job in the wrong state, 503 when the media storage is
    down, 400 otherwise."""
    if isinstance(refusal, services.StorageDown):
        return StorageDown(refusal.message)
    if isinstance(refusal, services.TooManyUnfinishedJobs):
        return TooManyJobs(refusal.message)
    if isinstance(refusal, (services.NotRetryable, services.SummaryRefused)):
        return Conflict(refusal.message)
    return invalid(refusal.message, refusal.field, code="refused")


def create_transcription(request, **options):
    """services.create_transcription for an API request, its refusals as HTTP errors."""
    try:
        return services.create_transcription(request.user, **options).transcription
    except services.RequestRefused as refusal:
        raise refusal_error(refusal) from refusal


def wait_for_job(transcription):
    """Poll the row until the job has ended; JobError 504 after API_WAIT_LIMIT_S
    (the job goes on). Returns the finished transcription."""
    deadline_s = time.monotonic() + settings.API_WAIT_LIMIT_S
    pause_s = 0.1
    while True:
        transcription.refresh_from_db(fields=["status"])
        if transcription.status not in Transcription.UNFINISHED:
            transcription.refresh_from_db()
            return transcription
        if time.monotonic() >= deadline_s:
            raise JobError(
                f"The transcription (job {transcription.pk}) is still {transcription.status} after "
                f"{settings.API_WAIT_LIMIT_S:g} s. It goes on: follow it at "
                f"{reverse('api:transcription-detail', args=[transcription.pk])}.",
                transcription,
                status.HTTP_504_GATEWAY_TIMEOUT,
                "wait_limit",
            )
        time.sleep(min(pause_s, max(0.0, deadline_s - time.monotonic())))
        pause_s = min(pause_s * 1.5, 2.0)


def finished_or_error(transcription):
    """The transcription when done; a JobError that says why otherwise."""
    if transcription.status == Transcription.Status.DONE:
        return transcription
    if transcription.status == Transcription.Status.CANCELED:
        raise JobError(f"The transcription (job {transcription.pk}) was canceled.", transcription, 409, "canceled")
    # A failed job: almost always the file (unreadable, no speech the model could use).
    raise JobError(transcription.error or "The transcription failed.", transcription, 400, "transcription_failed")


def error_responses(*status_codes):
    """drf-spectacular `responses` entries for the errors an operation can answer."""
    return {code: ErrorSerializer for code in status_codes}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "transcripts.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An API token from the API tokens page."}
