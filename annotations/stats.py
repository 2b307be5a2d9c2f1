"""Dataset statistics: is the annotated set balanced, paired and consistent enough to train on?"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Case, CharField, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, Floor
from django.utils import timezone

from annotations.models import Annotation, Image
from core.labels import DEFECTS, SEVERITY, VIEWS, defect_display

SIZE_BIN_PX = 50
#: The size histogram has at most this many bins: past it the bins widen by whole multiples of
#: ``SIZE_BIN_PX`` (one box across a picture 5,000,000 px wide made a page of 100,000 rows).
MAX_SIZE_BINS = 100
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
    #: ``[(lower edge px, widths in bin, heights in bin)]``, bins ``size_bin_px`` wide.
    size_histogram: list[tuple[int, int, int]] = field(default_factory=list)
    size_bin_px: int = SIZE_BIN_PX
    unpaired: list[WireIssue] = field(default_factory=list)
    unpaired_count: int = 0
    disagreeing: list[WireIssue] = field(default_factory=list)
    disagreeing_count: int = 0
    #: Wires holding a box of each defect, as training counts them (``core.data.dataset.split_records``).
    defect_wires: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: When these numbers were counted (the page says so: it may show a summary up to ``STATISTICS_MAX_AGE_SECONDS`` old).
    counted_at: datetime = field(default_factory=lambda: timezone.now())

    def chart_data(self, defect_labels: list[str]) -> dict[str, object]:
        """What the page's charts draw (``static/annotations/statistics.js``): the same numbers as its tables."""
        return {
            "defects": defect_labels,
            "balance": {view: list(row.values()) for view, row in self.counts.items()},
            "boxes_per_picture": [[boxes, pictures] for boxes, pictures in self.boxes_per_picture],
            "sizes": [[edge, widths, heights] for edge, widths, heights in self.size_histogram],
            "size_bin": self.size_bin_px,
        }

    def older_than(self, seconds: int) -> bool:
        """Whether these numbers were counted more than ``seconds`` ago (the page then says a new count is under way)."""
        return timezone.now() - self.counted_at > timedelta(seconds=seconds)


def _label_size_tally(boxes: QuerySet[Annotation]) -> Counter[tuple[str, str, int, int]]:
    """Boxes per (view, defect, width bin, height bin): one scan of the boxes, grouped in SQL.

    The class counts and both size histograms are read from this one small table (a few
    hundred rows however many boxes there are). FLOOR before CAST: SQLite's CAST truncates, PostgreSQL's
    rounds (a 199 px box fell in the 200 bin there).
    """
    rows = (
        boxes.annotate(
            width_bin=Cast(Floor(F("width") / SIZE_BIN_PX), IntegerField()),
            height_bin=Cast(Floor(F("height") / SIZE_BIN_PX), IntegerField()),
        )
        .values("view", "defect", "width_bin", "height_bin")
        .annotate(n=Count("id"))
        .order_by()
    )
    return Counter({(row["view"], row["defect"], int(row["width_bin"]), int(row["height_bin"])): row["n"] for row in rows})


def _counts(tally: Counter[tuple[str, str, int, int]]) -> dict[str, dict[str, int]]:
    labels: Counter[tuple[str, str]] = Counter()
    for (view, defect, _, _), n in tally.items():
        labels[(view, defect)] += n
    return {view: {defect: labels[(view, defect)] for defect in DEFECTS} for view in VIEWS}


def _boxes_per_picture(boxes: QuerySet[Annotation]) -> list[tuple[int, int]]:
    """How many pictures hold 0, 1, 2 ... of ``boxes`` (training data, as every count of the page): boxes grouped by
    picture, then those counts grouped, and the pictures without any, in one SQL statement.

    One statement, so one view of the library: the pictures without boxes were the picture count of an earlier query less
    the pictures with boxes, and an import committed between the two made that "-1 pictures".
    """
    per_image = boxes.values("image_id").annotate(n=Count("id")).order_by().values("n")
    sql, params = per_image.query.sql_with_params()
    table = connection.ops.quote_name(Image._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT n, COUNT(*) FROM ({sql}) AS per_image GROUP BY n "  # noqa: S608 (Django's own SQL and table name)
            f"UNION ALL SELECT 0, (SELECT COUNT(*) FROM {table}) - (SELECT COUNT(*) FROM ({sql}) AS boxed)",
            (*params, *params),
        )
        tally = Counter({int(boxes): int(pictures) for boxes, pictures in cursor.fetchall()})
    return sorted((boxes, pictures) for boxes, pictures in tally.items() if pictures)


