"""A sentence instead of Django's empty page when an address is opened with the wrong method."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render

API_PREFIX = "/api/"


class MethodNotAllowedPage:
    """Says what to do when an address that only a button sends to is opened (a bookmark, a typed address).

    Django answers with an empty 405 page: a user who opens ``/logout/`` sees a blank page and stays logged in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed) or response.content:
            return response
        allowed = response["Allow"]
        if request.path.startswith(API_PREFIX):
            answer: HttpResponse = JsonResponse({"error": f"This address takes {allowed} requests only."}, status=405)
        else:
            match = request.resolver_match
            if match is not None and match.url_name == "logout" and not match.namespace:
                sentence = "You are still logged in: opening this address does not log you out. Use the Log out button at the top."
            else:
                sentence = "This address only takes a button press on one of Wiresag's pages. Go back to that page and press its button."
            answer = render(request, "error.html", {"title": "Nothing was done", "sentence": sentence}, status=405)
        answer["Allow"] = allowed
        return answer
