from __future__ import annotations

from django.http import HttpRequest

from accounts.roles import ADMIN, ENGINEER, has_role


def roles(request: HttpRequest) -> dict[str, bool]:
    """Expose the user's roles to templates (for showing the navigation they may use)."""
    user = request.user
    return {"is_engineer": has_role(user, ENGINEER), "is_admin": has_role(user, ADMIN)}
