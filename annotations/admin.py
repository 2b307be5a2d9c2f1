from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from annotations.actions import record_box_edit
from annotations.models import Annotation, AnnotationChange, Image, LabelMapping


class AnnotationInline(admin.TabularInline):
    model = Annotation
    extra = 0
    fields = ("x", "y", "width", "height", "view", "defect", "source", "review_state", "revision")
    readonly_fields = ("source", "revision")


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ("original_name", "wire_group", "wire_id", "view", "width", "height", "bit_depth", "uploaded_by", "uploaded_at")
    list_filter = ("view", "bit_depth")
    list_select_related = ("uploaded_by",)  # Django joins no foreign key that may be empty by itself: one query a row
    search_fields = ("original_name", "wire_id", "wire_group", "sha256")
    readonly_fields = (
        "sha256",
        "file",
        "display_file",
        "thumbnail_file",
        # Measured from the file at upload; every box is checked against the size.
        "width",
        "height",
        "bit_depth",
        "annotation_revision",
        "uploaded_at",
    )
    inlines = [AnnotationInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a picture comes with its file, through the upload and import pages

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        """Boxes edited in the inline are recorded like the annotation page's (``AnnotationAdmin.save_model``)."""
        if formset.model is not Annotation:
            super().save_formset(request, form, formset, change)
            return
        with transaction.atomic():
            for box in formset.save(commit=False):
                save_box(box, request.user)
            for box in formset.deleted_objects:
                delete_box(box, request.user)


def save_box(box: Annotation, user: Any) -> None:
    """Save a box edited in the admin with a new revision, its history row and its picture's revision moved."""
    with transaction.atomic():
        before = Annotation.objects.get(pk=box.pk).as_dict() if box.pk else None
        if before is not None:
            box.revision += 1
        box.save()
        record_box_edit(box, user, before=before)


def delete_box(box: Annotation, user: Any) -> None:
    with transaction.atomic():
        record_box_edit(box, user, before=box.as_deleted_dict(), deleted=True)
        box.delete()


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    """Every save and delete here is recorded and moves the picture's revision (an open annotation page must not undo it)."""

    list_display = ("id", "image", "view", "defect", "source", "review_state", "annotator", "updated_at")
    list_filter = ("view", "defect", "source", "review_state")
    list_select_related = ("image", "annotator")  # Django joins no foreign key that may be empty by itself: one query a row
    raw_id_fields = ("image",)
    readonly_fields = ("revision",)

    def get_readonly_fields(self, request: HttpRequest, obj: Annotation | None = None) -> tuple[str, ...]:
        # A box's numbers are its picture's pixels: moved to another picture it would frame nothing there, and the old
        # picture's open annotation pages would never learn that it left.
        return ("revision", "image") if obj is not None else ("revision",)

    def save_model(self, request: HttpRequest, obj: Annotation, form: ModelForm, change: bool) -> None:
        if not change or form.has_changed():
            save_box(obj, request.user)

    def delete_model(self, request: HttpRequest, obj: Annotation) -> None:
        delete_box(obj, request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Annotation]) -> None:
        for box in queryset:
            delete_box(box, request.user)


@admin.register(AnnotationChange)
class AnnotationChangeAdmin(admin.ModelAdmin):
    """The boxes' history is a record (the versions' correction rates count it): read here, never written.

    Its rows may still be deleted, so that a picture deleted here takes its history with it.
    """

    list_display = ("image", "action", "user", "at")
    list_filter = ("action",)
    list_select_related = ("image", "user")  # Django joins no foreign key that may be empty by itself: one query a row
    raw_id_fields = ("image",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AnnotationChange | None = None) -> bool:
        return False


@admin.register(LabelMapping)
class LabelMappingAdmin(admin.ModelAdmin):
    """Saved mappings are read, renamed or deleted here; they are made on the import page, which checks their shape
    (a mapping typed in here as other JSON failed the import page of whoever loaded it)."""

    list_display = ("name", "source_format", "created_by", "created_at")
    list_select_related = ("created_by",)
    search_fields = ("name",)
    readonly_fields = ("source_format", "mapping", "created_by", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
