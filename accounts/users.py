"""Creating users with a role (used by the admin command and the demo)."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, AnonymousUser, Group, User
from django.core.exceptions import ValidationError

from accounts.roles import ROLES

#: Who an action is done for: a request's user (signed in, or anonymous), or nobody (a job, the shell, a test).
Actor = User | AnonymousUser | None


def recorded_user(user: Actor) -> User | None:
    """The user to store in a "by whom" column: the signed-in user, or None for an anonymous one or nobody."""
    if user is None or isinstance(user, AnonymousUser):
        return None
    return user


def page_user_key(user: AbstractUser) -> str:
    """Who a page was opened as, in a form no later account can share: its id and the moment it joined.

    An id alone is handed out again once the database is restored from a backup older than the account (and on
    databases that reuse freed ids): a new colleague would have been told their account was renamed from someone
    else's name, and offered that person's drafts on a shared computer to save as theirs.
    """
    return f"{user.pk}-{int(user.date_joined.timestamp() * 1_000_000)}"


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user_with_role(username: str, password: str, role: str, email: str = "") -> AbstractUser:
    """Create a user in the role's group; an admin is also staff and superuser (Django admin, ``accounts.signals``)."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    user_model = get_user_model()
    username = user_model.normalize_username(username)  # as Django stores it: ｆｕｌｌwidth letters fold
    field = user_model._meta.get_field("username")
    try:
        field.run_validators(username)
        if len(username) > (field.max_length or 150):
            raise ValidationError(f"It is longer than {field.max_length} characters.")
    except ValidationError as error:
        reason = " ".join(error.messages) if hasattr(error, "messages") else str(error)
        raise ValueError(f"{username[:60]!r} cannot be a user name: {reason}") from None
    if user_model.objects.filter(username=username).exists():
        raise ValueError(f"A user named {username!r} already exists; choose another name.")
    user = user_model.objects.create_user(username=username, email=email, password=password)
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
    return user
