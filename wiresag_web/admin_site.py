"""The Django admin's site: every table registered on it checks the ids an action is posted with, and its password
change counts a wrong current password towards the login lockout."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse

from accounts.forms import LockedOutPasswordChangeForm
from accounts.views import PasswordChangeView


def odd_ids(model: type[Model], values: list[str]) -> list[str]:
    """The posted ids that cannot be a primary key of ``model`` (not a number, out of range, empty, a NUL)."""
    field = model._meta.pk
    odd = []
    for value in values:
        try:
            if not value or "\x00" in value:
                raise ValidationError("never an id")
            field.run_validators(field.to_python(value))
        except ValidationError:
            odd.append(value)
    return odd


class CheckedSelection(admin.ModelAdmin):
    """Refuses an action posted with ids no row can have: Django's own filter on them fails with a 500."""

    def response_action(self, request: HttpRequest, queryset: QuerySet[Any], *args: Any, **kwargs: Any) -> HttpResponse | None:
        odd = odd_ids(self.model, request.POST.getlist(ACTION_CHECKBOX_NAME))
        if odd:
            names = self.model._meta.verbose_name_plural
            sentence = f"{odd[0][:40]!r} is not the id of any row of {names}, so nothing was changed."
            self.message_user(request, f"{sentence} Reload the list and select the rows again.", messages.ERROR)
            return None  # the change list shows the sentence again
        return super().response_action(request, queryset, *args, **kwargs)


class AdminPasswordChangeForm(LockedOutPasswordChangeForm):
    required_css_class = "required"  # as Django's admin form, for its template


class WiresagAdminSite(admin.AdminSite):
    """Django's admin site whose tables (ours, Django's users and groups, django-q's, axes') all check posted ids."""

    # django-stubs narrow this to a TemplateResponse; Django's own version, as this one, redirects after the change.
    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponseBase:
        """Django's admin password change, with the current password checked as a login checks it (``accounts.forms``)."""
        defaults: dict[str, Any] = {
            "form_class": AdminPasswordChangeForm,
            "success_url": reverse("admin:password_change_done", current_app=self.name),
            "extra_context": {**self.each_context(request), **(extra_context or {})},
        }
        if self.password_change_template is not None:
            defaults["template_name"] = self.password_change_template
        request.current_app = self.name
        return PasswordChangeView.as_view(**defaults)(request)

    def register(self, model_or_iterable: Any, admin_class: type[admin.ModelAdmin] | None = None, **options: Any) -> None:
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, CheckedSelection):
            base = type(base.__name__, (CheckedSelection, base), {"__module__": base.__module__, "__doc__": base.__doc__})
        super().register(model_or_iterable, base, **options)
