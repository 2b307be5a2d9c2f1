"""Login is required for every page, API and media file."""

from __future__ import annotations

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's login-required middleware, answering APIs with 401 JSON instead of a redirect.

    Views opt out with ``django.contrib.auth.decorators.login_not_required``.
    """

    def handle_no_permission(self, request: HttpRequest, view_func: object) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return JsonResponse(
                {"error": "You are not logged in. Log in and try again."}, status=401
            )
        return super().handle_no_permission(request, view_func)
