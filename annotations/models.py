"""Pictures, their boxes and the history of every change."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from accounts.users import Actor, recorded_user
from annotations.choices import DEFECT_CHOICES, VIEW_CHOICES, ReviewState, Source
from core.imaging.decode import MEDIA_TYPES
from core.labels import DEFECTS, VIEWS
from core.safepath import wire_group_problem


def image_upload_path(instance: Image, filename: str) -> str:
    """Store under the content hash, with the extension of the format the decoder detected.

    ``filename`` is the caller's ``{sha256}.{extension}``: the uploaded name never reaches
    the disk, so a picture named ``report_TOP.html`` is stored (and served) as what it is.
    """
    extension = filename.rsplit(".", 1)[-1].lower()
    if extension not in MEDIA_TYPES:
        raise ValueError(f"Pictures are stored as {', '.join(MEDIA_TYPES)}, not {extension!r}.")
    return f"images/{instance.sha256[:2]}/{instance.sha256}.{extension}"


def validate_wire_group(value: str) -> None:
    """Wire groups become export folders: refuse '..', roots, drive letters, device names (see core.safepath)."""
    if problem := wire_group_problem(value):
        raise ValidationError(problem)


def validate_wire_id(value: str) -> None:
    """A wire's key joins its group and id with '/' (``Image.wire_key``): an id holding '/' would make two wires one.

    Group "a" with id "b" and id "a/b" without a group were both the wire "a/b": their verdicts were combined and they
    were put on the same side of the training split. Ids parsed from file names never hold '/'; only the admin could
    type one.
    """
    if "/" not in value:
        return
    group, _, wire = value.rpartition("/")
    same = f", so it would be the same wire as id {wire!r} in wire group {group!r}" if group and wire else ""
    raise ValidationError(
        f"The wire id {value!r} contains '/', which separates the wire group from the wire id{same}. "
        "Put the folder or lot in the wire group and leave the '/' out of the wire id."
    )


class ImageQuerySet(models.QuerySet["Image"]):
    def annotated(self) -> ImageQuerySet:
        return self.filter(annotations__isnull=False).distinct()

    def unannotated(self) -> ImageQuerySet:
        return self.filter(annotations__isnull=True)

    def partners_of(self, image: Image) -> ImageQuerySet:
        """The other view(s) of the same wire: not another shot of its own view (a wire uploaded again)."""
        partners = self.filter(wire_group=image.wire_group, wire_id=image.wire_id).exclude(pk=image.pk)
        return partners.exclude(view=image.view) if image.view else partners

    def wire_group_problem(self, group: str) -> str:
        """Why no picture can be trained on in ``group`` when none is in it, or "" (the data check says the rest).

        Without this, the launch form's data check said the library held no annotated pictures and to upload some.
        """
        if not group or self.filter(wire_group=group).exists():
            return ""
        below = self.filter(wire_group__startswith=f"{group.strip('/')}/").order_by("wire_group").values_list("wire_group", flat=True)
        if example := below.first():
            # The library's Lot filter shows a folder with the groups below it; a run takes one group as it is.
            return (
                f'No picture in the library is in wire group "{group}" itself, only in groups below it such as "{example}": '
                "name one of them, or leave the wire group empty to train on every group."
            )
        return f'No picture in the library is in wire group "{group}": check its spelling, or leave it empty to train on every group.'


class Image(models.Model):
    """One X-ray picture as stored in the media folder."""

    file = models.FileField(upload_to=image_upload_path, max_length=255)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bit_depth = models.PositiveSmallIntegerField(default=8)
    # Display copy (8-bit, windowed) and thumbnail, generated once at upload.
    display_file = models.FileField(max_length=255, blank=True)
    thumbnail_file = models.FileField(max_length=255, blank=True)
    wire_id = models.CharField(max_length=200, help_text="Parsed from {wire_id}_{TOP|SIDE}.ext", validators=[validate_wire_id])
    wire_group = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="Folder, lot or batch: wire ids restart per folder in legacy data.",
        validators=[validate_wire_group],
    )
    view = models.CharField(max_length=4, choices=VIEW_CHOICES, blank=True, default="")
    notes = models.TextField(blank=True, default="")
    # Bumped by every save of this picture's boxes: the optimistic lock of the page.
    annotation_revision = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["wire_group", "wire_id"], name="image_wire_idx"),
            models.Index(fields=["view"], name="image_view_idx"),
            models.Index(fields=["uploaded_at"], name="image_uploaded_idx"),
            models.Index(fields=["original_name"], name="image_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(width__gt=0) & Q(height__gt=0), name="image_positive_size"),
            models.CheckConstraint(condition=Q(view__in=["", *VIEWS]), name="image_view_valid"),
        ]

    def __str__(self) -> str:
        return self.original_name

    def stored_names(self) -> list[str]:
        """The media files this picture owns: the original, its display copy and its thumbnail."""
        return [field.name for field in (self.file, self.display_file, self.thumbnail_file) if field and field.name]

    def missing_file(self, shown: bool = False) -> str:
        """A sentence when the picture's file is not in the media folder (a restore whose database is newer than its
        ``media/``, a file deleted by hand), else "". It names the file inside the data folder, not the server's path.

        ``shown``: the file the pages show instead (the display copy, or the original where there is none).
        """
        stored = (self.display_file or self.file) if shown else self.file
        name = stored.name or ""
        if name and stored.storage.exists(name):
            return ""
        return (
            f"The picture's file media/{name} is missing from the data folder (restored from an older backup than "
            "the database?); copy it back from the backup, or delete the picture in the library."
        )

    def thumbnail_problem(self) -> str:
        """Why the library cannot show this picture's thumbnail, short enough for its tile, or "".

        Two stat() calls at most, asked only for the pictures a page shows (``annotations.libraryfiles`` walks the
        folders once for the whole library).
        """
        name = self.thumbnail_file.name
        if name and self.thumbnail_file.storage.exists(name):
            return ""
        if self.missing_file():
            return f"Its file media/{self.file.name} is missing: copy it back from the backup, or delete the picture."
        return "Its thumbnail is missing; an administrator makes it again with manage.py library_check --rebuild."

    @property
    def wire_key(self) -> str:
        """The wire's identity: group plus id (ids restart per folder)."""
        return f"{self.wire_group}/{self.wire_id}" if self.wire_group else self.wire_id