def _size_histogram(tally: Counter[tuple[str, str, int, int]]) -> tuple[list[tuple[int, int, int]], int]:
    """The histogram of box widths and heights and its bin width: ``SIZE_BIN_PX``, or a multiple keeping ``MAX_SIZE_BINS``."""
    bins = {width_bin for _, _, width_bin, _ in tally} | {height_bin for *_, height_bin in tally}
    if not bins:
        return [], SIZE_BIN_PX
    merge = -(-(max(bins) - min(bins) + 1) // MAX_SIZE_BINS)  # 50 px bins per shown bin, rounded up
    bin_px = merge * SIZE_BIN_PX
    widths: Counter[int] = Counter()
    heights: Counter[int] = Counter()
    for (_, _, width_bin, height_bin), n in tally.items():
        widths[width_bin // merge * bin_px] += n
        heights[height_bin // merge * bin_px] += n
    edges = sorted(set(widths) | set(heights))
    return [(edge, widths[edge], heights[edge]) for edge in range(edges[0], edges[-1] + bin_px, bin_px)], bin_px


def _image_ids(wires: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, ...]]:
    """The pictures of a few wires, in one query."""
    if not wires:
        return {}
    match = Q()
    for group, wire in wires:
        match |= Q(wire_group=group, wire_id=wire)
    ids: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, group, wire in Image.objects.filter(match).order_by("id").values_list("id", "wire_group", "wire_id"):
        ids[(group, wire)].append(pk)
    return {key: tuple(values) for key, values in ids.items()}


def _unpaired() -> tuple[list[WireIssue], int]:
    """Wires missing a view among their pictures, grouped in the database (indexed on the wire)."""
    per_view = {f"n_{view}": Count("id", filter=Q(view=view)) for view in VIEWS}
    missing_any = Q()
    for name in per_view:
        missing_any |= Q(**{name: 0})
    wires = Image.objects.values("wire_group", "wire_id").annotate(**per_view).filter(missing_any).order_by("wire_group", "wire_id")
    examples = list(wires[:EXAMPLE_LIMIT])
    ids = _image_ids([(row["wire_group"], row["wire_id"]) for row in examples])
    issues = []
    for row in examples:
        # annotate(**per_view) adds the n_<view> counts; django-stubs types the row with the values() keys only.
        missing = [view for view in VIEWS if not row[f"n_{view}"]]  # type: ignore[literal-required]
        key = (row["wire_group"], row["wire_id"])
        issues.append(WireIssue(*key, ids.get(key, ()), f"no {' or '.join(missing)} picture"))
    return issues, len(examples) if len(examples) < EXAMPLE_LIMIT else wires.count()


def _disagreeing(boxes: QuerySet[Annotation]) -> tuple[list[WireIssue], int]:
    """Wires whose TOP and SIDE boxes carry a different worst defect: one grouped query per wire.

    A box's severity is its defect's rank (``SEVERITY``), computed in SQL; each view's worst is the
    maximum over that view's boxes of the wire, and a wire disagrees when both views have one and
    they differ.
    """
    severity = Case(*(When(defect=defect, then=Value(rank)) for defect, rank in SEVERITY.items()), output_field=IntegerField())
    worst = {f"worst_{view}": Max(severity, filter=Q(view=view)) for view in VIEWS}
    both = {f"worst_{view}__isnull": False for view in VIEWS}
    first, *others = VIEWS
    differ = Q()
    for view in others:
        differ |= ~Q(**{f"worst_{first}": F(f"worst_{view}")})
    wires = (
        boxes.values("image__wire_group", "image__wire_id")
        .annotate(**worst)
        .filter(**both)
        .filter(differ)
        .order_by("image__wire_group", "image__wire_id")
    )
    examples = list(wires[:EXAMPLE_LIMIT])
    ids = _image_ids([(row["image__wire_group"], row["image__wire_id"]) for row in examples])
    by_rank = {rank: defect for defect, rank in SEVERITY.items()}
    issues = []
    for row in examples:
        key = (row["image__wire_group"], row["image__wire_id"])
        detail = ", ".join(f"{view} {by_rank[row[f'worst_{view}']]}" for view in VIEWS)  # type: ignore[literal-required]
        issues.append(WireIssue(*key, ids.get(key, ()), detail))
    return issues, len(examples) if len(examples) < EXAMPLE_LIMIT else wires.count()


def _defect_wires(boxes: QuerySet[Annotation]) -> dict[str, int]:
    """Wires holding a box of each defect, in one grouped query (a wire is its group and id, as training groups it)."""
    wire = Concat("image__wire_group", Value("\x1f"), "image__wire_id", output_field=CharField())  # a separator names refuse
    found = dict(boxes.order_by().values("defect").annotate(wires=Count(wire, distinct=True)).values_list("defect", "wires"))
    return {defect: int(found.get(defect, 0)) for defect in DEFECTS}


def _warnings(defect_wires: dict[str, int], minimum: int) -> list[str]:
    """What training will refuse: a defect on fewer wires than the minimum (both views and every loop of a wire are one).

    Counted in boxes per view, three PASS loops on one wire's pictures looked like enough here, and training then refused.
    """
    return [
        f"{defect_display(defect)} is on {found} wire{'s' if found != 1 else ''}, fewer than the {minimum} needed to train "
        f"the defect model (WIRESAG_MIN_SAMPLES_PER_CLASS): annotate more {defect} wires."
        for defect, found in defect_wires.items()
        if found < minimum
    ]


def dataset_stats() -> DatasetStats:
    """Compute every statistic of the page in a handful of aggregate queries (no box is loaded one by one)."""
    boxes = Annotation.objects.for_training()
    boxes_per_picture = _boxes_per_picture(boxes)
    tally = _label_size_tally(boxes)
    counts = _counts(tally)
    unpaired, unpaired_count = _unpaired()
    disagreeing, disagreeing_count = _disagreeing(boxes)
    size_histogram, size_bin_px = _size_histogram(tally)
    defect_wires = _defect_wires(boxes)
    return DatasetStats(
        image_count=sum(pictures for _boxes, pictures in boxes_per_picture),  # the pictures the table below counts
        box_count=sum(sum(row.values()) for row in counts.values()),
        counts=counts,
        view_totals={view: sum(counts[view].values()) for view in VIEWS},
        defect_totals={defect: sum(counts[view][defect] for view in VIEWS) for defect in DEFECTS},
        boxes_per_picture=boxes_per_picture,
        size_histogram=size_histogram,
        size_bin_px=size_bin_px,
        unpaired=unpaired,
        unpaired_count=unpaired_count,
        disagreeing=disagreeing,
        disagreeing_count=disagreeing_count,
        defect_wires=defect_wires,
        warnings=_warnings(defect_wires, settings.MIN_SAMPLES_PER_CLASS),
    )


# --- the summary the page shows -------------------------------------------------------------------
#
# Counting 100,000 pictures takes a few hundred milliseconds (bench/bench_statistics.py), far more
# than a page should. The web process keeps the last count and serves it while it is younger than
# STATISTICS_MAX_AGE_SECONDS; an older one is still served at once, and counted again in a thread
# beside it (one at a time), so only the very first view waits for a count. "Count again now"
# (``fresh``) counts before answering. One count runs at a time in the process, and a view that had
# to wait takes the count that began after it asked: a hundred "Count again now" at once cost at
# most two counts, not a hundred (a hostile or impatient user cannot pile counts onto the server).

logger = logging.getLogger("wiresag.statistics")


@dataclass
class _Summary:
    stats: DatasetStats | None = None
    monotonic: float = 0.0
    refreshing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Held while counting: one count at a time.
    counting: threading.Lock = field(default_factory=threading.Lock)


_summary = _Summary()


def _count_and_keep(asked_at: float | None = None) -> DatasetStats:
    """Count and keep the summary; a caller who asked at ``asked_at`` takes a count that began after that."""
    with _summary.counting:
        with _summary.lock:
            kept, began = _summary.stats, _summary.monotonic
        if kept is not None and asked_at is not None and began >= asked_at:
            return kept  # counted while this caller waited, with everything saved before it asked
        began = time.monotonic()
        stats = dataset_stats()
        with _summary.lock:
            _summary.stats, _summary.monotonic = stats, began
    return stats


def _refresh() -> None:
    try:
        _count_and_keep()
    except Exception:  # the page keeps the older summary; the next view tries again
        logger.exception("Counting the statistics failed")
    finally:
        with _summary.lock:
            _summary.refreshing = False
        connection.close()  # this thread's own database connection


def current_stats(*, fresh: bool = False, background: bool = True) -> DatasetStats:
    """The statistics summary: counted now when there is none (or ``fresh``), else the kept one.

    A kept summary older than ``STATISTICS_MAX_AGE_SECONDS`` is returned as it is while a thread
    counts again (``background=False`` counts before returning instead: the tests' way).
    """
    asked_at = time.monotonic()
    with _summary.lock:
        kept, age = _summary.stats, asked_at - _summary.monotonic
        stale = kept is not None and age > settings.STATISTICS_MAX_AGE_SECONDS
        start_refresh = stale and background and not _summary.refreshing
        if start_refresh:
            _summary.refreshing = True
    if kept is None or fresh or (stale and not background):
        return _count_and_keep(asked_at)
    if start_refresh:
        threading.Thread(target=_refresh, name="wiresag-statistics", daemon=True).start()
    return kept


def forget_summary() -> None:
    """Drop the kept summary (tests start from nothing)."""
    with _summary.lock:
        _summary.stats, _summary.monotonic = None, 0.0
