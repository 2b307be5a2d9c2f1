from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from interop import views as interop_views

app_name = "interop"
urlpatterns: list[URLPattern | URLResolver] = [
    path("import/", interop_views.import_start, name="import_start"),
    path("import/<str:job_id>/", interop_views.import_map, name="import_map"),
    path("import/<str:job_id>/apply/", interop_views.import_apply, name="import_apply"),
    path("import/<str:job_id>/cancel/", interop_views.import_cancel, name="import_cancel"),
    path("export/", interop_views.export_view, name="export"),
    path("export/<str:job_id>/", interop_views.export_job, name="export_job"),
    path("export/<str:job_id>/status", interop_views.export_status, name="export_status"),
    path("export/<str:job_id>/download", interop_views.export_download, name="export_download"),
]