#: From this many PASS wires on, a PASS recall estimate is treated as trustworthy (one wire moves it by 10 % or less).
PASS_WIRES_FOR_TRUST = 10


class AnnotationQuerySet(models.QuerySet["Annotation"]):
    def needs_review(self) -> AnnotationQuerySet:
        return self.filter(review_state=ReviewState.PENDING)

    def for_training(self) -> AnnotationQuerySet:
        """Boxes a model may learn from: human ones, and model ones a person accepted or corrected."""
        return self.exclude(review_state__in=[ReviewState.PENDING, ReviewState.REJECTED])

    def wire_count(self, defect: str) -> int:
        """How many wires (``Image.wire_key``: group + id, the training split's unit) hold a ``defect`` box."""
        return self.filter(defect=defect).values("image__wire_group", "image__wire_id").distinct().count()

    def pass_evidence(self) -> str:
        """A sentence on how many PASS wires a PASS recall estimate would rest on (issue 15: PASS is rare)."""
        wires = self.for_training().wire_count("PASS")
        if wires >= PASS_WIRES_FOR_TRUST:
            return f"PASS rests on {wires} annotated wires; its recall estimate is steady enough to compare versions."
        return (
            f"PASS rests on {wires} annotated wire{'s' if wires != 1 else ''}: a PASS recall measured on so few moves in big steps "
            f"and says little. Annotate {PASS_WIRES_FOR_TRUST - wires} more PASS wire{'s' if PASS_WIRES_FOR_TRUST - wires != 1 else ''} "
            f"(both views) to reach {PASS_WIRES_FOR_TRUST}, and until then read the three defect classes' recall first."
        )


