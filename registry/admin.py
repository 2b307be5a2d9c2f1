"""The registry in Django's admin: read-only rows; activation and deletion go through ``registry.versions`` and ``weights_store``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from registry import versions as registry
from registry import weights_store
from registry.models import ActivationEvent, ModelVersion, WeightsFile

ADMIN_REASON = "Activated from the Django admin"


def _confirm_deletion(
    model_admin: admin.ModelAdmin[Any], request: HttpRequest, action: str, items: Sequence[tuple[Model, str, str, str]]
) -> TemplateResponse | None:
    """The page asking before a bulk delete (Django's own ``delete_selected`` asks too), or None once it was answered.

    ``items`` are (row, name, what deleting the selection will do with its file, why the row must stay or ""): the rows
    that would be refused are listed as kept, with the sentence the deletion would refuse them with, and only the others
    are sent on, each with what the deletion will do with its file.
    """
    if request.POST.get("post") == "yes":
        return None
    deletable = [{"pk": row.pk, "name": name, "file": file} for row, name, file, problem in items if not problem]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Delete the selected rows and their files?",
        "opts": model_admin.model._meta,
        "deletable": deletable,
        "kept": [{"problem": problem} for *_, problem in items if problem],
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": model_admin.media,
    }
    return TemplateResponse(request, "admin/registry/delete_with_files.html", context)


class _RefusesWithASentence(admin.ModelAdmin):
    """A delete page that a guard refuses returns to the row with the guard's sentence (what stops it, what to do), as
    the Models page does, instead of Django's bare 403; a refusal between the page and its answer is shown the same way."""

    delete_confirmation_template = "admin/registry/delete_one_with_file.html"

    def deletion_problem(self, obj: Any) -> str:
        raise NotImplementedError

    def file_fate(self, obj: Any) -> str:
        """What deleting ``obj`` alone will do with its file, for the page that asks first."""
        raise NotImplementedError

    def _back_to_the_row(self, request: HttpRequest, object_id: str, sentence: str) -> HttpResponse:
        self.message_user(request, sentence, messages.ERROR)
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_delete_permission(request) and (problem := self.deletion_problem(obj)):
            return self._back_to_the_row(request, object_id, problem)
        if obj is not None:
            extra_context = {**(extra_context or {}), "file_fate": self.file_fate(obj)}
        try:
            return super().delete_view(request, object_id, extra_context)
        except registry.RegistryError as error:  # refused after the page was shown (a run started from it meanwhile)
            return self._back_to_the_row(request, object_id, str(error))


def _metric(key: str, heading: str) -> Callable[[ModelVersion], str]:
    """A list column showing one metric (PASS recall read as the quality gate reads it)."""

    @admin.display(description=heading)
    def column(version: ModelVersion) -> str:
        value = version.scores.pass_recall if key == "pass_recall" else version.scores.scalars.get(key)
        return f"{value:.3f}" if isinstance(value, int | float) else "–"

    column.__name__ = f"metric_{key}"
    return column


@admin.register(ModelVersion)
class ModelVersionAdmin(_RefusesWithASentence):
    list_display = (
        "name",
        "model_type",
        "view_scope",
        "is_active",
        _metric("balanced_accuracy", "Balanced acc."),
        _metric("accuracy", "Accuracy"),
        _metric("pass_recall", "PASS recall"),
        _metric("mAP50", "mAP50"),
        _metric("mAP50-95", "mAP50-95"),
        "dataset_size",
        "created_at",
    )
    list_filter = ("model_type", ("is_active", admin.BooleanFieldListFilter), "view_scope")
    search_fields = ("name",)
    readonly_fields = (
        "name",
        "model_type",
        "view_scope",
        "is_active",
        "file_path",
        "sha256",
        "metrics",
        "config",
        "dataset_size",
        "training_run",
        "run_number",
        "created_at",
    )
    actions = ["activate_selected", "delete_selected_versions"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """Drop Django's own bulk delete: it would bypass the active-version guard and leave files behind."""
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from training runs only

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None) -> Any:
        """Every field is read-only (the change permission serves the activate action): no Save buttons."""
        hidden = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **hidden})

    def deletion_problem(self, obj: ModelVersion) -> str:
        return registry.deletion_problem(obj)

    def file_fate(self, obj: ModelVersion) -> str:
        return registry.files_after_deleting([obj])[obj.pk]

    def delete_model(self, request: HttpRequest, obj: ModelVersion) -> None:
        # Django's own message says the row went; this one says what happened to its file.
        self.message_user(request, registry.delete_version(obj, request.user), messages.SUCCESS)

    @admin.action(description="Activate the selected versions", permissions=["change"])
    def activate_selected(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        chosen = list(queryset)
        if len({(version.model_type, version.view_scope) for version in chosen}) != len(chosen):
            self.message_user(request, "Select at most one version per model type to activate.", messages.ERROR)
            return
        # All of them or none, as the Models page's bundle: one refused version leaves every slot as it was. The gate is
        # read for each first, so that every version it holds back is named, not only the first.
        held_back = [problem for version in chosen if not version.is_active and (problem := registry.gate_problem(version))]
        if held_back:
            nothing = " None of the selected versions was activated." if len(chosen) > 1 else ""
            for problem in held_back:
                self.message_user(request, f"{problem} (An override is possible on the Models page.){nothing}", messages.ERROR)
            return
        try:
            events = registry.activate_bundle(chosen, request.user, ADMIN_REASON)
        except registry.RegistryError as error:
            override = " (An override is possible on the Models page.)" if isinstance(error, registry.QualityGateFailed) else ""
            nothing = " None of the selected versions was activated." if len(chosen) > 1 else ""
            self.message_user(request, f"{error}{override}{nothing}", messages.ERROR)
            return
        activated = {event.version_id for event in events}
        for version in chosen:
            if version.pk in activated:
                self.message_user(request, f"Activated {version.name}.", messages.SUCCESS)
            else:
                slot = registry.slot_key(version.model_type, version.view_scope)
                self.message_user(request, f"{version.name} is already the active {slot} model; nothing changed.", messages.INFO)

    @admin.action(description="Delete the selected versions and their files", permissions=["delete"])
    def delete_selected_versions(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> TemplateResponse | None:
        chosen = list(queryset)
        problems = {version.pk: registry.deletion_problem(version) for version in chosen}
        # What happens to a file depends on the whole selection: a file two selected versions share only goes with both.
        files = registry.files_after_deleting([version for version in chosen if not problems[version.pk]])
        items = [(version, version.name, files.get(version.pk, ""), problems[version.pk]) for version in chosen]
        if asking := _confirm_deletion(self, request, "delete_selected_versions", items):
            return asking
        for version in chosen:
            try:
                done = registry.delete_version(version, request.user)
            except registry.RegistryError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, done, messages.SUCCESS)
        return None


@admin.register(ActivationEvent)
class ActivationEventAdmin(admin.ModelAdmin):
    """The history is a record: readable, never edited."""

    list_display = ("at", "version_name", "model_type", "view_scope", "action", "user", "gate_override", "reason")
    list_filter = ("model_type", "action", "gate_override")
    list_select_related = ("user",)  # Django joins no foreign key that may be empty by itself: one query a row

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ActivationEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ActivationEvent | None = None) -> bool:
        return False


