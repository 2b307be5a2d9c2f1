"""The synthetic generator: reproducible, reference-shaped, and honest about its classes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from core.data.synthetic import (
    REFERENCE_COUNTS,
    generate,
    loop_profile,
    physical_measure,
    plan_for_counts,
    reference_plan,
    render,
    render_with_truth,
    sample_shape,
    scaled_plan,
    shape_ceiling,
)
from core.labels import DEFECTS, VIEWS, parse_wire_name

SMALL = 256

# Class means measured on the 172 real pictures (DOMAIN.md), kept here rather
# than imported so that a change to the generator's constants shows up.
DOMAIN_TOP_BEND = {"PASS": 0.09, "SWEEP": 0.23, "WOBBLE": 0.11, "TOUCH": 0.18}
DOMAIN_SIDE_STITCH_HEIGHT = {"PASS": 0.17, "SWEEP": 0.105, "WOBBLE": 0.18, "TOUCH": 0.073}


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.png"))}


def test_same_seed_gives_byte_identical_files_and_labels(tmp_path: Path) -> None:
    counts = {"PASS": 1, "SWEEP": 1, "WOBBLE": 1, "TOUCH": 1}
    first = generate(tmp_path / "a", counts, seed=7, image_size=SMALL)
    second = generate(tmp_path / "b", counts, seed=7, image_size=SMALL)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert [(s.filename, s.defect, s.box) for s in first] == [(s.filename, s.defect, s.box) for s in second]


def test_different_seed_gives_different_pictures(tmp_path: Path) -> None:
    counts = {"PASS": 1, "SWEEP": 1, "WOBBLE": 1, "TOUCH": 1}
    generate(tmp_path / "a", counts, seed=1, image_size=SMALL)
    generate(tmp_path / "b", counts, seed=2, image_size=SMALL)
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a.keys() == b.keys()
    assert all(a[name] != b[name] for name in a)


def test_a_picture_does_not_depend_on_the_others() -> None:
    plan = scaled_plan(40)
    alone, alone_box = render(37, "SIDE", plan.defects[37], seed=3, image_size=SMALL)
    for index in range(5):
        render(index, "SIDE", plan.defects[index], seed=3, image_size=SMALL)
    again, again_box = render(37, "SIDE", plan.defects[37], seed=3, image_size=SMALL)
    assert alone_box == again_box
    assert np.array_equal(alone, again)


def test_chunks_reproduce_the_whole_run(tmp_path: Path) -> None:
    plan = scaled_plan(6)
    generate(tmp_path / "whole", plan, seed=5, image_size=128)
    generate(tmp_path / "chunks", plan, seed=5, image_size=128, wire_indices=range(0, 3))
    generate(tmp_path / "chunks", plan, seed=5, image_size=128, wire_indices=range(3, 6))
    assert _digests(tmp_path / "whole") == _digests(tmp_path / "chunks")


def test_reference_plan_matches_the_reference_distribution() -> None:
    plan = reference_plan()
    assert len(plan) == 86
    assert plan.counts == {"PASS": 3, "SWEEP": 20, "WOBBLE": 29, "TOUCH": 34}


def test_reference_generation_has_the_reference_counts_per_view(tmp_path: Path) -> None:
    samples = generate(tmp_path, seed=0, image_size=64)
    assert len(samples) == 172
    for view in VIEWS:
        per_view = [s.defect for s in samples if s.view == view]
        assert {d: per_view.count(d) for d in DEFECTS} == REFERENCE_COUNTS
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["seed"] == 0
    assert manifest["counts"] == REFERENCE_COUNTS
    assert len(manifest["samples"]) == 172


@pytest.mark.parametrize("n_wires", [4, 10, 86, 1000, 10_001])
def test_scaled_plan_keeps_proportions_and_every_class(n_wires: int) -> None:
    counts = scaled_plan(n_wires).counts
    assert sum(counts.values()) == n_wires
    assert min(counts.values()) >= 1
    for defect in DEFECTS:
        assert abs(counts[defect] - n_wires * REFERENCE_COUNTS[defect] / 86) <= 1 + 4 * 0.05 * n_wires / 86


def test_plan_for_counts_rejects_an_unknown_class() -> None:
    with pytest.raises(ValueError, match="Unknown defect"):
        plan_for_counts({"BROKEN": 2})


def test_pairs_share_the_class_and_parse_as_wire_names(tmp_path: Path) -> None:
    samples = generate(tmp_path, {"PASS": 2, "TOUCH": 2}, image_size=64)
    by_wire: dict[str, dict[str, str]] = {}
    for sample in samples:
        parsed = parse_wire_name(sample.filename)
        assert parsed.wire_id == sample.wire_id
        assert parsed.view == sample.view
        assert sample.path.is_file()
        by_wire.setdefault(sample.wire_id, {})[sample.view] = sample.defect
    assert sorted(by_wire) == ["w00001", "w00002", "w00003", "w00004"]
    assert all(set(views) == set(VIEWS) and len(set(views.values())) == 1 for views in by_wire.values())


def test_full_size_pictures_are_grey_rgb_with_reference_sized_boxes() -> None:
    widths, heights = [], []
    for index, defect in enumerate(DEFECTS * 2):
        for view in VIEWS:
            picture, (x, y, w, h) = render(index, view, defect, seed=11)
            assert picture.shape == (1004, 1004, 3) and picture.dtype == np.uint8
            assert np.array_equal(picture[..., 0], picture[..., 2])
            assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= 1004 and y + h <= 1004
            widths.append(w)
            heights.append(h)
    assert 140 <= min(widths) and max(widths) <= 260, widths
    assert 30 <= min(heights) and max(heights) <= 140, heights
    assert 170 <= np.mean(widths) <= 230 and 45 <= np.mean(heights) <= 100


def test_boxes_scale_with_the_picture() -> None:
    _, big = render(3, "TOP", "SWEEP", seed=2)
    _, small = render(3, "TOP", "SWEEP", seed=2, image_size=251)
    assert all(abs(b / 4 - s) <= 3 for b, s in zip(big, small, strict=True)), (big, small)


@pytest.mark.parametrize("view", VIEWS)
def test_the_wire_is_drawn_inside_its_box(view: str) -> None:
    size = 502
    ring = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    radius = 12 * size / 1004
    for index, defect in enumerate(DEFECTS):
        rendered = render_with_truth(index, view, defect, seed=4, image_size=size)
        grey = rendered.picture[..., 0].astype(float)
        x, y, w, h = rendered.box
        line = rendered.centre_line
        assert (line[:, 0] >= x).all() and (line[:, 0] <= x + w).all(), (view, defect)
        assert (line[:, 1] >= y).all() and (line[:, 1] <= y + h).all(), (view, defect)
        # The wire really is in the picture there: darker than its
        # surroundings along most of its length (not where it lands on a
        # black lead).
        darker = 0
        for px, py in line:
            around = grey[
                np.clip(np.round(py + radius * np.sin(ring)).astype(int), 0, size - 1),
                np.clip(np.round(px + radius * np.cos(ring)).astype(int), 0, size - 1),
            ]
            darker += grey[round(py), round(px)] < np.median(around) - 10
        assert darker >= 0.8 * len(line), (view, defect, darker, len(line))


@pytest.mark.parametrize(("view", "means"), [("TOP", DOMAIN_TOP_BEND), ("SIDE", DOMAIN_SIDE_STITCH_HEIGHT)])
def test_classes_differ_on_the_physical_axis_in_the_domain_order_with_overlap(view: str, means: dict[str, float]) -> None:
    rng = np.random.default_rng(0)
    measured = {d: np.array([physical_measure(view, loop_profile(sample_shape(view, d, rng))) for _ in range(400)]) for d in DEFECTS}
    by_domain = sorted(DEFECTS, key=lambda d: means[d])
    by_synthetic = sorted(DEFECTS, key=lambda d: measured[d].mean())
    assert by_synthetic == by_domain
    for defect in DEFECTS:
        assert abs(measured[defect].mean() - means[defect]) < 0.01, defect
    # Neighbouring classes overlap: no threshold separates them cleanly.
    for low, high in zip(by_domain, by_domain[1:], strict=False):
        assert measured[low].max() > measured[high].min(), (low, high)


def test_nuisances_do_not_follow_the_class() -> None:
    """Contrast is drawn per picture, independent of the defect class."""
    brightness = {d: np.mean([render(i, "TOP", d, seed=9, image_size=64)[0].mean() for i in range(24)]) for d in DEFECTS}
    assert max(brightness.values()) - min(brightness.values()) < 25, brightness


def test_shape_ceiling_bounds_what_a_model_can_reach() -> None:
    # The classes overlap by design: on the true shape values the Bayes rule reaches about 0.74 per picture
    # and 0.88 per wire (both views); one view alone is clearly worse than the pair.
    ceiling = shape_ceiling(n_wires=4000, seed=1)
    assert 0.68 < ceiling["side_balanced_accuracy"] < ceiling["top_balanced_accuracy"] < 0.80
    assert ceiling["wire_balanced_accuracy"] > ceiling["top_balanced_accuracy"] + 0.08
    assert 0.84 < ceiling["wire_balanced_accuracy"] < 0.92 and ceiling["wire_pass_recall"] > 0.85
