"""Login, and a role, are required for every page, API and media file."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from django.contrib import messages
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.roles import ANNOTATOR, has_role
from accounts.users import page_user_key

API_PREFIX = "/api/"
NO_ROLE_SENTENCE = "Your account has no role yet, so it cannot see the library. Ask an admin to give you a role."
LOGGED_OUT_PRESS_SENTENCE = "You were logged out, so that was not done. Log in, then press the button again."


def _page_of_the_form(request: HttpRequest) -> str:
    """The path of the page a form was sent from (its Referer, when on this site); the home page otherwise."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    on_this_site = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    if not on_this_site or not parts.path.startswith("/"):
        return resolve_url("home")
    return parts.path + (f"?{parts.query}" if parts.query else "")


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's login-required middleware, answering APIs with 401 JSON instead of a redirect, and sending a
    form sent while logged out back to its own page after the login.

    Views opt out with ``django.contrib.auth.decorators.login_not_required``.
    """

    # django-stubs narrows this hook's return to the redirect Django's own version builds; its caller
    # (process_view) hands on any response, and APIs get a 401 JSON one here.
    def handle_no_permission(  # type: ignore[override]
        self, request: HttpRequest, view_func: Callable[..., HttpResponseBase]
    ) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"error": "You are not logged in. Log in and try again."}, status=401)
        if request.method in ("GET", "HEAD"):
            return super().handle_no_permission(request, view_func)
        # A button pressed after the session ended: after the login the browser would GET the button's address,
        # which only takes a POST (an empty 405 page). It goes back to the page the button was on instead.
        messages.warning(request, LOGGED_OUT_PRESS_SENTENCE)
        login_url = resolve_url(self.get_login_url(view_func))
        return redirect_to_login(_page_of_the_form(request), login_url, self.get_redirect_field_name(view_func))


#: The header a page's own requests carry: the user name the page was opened as, percent-encoded (names need not be ASCII).
PAGE_USER_HEADER = "X-Wiresag-Page-User"
#: And that user's key (``accounts.users.page_user_key``: its id and when it joined): only compared with the signed-in
#: user's, never looked up.
PAGE_USER_ID_HEADER = "X-Wiresag-Page-User-Id"


class SamePageUserMiddleware:
    """Refuses a request a page sends on its own (a save, a review decision) when the browser is now logged in as
    another user than the page was opened as.

    Logging in as someone else in another tab changes the session cookie the old tab sends too, and the page reads the
    rotated CSRF token from its cookie: the old tab's work was recorded as the new user's without a word. The page
    sends the name it was opened as (not an id the server would look up: that would tell anyone every user's name).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object) -> HttpResponse | None:
        sent = request.headers.get(PAGE_USER_HEADER)
        if sent is None or not request.user.is_authenticated:
            return None
        page_name, now_name = unquote(sent, errors="replace")[:150], request.user.get_username()
        if page_name == now_name:
            return None
        if request.headers.get(PAGE_USER_ID_HEADER) == page_user_key(request.user):
            # The same account under a new name (an admin renamed it while the page was open): logging in as the old
            # name, as the sentence below says, cannot work any more.
            sentence = (
                f"Your account was renamed from {page_name} to {now_name} while this page was open, so nothing was saved. "
                f"Reload this page to go on as {now_name}, then try again."
            )
            return JsonResponse({"error": sentence, "logged_in_as": now_name, "renamed": True}, status=403)
        sentence = (
            f"This page was opened as {page_name}, but this browser is now logged in as {now_name} (in another tab), "
            f"so nothing was saved. Log in as {page_name} again in another tab, then try again; "
            f"or reload this page to work as {now_name}."
        )
        return JsonResponse({"error": sentence, "logged_in_as": now_name}, status=403)


#: Pages a signed-in user without a role may still reach: to leave, to be told what to do, and to keep the account safe.
ROLELESS_ALLOWED = {"login", "logout", "health", "health_worker", "favicon", "password_change", "password_change_done"}


class RoleRequiredMiddleware:
    """A signed-in user with no role sees one page saying to ask an admin for a role.

    Without it, any account (a new one, or one whose role was taken away) would read the
    whole library and its media: the views only check roles for what they change.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or has_role(user, ANNOTATOR):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in ROLELESS_ALLOWED and not match.namespace:
            return None
        # A page's own request asking for JSON (the review queue's decisions) too: it took the HTML page for a login page.
        if request.path.startswith(API_PREFIX) or request.headers.get("accept", "").startswith("application/json"):
            return JsonResponse({"error": NO_ROLE_SENTENCE}, status=403)
        return render(request, "no_role.html", {"sentence": NO_ROLE_SENTENCE}, status=403)