@admin.register(WeightsFile)
class WeightsFileAdmin(_RefusesWithASentence):
    """Uploaded starting weights: uploads go through the weights page (checksum, uploader); here they are read or deleted."""

    list_display = ("reference", "original_name", "kind", "sha256", "size", "uploaded_by", "uploaded_at")
    list_filter = ("kind",)
    list_select_related = ("uploaded_by",)  # Django joins no foreign key that may be empty by itself: one query a row
    search_fields = ("original_name", "sha256", "note")
    readonly_fields = ("kind", "original_name", "file_path", "sha256", "size", "note", "uploaded_by", "uploaded_at")
    actions = ["delete_selected_uploads"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """Drop Django's own bulk delete: it would leave the files behind."""
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the weights page records the checksum and the uploader

    def has_change_permission(self, request: HttpRequest, obj: WeightsFile | None = None) -> bool:
        return False

    def deletion_problem(self, obj: WeightsFile) -> str:
        return weights_store.upload_deletion_problem(obj)

    def file_fate(self, obj: WeightsFile) -> str:
        return weights_store.upload_file_kept_reason(obj, ahead=True) or f"file {obj.file_path}: removed"

    def delete_model(self, request: HttpRequest, obj: WeightsFile) -> None:
        self.message_user(request, weights_store.delete_upload(obj), messages.SUCCESS)

    @admin.action(description="Delete the selected uploads and their files", permissions=["delete"])
    def delete_selected_uploads(self, request: HttpRequest, queryset: QuerySet[WeightsFile]) -> TemplateResponse | None:
        chosen = list(queryset)
        items = [
            (
                upload,
                f"{upload.reference} ({upload.original_name})",
                self.file_fate(upload),
                weights_store.upload_deletion_problem(upload),
            )
            for upload in chosen
        ]
        if asking := _confirm_deletion(self, request, "delete_selected_uploads", items):
            return asking
        for upload in chosen:
            try:
                done = weights_store.delete_upload(upload)
            except registry.RegistryError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, done, messages.SUCCESS)
        return None
