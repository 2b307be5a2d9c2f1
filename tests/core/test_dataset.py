"""The split: grouped by wire, stratified, reproducible, and loud about thin classes."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data.dataset import (
    BoxRecord,
    ImageRecord,
    InsufficientData,
    Snapshot,
    dataset_statistics,
    records_from_synthetic,
    split_records,
)
from core.data.synthetic import SyntheticSample, plan_for_counts, wire_id
from core.labels import DEFECTS, VIEWS


def _records(counts: dict[str, int], views: tuple[str, ...] = VIEWS, lot_size: int = 0) -> list[ImageRecord]:
    """Records of a plan without writing pictures (the split never opens them)."""
    plan = plan_for_counts(counts)
    samples = [
        SyntheticSample(f"{wire_id(i)}_{v}.png", Path(f"/data/{wire_id(i)}_{v}.png"), wire_id(i), v, d, (10, 20, 30, 15), (100, 100), 0.1)
        for i, d in enumerate(plan.defects)
        for v in views
    ]
    records = records_from_synthetic(samples)
    if lot_size:
        records = [ImageRecord(**{**r.__dict__, "lot": f"lot{i // (2 * lot_size)}"}) for i, r in enumerate(records)]
    return records


REFERENCE = {"PASS": 3, "SWEEP": 20, "WOBBLE": 29, "TOUCH": 34}


def test_no_wire_appears_in_both_splits() -> None:
    snapshot = split_records(_records(REFERENCE), seed=3)
    train = {r.wire_key for r in snapshot.train}
    val = {r.wire_key for r in snapshot.val}
    assert train and val and not train & val
    assert len(snapshot.train) + len(snapshot.val) == 172


def test_split_is_stratified_and_every_class_on_both_sides() -> None:
    snapshot = split_records(_records(REFERENCE), val_fraction=0.2, seed=0)
    val_wires = {d: len({r.wire_key for r in snapshot.val if r.boxes[0].defect == d}) for d in DEFECTS}
    assert val_wires == {"PASS": 1, "SWEEP": 4, "WOBBLE": 6, "TOUCH": 7}
    assert all(any(r.boxes[0].defect == d for r in snapshot.train) for d in DEFECTS)
    assert snapshot.warnings == ()


def test_same_seed_same_split_other_seed_other_split() -> None:
    records = _records(REFERENCE)
    first = split_records(records, seed=7)
    assert split_records(list(reversed(records)), seed=7) == first
    assert first.fingerprint() == split_records(records, seed=7).fingerprint()
    assert {r.wire_key for r in split_records(records, seed=8).val} != {r.wire_key for r in first.val}


def test_lot_keeps_a_whole_lot_on_one_side() -> None:
    snapshot = split_records(_records(REFERENCE, lot_size=4), seed=1, min_samples_per_class=0)
    assert not {r.lot for r in snapshot.train} & {r.lot for r in snapshot.val}
    assert snapshot.val


def test_class_below_minimum_names_class_and_count() -> None:
    with pytest.raises(InsufficientData, match="PASS has 1 wire; at least 2 are needed to validate it"):
        split_records(_records({"PASS": 1, "SWEEP": 5, "WOBBLE": 5, "TOUCH": 5}))


def test_missing_class_is_reported_with_zero() -> None:
    with pytest.raises(InsufficientData, match="TOUCH has 0 wires"):
        split_records(_records({"PASS": 3, "SWEEP": 5, "WOBBLE": 5, "TOUCH": 0}))


def test_class_with_one_wire_is_a_warning_when_allowed() -> None:
    snapshot = split_records(_records({"PASS": 1, "SWEEP": 5, "WOBBLE": 5, "TOUCH": 5}), min_samples_per_class=1)
    assert len(snapshot.warnings) == 1 and snapshot.warnings[0].startswith("PASS has only 1 wire")
    assert all(r.boxes[0].defect != "PASS" for r in snapshot.val)
    assert any(r.boxes[0].defect == "PASS" for r in snapshot.train)


def test_pictures_with_one_view_are_kept() -> None:
    records = _records(REFERENCE)
    records = [r for r in records if not (r.wire_key in {"w00001", "w00002", "w00003"} and r.view == "SIDE")]
    snapshot = split_records(records)
    assert len(snapshot.train) + len(snapshot.val) == 169
    stats = dataset_statistics(snapshot)
    assert sum(stats["splits"][s]["pictures_without_partner"] for s in ("train", "val")) == 3


def test_group_class_is_the_worst_defect_of_its_boxes() -> None:
    boxes = (BoxRecord(0, 0, 5, 5, "TOP", "PASS"), BoxRecord(10, 10, 5, 5, "TOP", "TOUCH"))
    record = ImageRecord("/a_TOP.png", 50, 50, "a", "TOP", boxes)
    assert record.worst_defect == "TOUCH"


def test_snapshot_round_trips_through_json() -> None:
    snapshot = split_records(_records(REFERENCE), seed=2)
    assert Snapshot.from_json(snapshot.to_json()) == snapshot


def test_statistics_count_per_split_view_defect() -> None:
    snapshot = split_records(_records(REFERENCE), seed=0)
    stats = dataset_statistics(snapshot)
    assert stats["splits"]["val"]["boxes"]["TOP"] == {"PASS": 1, "SWEEP": 4, "WOBBLE": 6, "TOUCH": 7}
    assert stats["splits"]["train"]["box_width"] == {"min": 30, "mean": 30.0, "max": 30}
    assert stats["class_weights"]["defect"] == {"PASS": 13.5, "SWEEP": 1.69, "WOBBLE": 1.17, "TOUCH": 1.0}


def test_no_annotated_picture_at_all_is_refused_with_a_sentence_even_for_the_detector() -> None:
    with pytest.raises(InsufficientData, match="no annotated pictures to train on"):
        split_records([], min_samples_per_class=0)
