"""The library's filter bar."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from annotations.choices import DEFECT_CHOICES, VIEW_CHOICES
from annotations.libraryfiles import with_missing_files
from annotations.models import Annotation, ImageQuerySet
from core.safepath import MAX_GROUP_LENGTH


class LibraryFilterForm(forms.Form):
    view = forms.ChoiceField(choices=[("", "Any view"), *VIEW_CHOICES], required=False)
    defect = forms.ChoiceField(choices=[("", "Any defect"), *DEFECT_CHOICES], required=False)
    annotated = forms.ChoiceField(choices=[("", "Annotated or not"), ("yes", "Annotated"), ("no", "Not annotated")], required=False)
    review = forms.BooleanField(required=False, label="Needs review")
    wire = forms.CharField(
        required=False, max_length=200, label="Wire id", widget=forms.TextInput(attrs={"placeholder": "Wire id starts with…"})
    )
    uploader = forms.ModelChoiceField(queryset=get_user_model().objects.order_by("username"), required=False, empty_label="Anyone")
    # As long as a group the library accepts: a longer one made the filter invalid, and the whole library showed.
    group = forms.CharField(
        required=False, max_length=MAX_GROUP_LENGTH, label="Lot", widget=forms.TextInput(attrs={"placeholder": "Lot / wire group"})
    )

    missing = forms.BooleanField(required=False, label="Files missing")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The bar shows no labels (each menu's first choice says what it filters): a screen reader still names each
        # control, and a text field keeps its name once the placeholder is typed over.
        for name, field in self.fields.items():
            if name not in ("review", "missing"):  # its label is on the page
                field.widget.attrs.setdefault("aria-label", field.label or name.capitalize())

    def has_filters(self) -> bool:
        """Whether any filter that can apply narrows the library (after ``is_valid``)."""
        return any(value not in (None, "", False) for value in self.cleaned_data.values())

    def filter(self, images: ImageQuerySet) -> ImageQuerySet:
        """Narrow ``images`` with EXISTS subqueries: no joins that multiply rows or need DISTINCT.

        After ``is_valid``; an invalid field is missing from ``cleaned_data`` and narrows nothing.
        """
        data = self.cleaned_data
        boxes = Annotation.objects.filter(image=OuterRef("pk"))
        if data.get("view"):
            images = images.filter(view=data["view"])
        if data.get("defect"):
            images = images.filter(Exists(boxes.filter(defect=data["defect"])))
        if data.get("annotated") == "yes":
            images = images.filter(Exists(boxes))
        elif data.get("annotated") == "no":
            images = images.exclude(Exists(boxes))
        if data.get("review"):
            # The waiting boxes first, then their pictures: asked per picture, SQLite looked through every waiting box
            # for each (it takes the review-state index), 13 s on 20,000 pictures with 3,000 boxes to review.
            images = images.filter(pk__in=Annotation.objects.needs_review().values("image_id"))
        if data.get("wire"):
            images = images.filter(wire_id__startswith=data["wire"].strip())
        if data.get("uploader"):
            images = images.filter(uploaded_by=data["uploader"])
        if data.get("group"):  # the lot given at upload (or the folder an import kept), and the lots below it
            group = data["group"].strip().strip("/")
            images = images.filter(Q(wire_group=group) | Q(wire_group__startswith=f"{group}/"))
        if data.get("missing"):
            # Last: one walk of media/'s library folders, compared with the rows the other filters left.
            images = with_missing_files(images)
        return images
