from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from wiresag_web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    path("media/<path:path>", views.media, name="media"),
    path("admin/", admin.site.urls),
    path("", include("annotations.urls")),
    path("", include("interop.urls")),
    path("", include("review.urls")),
    path("", include("training.urls")),
    path("", include("registry.urls")),
]
