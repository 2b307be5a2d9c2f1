from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from training import views

app_name = "training"
urlpatterns: list[URLPattern | URLResolver] = [
    path("training/", views.dashboard, name="dashboard"),
    path("training/new/", views.launch, name="launch"),
    path("training/runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("training/runs/<int:run_id>/<str:action>/", views.control, name="control"),
]