class Annotation(models.Model):
    """One box around one wire loop, with its view and defect class."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="annotations")
    x = models.FloatField()
    y = models.FloatField()
    width = models.FloatField()
    height = models.FloatField()
    view = models.CharField(max_length=4, choices=VIEW_CHOICES)
    defect = models.CharField(max_length=6, choices=DEFECT_CHOICES)
    source = models.CharField(max_length=5, choices=Source.choices, default=Source.HUMAN)
    detection_version = models.ForeignKey("registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    view_version = models.ForeignKey("registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    defect_version = models.ForeignKey("registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: ``{"detection": 0.91, "view": 0.99, "defect": 0.62, "thresholds": {...}}`` for model boxes.
    confidences = models.JSONField(default=dict, blank=True)
    review_state = models.CharField(max_length=9, choices=ReviewState.choices, default=ReviewState.NONE)
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revision = models.PositiveIntegerField(default=1)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["view", "defect"], name="annotation_label_idx"),
            models.Index(fields=["review_state"], name="annotation_review_idx"),
            models.Index(fields=["source"], name="annotation_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(width__gt=0) & Q(height__gt=0), name="annotation_positive_size"),
            models.CheckConstraint(condition=Q(x__gte=0) & Q(y__gte=0), name="annotation_inside_origin"),
            models.CheckConstraint(condition=Q(view__in=VIEWS), name="annotation_view_valid"),
            models.CheckConstraint(condition=Q(defect__in=DEFECTS), name="annotation_defect_valid"),
            models.CheckConstraint(condition=Q(revision__gte=1), name="annotation_revision_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.view}/{self.defect} on {self.image_id}"

    def clean(self) -> None:
        if self.image_id is None or None in (self.x, self.y, self.width, self.height):
            return  # a missing picture or number: its own field already says so (an admin form left it empty)
        errors = box_errors(self.x, self.y, self.width, self.height, self.image.width, self.image.height)
        if errors:
            raise ValidationError(errors)

    @property
    def made_by(self) -> tuple[Any, Any, Any]:
        """The detection, view and defect versions that made a model box, in that order; None for one deleted since."""
        return (self.detection_version, self.view_version, self.defect_version)

    def as_deleted_dict(self) -> dict[str, Any]:
        """``as_dict`` for a deletion's history row: a model box also names its versions, so that its deletion
        still counts as a judgment of them (``ModelVersionQuerySet.correction_rates``) once the row is gone."""
        data = self.as_dict()
        if self.source == Source.MODEL:
            data.update(
                detection_version=self.detection_version_id, view_version=self.view_version_id, defect_version=self.defect_version_id
            )
        return data

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "x": self.x,
            "y": self.y,
            "width": self.width,
            "height": self.height,
            "view": self.view,
            "defect": self.defect,
            "source": self.source,
            "review_state": self.review_state,
            "confidences": self.confidences,
            "revision": self.revision,
        }


def box_errors(x: float, y: float, width: float, height: float, image_width: int, image_height: int) -> dict[str, str]:
    """Field-level problems of a box in a picture of the given size (empty when valid)."""
    errors: dict[str, str] = {}
    if width <= 0:
        errors["width"] = "The box must be at least one pixel wide."
    if height <= 0:
        errors["height"] = "The box must be at least one pixel high."
    if x < 0 or x >= image_width:
        errors["x"] = f"The box starts outside the picture (x must lie between 0 and {image_width})."
    elif width > 0 and x + width > image_width + 1e-6:
        errors["width"] = f"The box ends outside the picture (x + width must be at most {image_width})."
    if y < 0 or y >= image_height:
        errors["y"] = f"The box starts outside the picture (y must lie between 0 and {image_height})."
    elif height > 0 and y + height > image_height + 1e-6:
        errors["height"] = f"The box ends outside the picture (y + height must be at most {image_height})."
    return errors


class AnnotationChange(models.Model):
    """One recorded change of a box: who, when, before and after."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        REVIEW = "review", "Reviewed"

    #: How the notes of a pre-annotation's and an import's changes begin (the model versions, the format follow):
    #: a save refused after them names what changed the picture (``annotations.actions.StaleRevision``).
    PREANNOTATED = "Pre-annotated by "
    IMPORTED = "Imported from "

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="changes")
    annotation_id_ref = models.BigIntegerField(null=True, blank=True, help_text="The box (kept after deletion).")
    action = models.CharField(max_length=6, choices=Action.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["image", "at"], name="change_image_at_idx"),
            # The review page counts deleted model boxes from the deletions' rows (correction_rates): a few among many.
            models.Index(fields=["action"], name="change_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on image {self.image_id} at {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def of(
        cls,
        action: str,
        annotation: Annotation,
        user: Actor = None,
        *,
        before: dict[str, Any] | None = None,
        note: str = "",
    ) -> AnnotationChange:
        """The (unsaved) history row of one change; ``before`` and ``after`` are ``Annotation.as_dict()``.

        The one way every writer (the annotation page, import, pre-annotation, review) records a change.
        """
        after = None if action == cls.Action.DELETE else annotation.as_dict()
        return cls(
            image_id=annotation.image_id,
            annotation_id_ref=annotation.pk,
            action=action,
            user=recorded_user(user),
            before=before,
            after=after,
            note=note[:500],
        )


