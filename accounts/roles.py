"""The three roles: annotator, engineer, admin (each can do what the one before can)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase, JsonResponse

ANNOTATOR = "annotator"
ENGINEER = "engineer"
ADMIN = "admin"
ROLES: tuple[str, ...] = (ANNOTATOR, ENGINEER, ADMIN)


def has_role(user: User | AnonymousUser, role: str) -> bool:
    """True when the user holds ``role`` or a stronger one. Superusers hold every role."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    # Read once per user object (one request, or one websocket connection), as Django caches permissions:
    # a page asks several times (middleware, view, menu), and each ask was a query.
    held: frozenset[str] | None = getattr(user, "_wiresag_roles", None)
    if held is None:
        held = frozenset(user.groups.values_list("name", flat=True))
        user._wiresag_roles = held  # type: ignore[attr-defined]
    return bool(held & set(ROLES[ROLES.index(role) :]))


def role_required(role: str) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Refuse users without ``role``: 403 JSON for APIs, Django's 403 page otherwise."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if has_role(request.user, role):
                return view(request, *args, **kwargs)
            if request.path.startswith("/api/"):
                return JsonResponse({"error": f"This needs the {role} role; ask an admin to grant it."}, status=403)
            raise PermissionDenied(f"This page needs the {role} role; ask an admin to grant it.")

        return wrapped

    return decorator
