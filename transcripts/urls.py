from django.urls import path

from .views import downloads, history, jobs, media, new, segments, speakers, words

app_name = "transcripts"

urlpatterns = [
    path("", history.history, name="history"),
    path("new/", new.new, name="new"),
    path("words/", words.word_list, name="words"),
    path("t/<int:pk>/", jobs.detail, name="detail"),
    path("t/<int:pk>/status.json", jobs.status_json, name="status_json"),
    path("t/<int:pk>/delete/", jobs.delete, name="delete"),
    path("t/<int:pk>/retry/", jobs.retry, name="retry"),
    path("t/<int:pk>/cancel/", jobs.cancel, name="cancel"),
    path("t/<int:pk>/title/", jobs.edit_title, name="edit_title"),
    path("t/<int:pk>/summary/", jobs.summarize, name="summarize"),
    path("t/<int:pk>/media", media.media, name="media"),
    path("t/<int:pk>/download/<str:fmt>", downloads.download, name="download"),
    path("t/<int:pk>/segments.json", segments.segments_json, name="segments_json"),
    path("t/<int:pk>/segments/<int:index>/", segments.edit_segment, name="edit_segment"),
    path("t/<int:pk>/segments/<int:index>/revert/", segments.revert_segment, name="revert_segment"),
    path("t/<int:pk>/segments/<int:index>/speaker/", speakers.segment_speaker, name="segment_speaker"),
    path("t/<int:pk>/speakers/<int:index>/", speakers.rename_speaker, name="rename_speaker"),
]