class LabelMappingQuerySet(models.QuerySet["LabelMapping"]):
    def save_as(self, name: str, mapping: dict[str, Any], source_format: str, user: Actor) -> str:
        """Save ``mapping`` under ``name`` for ``user``, replacing their own of that name; "" when saved, else why not.

        A name another person's mapping has keeps theirs: it was replaced without a word, and their next import that
        loaded it brought its boxes in with the other person's labels.
        """
        limit = LabelMapping._meta.get_field("name").max_length or 100
        if len(name) > limit:
            return f"A mapping's name has at most {limit} characters; this mapping was not saved."
        saver = recorded_user(user)
        for attempt in (1, 2):
            try:
                with transaction.atomic():
                    existing = self.select_for_update(of=("self",)).filter(name=name).select_related("created_by").first()
                    owner = existing.created_by if existing is not None else None
                    if owner is not None and (saver is None or owner.pk != saver.pk):
                        return (
                            f'The saved mapping "{name}" is {owner.get_username()}\'s, so this mapping was not saved under that '
                            "name (theirs is kept); choose another name to save it."
                        )
                    if existing is not None:  # one's own (or nobody's): replaced, under the lock taken above
                        existing.mapping, existing.source_format, existing.created_by = mapping, source_format, saver
                        existing.save(update_fields=["mapping", "source_format", "created_by"])
                    else:
                        self.create(name=name, mapping=mapping, source_format=source_format, created_by=saver)
                return ""
            except IntegrityError:
                # Someone saved a new mapping of that name since the look-up (no row was there to lock): look again, so
                # theirs is kept as above. update_or_create found their committed row and replaced it as this user's.
                if attempt == 2:
                    raise
        return ""


class LabelMapping(models.Model):
    """A saved mapping from foreign labels/attributes to our view and defect (for imports)."""

    name = models.CharField(max_length=100, unique=True)
    source_format = models.CharField(max_length=30, blank=True, default="")
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LabelMappingQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DataFolderIdentity(models.Model):
    """The one data folder every process of an installation must share (``annotations.datafolder``).

    A single row: the token written into ``DATA_DIR/.wiresag-folder`` when the first process
    started. A process on another host whose folder lacks that file (or holds another token)
    is looking at a different folder, and refuses to start.
    """

    token = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_host = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"data folder {self.token[:8]} (first used on {self.created_by_host or 'an unnamed host'})"
