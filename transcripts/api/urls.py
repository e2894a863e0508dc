from django.urls import include, path, re_path

from . import asr, docs, openai, tokens, views

TOKEN_IN_PATH = "t/<str:token>/"

token_patterns = [
    path("", tokens.token_list, name="list"),
    path("<int:pk>/revoke", tokens.revoke, name="revoke"),
    path("webhook-secret/rotate", tokens.rotate_webhook_secret, name="rotate_webhook_secret"),
]

# Tools that only take a base URL put the token in the path (/t/<token>/asr);
# the same views, left out of the schema.
compatible_patterns = [
    ("v1/audio/transcriptions", openai.AudioTranscriptions, "openai-transcriptions"),
    ("v1/models", openai.Models, "openai-models"),
    ("asr", asr.Asr, "asr"),
    ("detect-language", asr.DetectLanguage, "detect-language"),
]

api_patterns = [
    path("api/schema/", docs.Schema.as_view(), name="schema"),
    path("api/docs/", docs.docs_page, name="docs"),
    path("api/transcriptions", views.TranscriptionList.as_view(), name="transcription-list"),
    path("api/transcriptions/<str:pk>", views.TranscriptionDetail.as_view(), name="transcription-detail"),
    path("api/transcriptions/<str:pk>/segments", views.TranscriptionSegments.as_view(), name="transcription-segments"),
    re_path(
        r"^api/transcriptions/(?P<pk>[^/]+)/download\.(?P<fmt>[^/]+)$",
        views.TranscriptionDownload.as_view(),
        name="transcription-download",
    ),
    path("api/transcriptions/<str:pk>/retry", views.TranscriptionRetry.as_view(), name="transcription-retry"),
    path("api/transcriptions/<str:pk>/cancel", views.TranscriptionCancel.as_view(), name="transcription-cancel"),
    path("api/transcriptions/<str:pk>/summary", views.TranscriptionSummary.as_view(), name="transcription-summary"),
    *[path(route, view.as_view(), name=name) for route, view, name in compatible_patterns],
    *[
        path(TOKEN_IN_PATH + route, view.as_view(schema=None), name=f"{name}-token-in-path")
        for route, view, name in compatible_patterns
    ],
]

urlpatterns = [
    path("tokens/", include((token_patterns, "tokens"))),
    path("", include((api_patterns, "api"))),
]
