from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from review import views as review_views

app_name = "review"
urlpatterns: list[URLPattern | URLResolver] = [
    path("review/", review_views.queue, name="queue"),
    path("review/<int:annotation_id>/decide", review_views.decide, name="decide"),
    path("review/preannotate", review_views.preannotate, name="preannotate"),
    path("inspect/", review_views.inspect, name="inspect"),
    path("inspect/compare", review_views.compare, name="compare"),
    path("jobs/<str:kind>/<str:job_id>/", review_views.job, name="job"),
    path("jobs/<str:kind>/<str:job_id>/status", review_views.job_status, name="job_status"),
    path("jobs/<str:kind>/<str:job_id>/again", review_views.job_again, name="job_again"),
    path("inspect/<str:job_id>/download.<str:fmt>", review_views.download, name="download"),
]
