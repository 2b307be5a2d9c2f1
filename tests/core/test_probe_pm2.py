"""Pictures holding several wire loops: the training split."""

from __future__ import annotations

from core.data.dataset import BoxRecord, ImageRecord, dataset_statistics, split_records

#: Nine wires, each a TOP and a SIDE picture holding two loops of these classes (left loop, right loop).
LOOPS = [
    ("PASS", "TOUCH"),
    ("PASS", "WOBBLE"),
    ("PASS", "SWEEP"),
    ("SWEEP", "TOUCH"),
    ("WOBBLE", "TOUCH"),
    ("SWEEP", "WOBBLE"),
    ("TOUCH", "TOUCH"),
    ("SWEEP", "SWEEP"),
    ("WOBBLE", "WOBBLE"),
]


def _two_loop_wires() -> list[ImageRecord]:
    records = []
    for index, (left, right) in enumerate(LOOPS):
        for view in ("TOP", "SIDE"):
            boxes = (BoxRecord(100, 400, 200, 70, view, left), BoxRecord(600, 400, 200, 70, view, right))
            records.append(ImageRecord(f"/data/w{index}_{view}.png", 1004, 1004, f"w{index}", view, boxes))
    return records


def test_pass_loops_beside_defective_loops_of_their_picture_count_and_reach_validation() -> None:
    """Three wires hold PASS loops, each beside a defective loop of its picture: training was refused with "PASS has 0
    wires; at least 2 are needed to validate it. Annotate more PASS wires", though 12 PASS boxes were annotated."""
    snapshot = split_records(_two_loop_wires(), seed=0)
    validation = dataset_statistics(snapshot)["splits"]["val"]["boxes"]
    assert validation["TOP"]["PASS"] >= 1 and validation["SIDE"]["PASS"] >= 1
    assert {record.wire_key for record in snapshot.val}.isdisjoint(record.wire_key for record in snapshot.train)
