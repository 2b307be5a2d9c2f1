"""JSON API of the annotation page and the library upload (login enforced by the middleware)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import ANNOTATOR, has_role, role_required
from annotations.actions import InvalidBoxes, StaleRevision, parse_boxes, save_boxes
from annotations.models import AnnotationChange, Image
from annotations.upload import CREATED, DUPLICATE, ERROR, ingest_uploads
from core.safepath import wire_group_problem

HISTORY_LIMIT = 100


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


def image_payload(image: Image) -> dict[str, Any]:
    """The picture's facts the page needs, with its neighbours for A/D and its partner view.

    A and D go through the pictures in the library's order, newest first: D from the library's first picture opens
    the one listed after it (in upload order, D from the first card said "There is no next picture").
    """
    partner = Image.objects.partners_of(image).order_by("id").values_list("id", flat=True).first()
    previous = Image.objects.filter(id__gt=image.pk).order_by("id").values_list("id", flat=True).first()
    following = Image.objects.filter(id__lt=image.pk).order_by("-id").values_list("id", flat=True).first()
    return {
        "id": image.pk,
        "name": image.original_name,
        "wire_id": image.wire_id,
        "wire_group": image.wire_group,
        "view": image.view,
        "notes": image.notes,
        "width": image.width,
        "height": image.height,
        "bit_depth": image.bit_depth,
        "revision": image.annotation_revision,
        "partner_id": partner,
        "prev_id": previous,
        "next_id": following,
        "display_url": (image.display_file or image.file).url,
        "thumbnail_url": image.thumbnail_file.url if image.thumbnail_file else None,
        "missing_file": image.missing_file(shown=True),
        "page_url": reverse("annotations:annotate", args=[image.pk]),
    }


def boxes_payload(image: Image) -> list[dict[str, Any]]:
    return [annotation.as_dict() for annotation in image.annotations.order_by("id")]


def history_payload(image: Image, after: int | None = None) -> list[dict[str, Any]]:
    """The picture's newest changes, newest first; with ``after``, only those recorded after that change id.

    A save answers with ``after`` (the newest change the page shows): the page already holds the
    rest, and decoding a hundred old changes on every save was most of a save's work.
    """
    changes = AnnotationChange.objects.filter(image=image).select_related("user")
    if after is not None:
        changes = changes.filter(pk__gt=after)
    return [
        {
            "id": change.pk,
            "action": change.action,
            "box_id": change.annotation_id_ref,
            "user": change.user.get_username() if change.user else None,
            "at": change.at.isoformat(),
            "before": change.before,
            "after": change.after,
            "note": change.note,
        }
        for change in changes[:HISTORY_LIMIT]
    ]


def _snapshot(image: Image) -> dict[str, Any]:
    return {"image": image_payload(image), "boxes": boxes_payload(image), "history": history_payload(image)}


def _picture_gone(request: HttpRequest) -> JsonResponse:
    """A picture deleted (by an admin or another annotator) after the page was opened: said in the page's own terms."""
    if request.method == "GET":
        return JsonResponse({"error": "There is no such picture; it may have been deleted."}, status=404)
    return JsonResponse(
        {
            "error": "This picture was deleted after you opened it, so its boxes cannot be saved. "
            "Upload the picture again to annotate it; the boxes you drew are still shown here."
        },
        status=410,
    )


@require_http_methods(["GET", "PUT"])
def image_annotations(request: HttpRequest, image_id: int) -> HttpResponse:
    """GET the picture's boxes; PUT all of them at once, based on the revision the page loaded."""
    image = Image.objects.filter(pk=image_id).first()
    if image is None:
        return _picture_gone(request)
    if request.method == "GET":
        return JsonResponse(_snapshot(image))
    if not has_role(request.user, ANNOTATOR):
        return JsonResponse({"error": "Saving boxes needs the annotator role; ask an admin to grant it."}, status=403)
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, RecursionError):  # bad JSON or UTF-8, an integer over 4,300 digits, nesting deeper than Python parses
        return _bad_request("The request body is not JSON. Send {base_revision, boxes}, with numbers in pixels.")
    if not isinstance(body, dict):
        return _bad_request("Send a JSON object {base_revision, boxes}.")
    base_revision = body.get("base_revision")
    if isinstance(base_revision, bool) or not isinstance(base_revision, int) or base_revision < 0:
        return _bad_request("base_revision must be the revision the page loaded (a whole number).")
    history_after = body.get("history_after")
    if history_after is not None and (
        isinstance(history_after, bool) or not isinstance(history_after, int) or not 0 <= history_after < 2**63
    ):
        return _bad_request("history_after must be the id of the newest change the page shows (a whole number), or left out.")
    raw_boxes = body.get("boxes")
    if not isinstance(raw_boxes, list):
        return _bad_request("boxes must be a list of {id, x, y, width, height, view, defect}.")
    try:
        boxes = parse_boxes(raw_boxes, image)
        image = save_boxes(image, boxes, base_revision=base_revision, user=request.user)
    except InvalidBoxes as error:
        return JsonResponse({"error": str(error), "errors": {str(i): fields for i, fields in error.errors.items()}}, status=400)
    except Image.DoesNotExist:  # deleted between the page's load and this save
        return _picture_gone(request)
    except StaleRevision as error:
        return JsonResponse(
            {
                "error": str(error),
                "server": {
                    "revision": error.image.annotation_revision,
                    "boxes": boxes_payload(error.image),
                    "saved_by": error.saved_by,
                    "saved_at": error.saved_at.isoformat() if error.saved_at else None,
                },
            },
            status=409,
        )
    answer: dict[str, Any] = {"revision": image.annotation_revision, "boxes": boxes_payload(image)}
    if history_after is None:
        answer["history"] = history_payload(image)
    else:
        answer["history_new"] = history_payload(image, after=history_after)
    return JsonResponse(answer)


@require_POST
@role_required(ANNOTATOR)
def upload_images(request: HttpRequest) -> JsonResponse:
    """Take many pictures and zips in one request; answer one result per picture."""
    files = request.FILES.getlist("files")
    if not files:
        return _bad_request("Choose one or more pictures or zip archives to upload (form field 'files').")
    wire_group = request.POST.get("wire_group", "").strip()
    if problem := wire_group_problem(wire_group):
        return _bad_request(problem)
    results = ingest_uploads(files, wire_group=wire_group, user=request.user)
    counts = {status: sum(1 for result in results if result.status == status) for status in (CREATED, DUPLICATE, ERROR)}
    return JsonResponse({"results": [result.as_dict() for result in results], "counts": counts})
