"""Training sets on disk: YOLO layout Ultralytics accepts, crops in class order, reuse, legacy data."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path, PureWindowsPath

import numpy as np
import pytest
from PIL import Image as PILImage

from core.data.dataset import BoxRecord, ImageRecord, records_from_synthetic, split_records
from core.data.prepare import prepare_crops, prepare_yolo, read_rgb8
from core.data.synthetic import generate, scaled_plan
from core.labels import DEFECTS, VIEWS, defect_label, parse_wire_name
from core.offline import configure_offline, install_fonts

LEGACY = Path("/work/shared/samples/legacy")
SMALL = 128


@pytest.fixture(scope="module")
def synthetic_snapshot(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    samples = generate(tmp_path_factory.mktemp("pictures"), scaled_plan(16), image_size=SMALL)
    return split_records(records_from_synthetic(samples), seed=0, min_samples_per_class=1)


def legacy_records() -> list[ImageRecord]:
    """Records from the desktop tool's database; a wire is its class folder plus its number."""
    connection = sqlite3.connect(LEGACY / "annotations.db")
    rows = connection.execute(
        "SELECT i.id, i.filepath, i.width, i.height, a.id, a.bbox_x, a.bbox_y, a.bbox_width, a.bbox_height,"
        " a.view_type, a.defect_type FROM images i JOIN annotations a ON a.image_id = i.id ORDER BY i.id"
    ).fetchall()
    connection.close()
    records = []
    for image_id, filepath, width, height, box_id, x, y, w, h, view, defect in rows:
        parts = PureWindowsPath(filepath).parts
        relative = Path(*parts[parts.index("photo") :])
        name = parse_wire_name(relative.name)
        box = BoxRecord(x, y, w, h, view.upper(), defect_label(defect), annotation_id=box_id)
        records.append(
            ImageRecord(str(LEGACY / relative), width, height, f"{relative.parent.name}/{name.wire_id}", name.view, (box,), image_id)
        )
    return records


