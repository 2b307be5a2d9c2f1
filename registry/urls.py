from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from registry import views

app_name = "registry"
urlpatterns: list[URLPattern | URLResolver] = [
    path("registry/", views.index, name="index"),
    path("registry/compare/", views.compare_view, name="compare"),
    path("registry/bundle/", views.activate_bundle, name="bundle"),
    path("registry/rollback/", views.rollback, name="rollback"),
    path("registry/weights/", views.weights, name="weights"),
    path("registry/<int:pk>/", views.detail, name="detail"),
    path("registry/<int:pk>/lineage.json", views.lineage_download, name="lineage"),
    path("registry/<int:pk>/activate/", views.activate, name="activate"),
    path("registry/<int:pk>/delete/", views.delete, name="delete"),
]
