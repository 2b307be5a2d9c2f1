from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.forms import LoginForm
from wiresag_web import help as help_pages
from wiresag_web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    path("health/worker/", views.health_worker, name="health_worker"),
    # Pages that name no icon (the admin, embedded TensorBoard) still make the browser ask for /favicon.ico.
    path("favicon.ico", login_not_required(RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)), name="favicon"),
    path("media/<path:path>", views.media, name="media"),
    path("help/", help_pages.index, name="help"),
    path("help/screenshots/<str:name>", help_pages.screenshot, name="help_screenshot"),
    path("help/<str:name>/", help_pages.page, name="help_page"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("annotations.urls")),
    path("", include("interop.urls")),
    path("", include("review.urls")),
    path("", include("training.urls")),
    path("", include("registry.urls")),
]

# Pages that say the view's sentence (which role is needed, what is gone) instead of a bare status.
handler400 = views.bad_request
handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