@pytest.mark.slow
def test_yolo_set_passes_ultralytics_dataset_check(synthetic_snapshot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    configure_offline(Path(os.environ["WIRESAG_DATA_DIR"]))
    install_fonts()
    from ultralytics.data.utils import check_det_dataset, img2label_paths

    data_yaml = prepare_yolo(synthetic_snapshot, tmp_path / "yolo")
    data = check_det_dataset(str(data_yaml))
    assert data["nc"] == 1 and data["names"] == {0: "wire"}
    train_images = sorted((tmp_path / "yolo" / "images" / "train").iterdir())
    assert len(train_images) == len(synthetic_snapshot.train)
    assert all(p.is_symlink() for p in train_images)
    label_paths = img2label_paths([str(p) for p in train_images])
    assert all(Path(p).read_text().startswith("0 ") for p in label_paths)  # Ultralytics finds every label


def test_yolo_labels_are_normalised_centre_boxes(synthetic_snapshot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prepare_yolo(synthetic_snapshot, tmp_path / "yolo")
    record = synthetic_snapshot.val[0]
    image = next(p for p in (tmp_path / "yolo" / "images" / "val").iterdir() if p.resolve() == Path(record.path).resolve())
    label = (tmp_path / "yolo" / "labels" / "val" / f"{image.stem}.txt").read_text().split()
    box = record.boxes[0]
    expected = [0, (box.x + box.width / 2) / SMALL, (box.y + box.height / 2) / SMALL, box.width / SMALL, box.height / SMALL]
    assert [float(v) for v in label] == pytest.approx(expected, abs=1e-6)


def test_unchanged_snapshot_reuses_the_folder_and_a_changed_one_rebuilds(synthetic_snapshot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "yolo"
    prepare_yolo(synthetic_snapshot, out)
    marker = out / "labels" / "train" / "marker.txt"
    marker.write_text("kept")
    prepare_yolo(synthetic_snapshot, out)
    assert marker.exists()
    changed = split_records([*synthetic_snapshot.train, *synthetic_snapshot.val], seed=5, min_samples_per_class=1)
    prepare_yolo(changed, out)
    assert not marker.exists()


def test_sixteen_bit_picture_becomes_a_windowed_8_bit_copy(tmp_path: Path) -> None:
    grey = np.full((64, 64), 40000, dtype=np.uint16)
    grey[30:34, 10:50] = 20000  # the wire: darker, far above 255
    PILImage.fromarray(grey).save(tmp_path / "w1_TOP.png")
    record = ImageRecord(str(tmp_path / "w1_TOP.png"), 64, 64, "w1", "TOP", (BoxRecord(8, 28, 44, 8, "TOP", "PASS"),))
    data_yaml = prepare_yolo(split_records([record], val_fraction=0, min_samples_per_class=0), tmp_path / "yolo")
    (copy,) = (data_yaml.parent / "images" / "train").iterdir()
    assert not copy.is_symlink()
    picture = np.asarray(PILImage.open(copy))
    assert picture.dtype == np.uint8 and picture.shape == (64, 64, 3)
    assert picture[32, 30, 0] < picture[5, 5, 0]  # the wire is still visible, not clipped to white
    assert json.loads((data_yaml.parent / "info.json").read_text())["windowed_copies"] == 1


def test_defect_crops_use_full_class_order_and_create_empty_folders(tmp_path: Path) -> None:
    samples = generate(tmp_path / "pictures", {"SWEEP": 2, "TOUCH": 2}, image_size=SMALL)
    snapshot = split_records(records_from_synthetic(samples), min_samples_per_class=0)
    out = prepare_crops(snapshot, tmp_path / "crops", "defect", margin=0.15)
    info = json.loads((out / "info.json").read_text())
    assert info["classes"] == list(DEFECTS)
    assert all((out / split / cls).is_dir() for split in ("train", "val") for cls in DEFECTS)
    assert info["counts"]["train"]["PASS"] == 0 and info["counts"]["train"]["TOUCH"] == 2
    crop = next((out / "train" / "TOUCH").iterdir())
    sample = next(s for s in samples if s.wire_id in crop.name and s.view in crop.name)
    width, height = PILImage.open(crop).size
    assert width == pytest.approx(sample.box[2] * 1.3, abs=2) and height == pytest.approx(sample.box[3] * 1.3, abs=2)


def test_view_set_can_hold_whole_pictures_resized(synthetic_snapshot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = prepare_crops(synthetic_snapshot, tmp_path / "views", "view", whole_image=True, size=64)
    info = json.loads((out / "info.json").read_text())
    assert info["classes"] == list(VIEWS)
    assert sum(info["counts"]["train"].values()) == len(synthetic_snapshot.train)
    assert PILImage.open(next((out / "train" / "TOP").iterdir())).size == (64, 64)


def test_legacy_sample_gives_all_three_sets(tmp_path: Path) -> None:
    records = legacy_records()
    assert len(records) == 8 and len({r.wire_key for r in records}) == 4
    snapshot = split_records(records, min_samples_per_class=1)
    assert len(snapshot.warnings) == 4  # one wire per class: training only, and said so
    data_yaml = prepare_yolo(snapshot, tmp_path / "yolo")
    assert len(list((data_yaml.parent / "images" / "train").iterdir())) == 8
    defects = json.loads((prepare_crops(snapshot, tmp_path / "defect", "defect") / "info.json").read_text())
    assert defects["counts"]["train"] == {"PASS": 2, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}
    views = json.loads((prepare_crops(snapshot, tmp_path / "view", "view") / "info.json").read_text())
    assert views["counts"]["train"] == {"TOP": 4, "SIDE": 4}
    assert read_rgb8(records[0].path).shape == (1004, 1004, 3)


def test_crops_of_pictures_stored_under_a_hash_name_still_tell_their_view(tmp_path: Path) -> None:
    """Uploaded and imported pictures are stored as ``<sha256>.<ext>``: the crop's name must carry the view.

    Before, such crops had no view, so the per-view shape classifier was never fitted on real data and
    every defect probability came out uniform.
    """
    from core.training.crops import crop_view

    records = []
    for record in legacy_records():
        stored = tmp_path / "media" / f"{abs(hash(record.path)):x}.jpg"
        stored.parent.mkdir(exist_ok=True)
        stored.write_bytes(Path(record.path).read_bytes())
        records.append(ImageRecord(str(stored), record.width, record.height, record.wire_key, None, record.boxes, record.image_id))
    out = prepare_crops(split_records(records, seed=0, min_samples_per_class=0), tmp_path / "crops", "defect", size=32)
    crops = sorted(out.glob("*/*/*.png"))
    assert len(crops) == 8
    views = {path.name: crop_view(str(path)) for path in crops}
    assert sorted(views.values()) == ["SIDE"] * 4 + ["TOP"] * 4, views


def _prepare_in_another_process(kind: str, snapshot, folder: str, start) -> str:  # type: ignore[no-untyped-def]
    start.wait()
    if kind == "yolo":
        return json.loads((prepare_yolo(snapshot, Path(folder)).parent / "info.json").read_text())["fingerprint"]
    return json.loads((prepare_crops(snapshot, Path(folder), "defect") / "info.json").read_text())["fingerprint"]


@pytest.mark.parametrize("kind", ["crops", "yolo"])
def test_processes_preparing_the_same_set_at_once_all_get_it_whole(synthetic_snapshot, tmp_path: Path, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Two workers training on the same data at once (the scale-out profile) share one prepared folder.

    The processes are started fresh ("spawn"), as separate workers are: forked from this test process, which holds
    the threads of the libraries earlier tests used (Ultralytics' polars, OpenMP), a child could hang on a lock one of
    them held at the fork.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    start = context.Manager().Event()
    folder = tmp_path / "shared-set"
    with context.Pool(4) as pool:
        waiting = [pool.apply_async(_prepare_in_another_process, (kind, synthetic_snapshot, str(folder), start)) for _ in range(4)]
        start.set()
        fingerprints = [result.get(timeout=300) for result in waiting]
    assert fingerprints == [synthetic_snapshot.fingerprint()] * 4
    if kind == "crops":
        written = sorted(path.relative_to(folder) for path in folder.rglob("*.png"))
        assert written and written == sorted(
            path.relative_to(folder) for path in prepare_crops(synthetic_snapshot, folder, "defect").rglob("*.png")
        )
