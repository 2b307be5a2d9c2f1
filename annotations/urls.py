from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from annotations import api, views

app_name = "annotations"
urlpatterns: list[URLPattern | URLResolver] = [
    path("library/", views.library, name="library"),
    path("images/<int:image_id>/annotate/", views.annotate, name="annotate"),
    path("statistics/", views.statistics, name="statistics"),
    path("api/images/upload", api.upload_images, name="api-upload"),
    path("api/images/<int:image_id>/annotations", api.image_annotations, name="api-annotations"),
]
