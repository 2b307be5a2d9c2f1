"""Dataset statistics: is the annotated set balanced, paired and consistent enough to train on?"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q

from annotations.models import Annotation, Image
from core.labels import DEFECTS, SEVERITY, VIEWS, defect_display

SIZE_BIN_PX = 50
EXAMPLE_LIMIT = 50


@dataclass(frozen=True)
class WireIssue:
    """One wire worth a look: its key, the pictures involved and what is wrong."""

    wire_group: str
    wire_id: str
    image_ids: tuple[int, ...]
    detail: str

    @property
    def key(self) -> str:
        return f"{self.wire_group}/{self.wire_id}" if self.wire_group else self.wire_id


@dataclass
class DatasetStats:
    image_count: int = 0
    box_count: int = 0
    #: ``counts[view][defect]`` over boxes used for training.
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    view_totals: dict[str, int] = field(default_factory=dict)
    defect_totals: dict[str, int] = field(default_factory=dict)
    #: ``[(boxes in a picture, pictures)]``, ascending.
    boxes_per_picture: list[tuple[int, int]] = field(default_factory=list)
    #: ``[(lower edge px, widths in bin, heights in bin)]``.
    size_histogram: list[tuple[int, int, int]] = field(default_factory=list)
    unpaired: list[WireIssue] = field(default_factory=list)
    unpaired_count: int = 0
    disagreeing: list[WireIssue] = field(default_factory=list)
    disagreeing_count: int = 0
    warnings: list[str] = field(default_factory=list)

    def chart_data(self, defect_labels: list[str]) -> dict[str, object]:
        """What the page's charts draw (``static/annotations/statistics.js``): the same numbers as its tables."""
        return {
            "defects": defect_labels,
            "balance": {view: list(row.values()) for view, row in self.counts.items()},
            "boxes_per_picture": [[boxes, pictures] for boxes, pictures in self.boxes_per_picture],
            "sizes": [[edge, widths, heights] for edge, widths, heights in self.size_histogram],
        }


def _counts(boxes: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    tally = Counter(boxes)
    return {view: {defect: tally[(view, defect)] for defect in DEFECTS} for view in VIEWS}


def _boxes_per_picture(image_count: int) -> list[tuple[int, int]]:
    per_image = Annotation.objects.values("image_id").annotate(n=Count("id")).values_list("n", flat=True)
    tally = Counter(per_image)
    tally[0] = image_count - sum(tally.values())
    return sorted((boxes, pictures) for boxes, pictures in tally.items() if pictures)


def _size_histogram(sizes: list[tuple[float, float]]) -> list[tuple[int, int, int]]:
    widths = Counter(int(width // SIZE_BIN_PX) * SIZE_BIN_PX for width, _ in sizes)
    heights = Counter(int(height // SIZE_BIN_PX) * SIZE_BIN_PX for _, height in sizes)
    edges = sorted(set(widths) | set(heights))
    if not edges:
        return []
    return [(edge, widths[edge], heights[edge]) for edge in range(edges[0], edges[-1] + SIZE_BIN_PX, SIZE_BIN_PX)]


def _unpaired() -> tuple[list[WireIssue], int]:
    """Wires missing a view among their pictures, grouped in the database (indexed on the wire)."""
    per_view = {f"n_{view}": Count("id", filter=Q(view=view)) for view in VIEWS}
    missing_any = Q()
    for name in per_view:
        missing_any |= Q(**{name: 0})
    wires = Image.objects.values("wire_group", "wire_id").annotate(**per_view).filter(missing_any).order_by("wire_group", "wire_id")
    issues = []
    for row in wires[:EXAMPLE_LIMIT]:
        ids = Image.objects.filter(wire_group=row["wire_group"], wire_id=row["wire_id"]).order_by("id").values_list("id", flat=True)
        # annotate(**per_view) adds the n_<view> counts; django-stubs types the row with the values() keys only.
        missing = [view for view in VIEWS if not row[f"n_{view}"]]  # type: ignore[literal-required]
        issues.append(WireIssue(row["wire_group"], row["wire_id"], tuple(ids), f"no {' or '.join(missing)} picture"))
    return issues, wires.count()


def _disagreeing() -> tuple[list[WireIssue], int]:
    """Wires whose TOP and SIDE boxes carry a different (worst) defect."""
    worst: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    ids_by_wire: dict[tuple[str, str], set[int]] = defaultdict(set)
    rows = Annotation.objects.for_training().values_list("image_id", "image__wire_group", "image__wire_id", "view", "defect")
    for image_id, group, wire, view, defect in rows.iterator():
        per_view = worst[(group, wire)]
        if view not in per_view or SEVERITY[defect] > SEVERITY[per_view[view]]:
            per_view[view] = defect
        ids_by_wire[(group, wire)].add(image_id)
    issues = []
    for (group, wire), per_view in sorted(worst.items()):
        if len(per_view) == len(VIEWS) and len(set(per_view.values())) > 1:
            detail = ", ".join(f"{view} {per_view[view]}" for view in VIEWS)
            issues.append(WireIssue(group, wire, tuple(sorted(ids_by_wire[(group, wire)])), detail))
    return issues[:EXAMPLE_LIMIT], len(issues)


def _warnings(counts: dict[str, dict[str, int]], minimum: int) -> list[str]:
    warnings = []
    for defect in DEFECTS:
        for view in VIEWS:
            found = counts[view][defect]
            if found < minimum:
                warnings.append(
                    f"{defect_display(defect)} in {view} view has {found} box{'es' if found != 1 else ''}, "
                    f"fewer than the {minimum} needed to train (WIRESAG_MIN_SAMPLES_PER_CLASS): annotate more of them."
                )
    return warnings


def dataset_stats() -> DatasetStats:
    """Compute every statistic of the page in a handful of queries."""
    image_count = Image.objects.count()
    rows = list(Annotation.objects.for_training().values_list("view", "defect", "width", "height"))
    counts = _counts([(view, defect) for view, defect, _, _ in rows])
    unpaired, unpaired_count = _unpaired()
    disagreeing, disagreeing_count = _disagreeing()
    return DatasetStats(
        image_count=image_count,
        box_count=len(rows),
        counts=counts,
        view_totals={view: sum(counts[view].values()) for view in VIEWS},
        defect_totals={defect: sum(counts[view][defect] for view in VIEWS) for defect in DEFECTS},
        boxes_per_picture=_boxes_per_picture(image_count),
        size_histogram=_size_histogram([(width, height) for _, _, width, height in rows]),
        unpaired=unpaired,
        unpaired_count=unpaired_count,
        disagreeing=disagreeing,
        disagreeing_count=disagreeing_count,
        warnings=_warnings(counts, settings.MIN_SAMPLES_PER_CLASS),
    )
