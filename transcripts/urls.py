from django.urls import path

from . import views

app_name = "transcripts"

urlpatterns = [
    path("", views.history, name="history"),
    path("new/", views.new, name="new"),
    path("t/<int:pk>/", views.detail, name="detail"),
    path("t/<int:pk>/status.json", views.status_json, name="status_json"),
    path("t/<int:pk>/segments.json", views.segments_json, name="segments_json"),
    path("t/<int:pk>/media", views.media, name="media"),
    path("t/<int:pk>/download/<str:fmt>", views.download, name="download"),
    path("t/<int:pk>/delete/", views.delete, name="delete"),
    path("t/<int:pk>/retry/", views.retry, name="retry"),
    path("t/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("t/<int:pk>/title/", views.edit_title, name="edit_title"),
    path("t/<int:pk>/segments/<int:index>/", views.edit_segment, name="edit_segment"),
    path("t/<int:pk>/segments/<int:index>/revert/", views.revert_segment, name="revert_segment"),
]
