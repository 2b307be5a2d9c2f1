"""Pages of the annotation workspace: the library, one picture, the dataset statistics."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from annotations.forms import LibraryFilterForm
from annotations.models import Annotation, Image
from annotations.stats import current_stats
from core.labels import DEFECT_CHINESE, DEFECTS, defect_display
from core.params import parse_id

PAGE_SIZE = 60


def library(request: HttpRequest) -> HttpResponse:
    """The picture grid, newest first, paged by id (keyset): the cost of a page does not grow with the library.

    ``before=<id>`` shows the next older page, ``after=<id>`` the next newer one.
    """
    form = LibraryFilterForm(request.GET or None)
    images = Image.objects.all()
    # A filter that cannot apply (a deleted uploader, an unknown view) is left out and said on the
    # page; the valid ones still narrow, rather than the whole library showing under them.
    filtered = False
    if form.is_bound:
        form.is_valid()  # fills cleaned_data with the filters that can apply
        images = form.filter(images)
        filtered = form.has_filters()
    after = parse_id(request.GET.get("after"))
    before = parse_id(request.GET.get("before"))
    if after is not None:
        page = list(images.filter(id__gt=after).order_by("id")[: PAGE_SIZE + 1])
        has_newer = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE][::-1]
        has_older = True
    else:
        older = images.filter(id__lt=before) if before is not None else images
        page = list(older.order_by("-id")[: PAGE_SIZE + 1])
        has_older = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE]
        has_newer = before is not None
    # Every box of the page in one query: drawn on its thumbnail and named under it.
    boxes: dict[int, list[dict[str, object]]] = {image.pk: [] for image in page}
    for row in Annotation.objects.filter(image_id__in=list(boxes)).values("image_id", "x", "y", "width", "height", "view", "defect"):
        boxes[row["image_id"]].append(dict(row))
    # A picture whose files a restore did not bring back gets a sentence in place of a broken image.
    cards = [(image, boxes[image.pk], image.thumbnail_problem()) for image in page]
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    context = {
        "form": form,
        "cards": cards,
        "cards_without_thumbnail": sum(1 for _, _, problem in cards if problem),
        "missing_filter_on": bool(form.is_bound and form.cleaned_data.get("missing")),
        # The count follows the filters; the whole library's count is said beside it when they narrow it.
        "total": images.count(),
        "library_total": Image.objects.count() if filtered else None,
        "older_before": page[-1].pk if page and has_older else None,
        "newer_after": page[0].pk if page and has_newer else None,
        "filter_query": query.urlencode(),
        "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
    }
    return render(request, "annotations/library.html", context)


def annotate(request: HttpRequest, image_id: int) -> HttpResponse:
    """The annotation tool for one picture; its data comes from the JSON API."""
    image = get_object_or_404(Image, pk=image_id)
    defects = [(index + 1, defect, DEFECT_CHINESE[defect]) for index, defect in enumerate(DEFECTS)]
    return render(request, "annotations/annotate.html", {"image": image, "defects": defects})


def statistics(request: HttpRequest) -> HttpResponse:
    stats = current_stats(fresh=request.GET.get("fresh") == "1")
    rows = [(view, [row[defect] for defect in DEFECTS], stats.view_totals[view]) for view, row in stats.counts.items()]
    labels = [defect_display(defect) for defect in DEFECTS]
    context = {
        "stats": stats,
        "rows": rows,
        "defect_labels": labels,
        "minimum": settings.MIN_SAMPLES_PER_CLASS,
        "max_age": settings.STATISTICS_MAX_AGE_SECONDS,
        "stale": stats.older_than(settings.STATISTICS_MAX_AGE_SECONDS),
        "charts": stats.chart_data(labels),
    }
    return render(request, "annotations/statistics.html", context)
