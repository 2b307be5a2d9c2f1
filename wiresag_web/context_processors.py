from __future__ import annotations

from django.http import HttpRequest

from accounts.roles import ADMIN, ENGINEER, has_role
from accounts.users import page_user_key


def roles(request: HttpRequest) -> dict[str, bool]:
    """Expose the user's roles to templates (for showing the navigation they may use)."""
    user = request.user
    return {"is_engineer": has_role(user, ENGINEER), "is_admin": has_role(user, ADMIN)}


def page_user(request: HttpRequest) -> dict[str, str]:
    """The key a page sends back with its saves (``accounts.middleware.SamePageUserMiddleware``) and keeps drafts under."""
    user = request.user
    return {"page_user_key": page_user_key(user) if user.is_authenticated else ""}
