"""Training sets on disk: the YOLO layout for the detector, crops for the classifiers.

Pictures are linked, not copied (a 1004 px PNG is ~1 MB; a data set of
thousands must not double the disk use); only 16-bit pictures get an 8-bit
windowed copy, because Ultralytics would clip them, and pictures with an EXIF
orientation get a copy of their stored pixels, because Ultralytics would turn them. Each folder carries an
``info.json`` with the snapshot fingerprint: preparing an unchanged snapshot
again reuses the folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import logging
import os
import shutil
import stat
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Literal

import cv2
import numpy as np
import yaml
from PIL import Image as PILImage

from core.data.dataset import SPLITS, ImageRecord, Snapshot, box_counts, dataset_statistics
from core.data.weights import class_weights
from core.imaging.decode import window_to_8bit
from core.labels import DEFECTS, VIEWS, parse_wire_name

logger = logging.getLogger("wiresag.training")

YOLO_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
_HIGH_DEPTH_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I", "F"}
#: Beside each prepared set ``<name>``, the file ``<name>.lock`` that its builder (and its cleanup) locks.
LOCK_SUFFIX = ".lock"
#: The EXIF tag of a picture's display orientation; 1 (or none) means "as stored".
_EXIF_ORIENTATION = 0x0112


def _read_info(out_dir: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((out_dir / "info.json").read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


@contextmanager
def _only_one_builder(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<out_dir>.lock`` while the folder is checked and (re)built.

    Two workers training on the same data at once (several workers on one machine, or hosts
    sharing the data folder) would otherwise empty each other's half-written folder. The
    second one waits, then finds the folder finished and uses it.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_file(out_dir)
    while True:
        with open(lock, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                if _still_the_lock(handle, lock):  # else the cleanup deleted the set (and its lock) while we waited
                    yield
                    return
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_file(out_dir: Path) -> Path:
    return out_dir.with_name(f"{out_dir.name}{LOCK_SUFFIX}")


def _still_the_lock(handle: IO[str], lock: Path) -> bool:
    """Whether the locked ``handle`` is still the file at ``lock`` (the cleanup deletes a lock file it holds)."""
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.lstat(lock))
    except FileNotFoundError:
        return False


def _fresh_folder(out_dir: Path, fingerprint: str, extra: dict[str, Any]) -> bool:
    """True when ``out_dir`` already holds this snapshot; otherwise empty it for a rebuild."""
    info = _read_info(out_dir)
    if info is not None and info.get("fingerprint") == fingerprint and all(info.get(k) == v for k, v in extra.items()):
        os.utime(out_dir)  # used now: ``remove_unused`` deletes the sets left unused for a while
        return True
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    return False


#: Bumped when the names or contents of prepared crops change meaning, so old sets are prepared again.
CROPS_VERSION = 2


def output_name(record: ImageRecord, view: str | None = None) -> str:
    """A unique, stable file name: legacy folders repeat names like ``001_TOP.jpg``.

    With ``view`` the name ends in ``_<VIEW>`` (unless the picture's own name already says so),
    so the trainers read a crop's view from its name: stored pictures are named by their
    content hash, which says nothing about the view.
    """
    source = Path(record.path)
    digest = hashlib.sha256(record.path.encode()).hexdigest()[:10]
    stem = source.stem
    if view is not None and parse_wire_name(source.name).view != view:
        stem = f"{stem}_{view}"
    return f"{stem}-{digest}"


#: How many pictures without a file a preparation names before it counts the rest.
MISSING_NAMED = 10


def _named(record: ImageRecord) -> str:
    return f"{record.name or Path(record.path).name} (wire {record.wire_key})"


class PictureUnreadable(ValueError):
    """A picture of the snapshot that is missing from the data folder or can no longer be decoded.

    ``also_missing``: the snapshot's other pictures without a file, named in the same sentence (``refuse_missing``).
    """

    def __init__(self, record: ImageRecord, error: Exception, also_missing: Sequence[ImageRecord] = ()) -> None:
        if also_missing:
            missing = [record, *also_missing]
            named = ", ".join(_named(each) for each in missing[:MISSING_NAMED])
            more = f" and {len(missing) - MISSING_NAMED} more" if len(missing) > MISSING_NAMED else ""
            super().__init__(
                f"{len(missing)} pictures cannot be read: their files are missing from the data folder: {named}{more}. Copy "
                "them back from the backup (the library's Files missing filter lists them), or delete them in the library, "
                "then start the run again."
            )
        else:
            what = "its file is missing" if isinstance(error, FileNotFoundError) else f"its file is damaged ({error})"
            super().__init__(
                f"The picture {_named(record)} cannot be read: {what}. Restore the data folder from its backup, "
                "or delete the picture in the library, then start the run again."
            )
        self.record = record


def refuse_missing(snapshot: Snapshot) -> None:
    """``PictureUnreadable`` naming every picture of ``snapshot`` whose file is missing, before anything is prepared.

    Read one by one, a run stopped at the first and named it alone: a restore that lost thirty pictures took thirty runs
    to find them. One stat() a picture, which the preparation reads anyway.
    """
    missing = [record for split in SPLITS for record in snapshot.split(split) if not Path(record.path).is_file()]
    if missing:
        raise PictureUnreadable(missing[0], FileNotFoundError(missing[0].path), missing[1:])


def read_record(record: ImageRecord) -> np.ndarray:
    """``read_rgb8`` of a snapshot's picture; a missing or damaged file is a ``PictureUnreadable`` naming the picture."""
    try:
        if not Path(record.path).is_file():
            raise FileNotFoundError(record.path)
        return read_rgb8(record.path)
    except (OSError, ValueError, SyntaxError) as error:  # Pillow raises all three for damaged files
        raise PictureUnreadable(record, error) from None


def _needs_copy(record: ImageRecord, source: Path) -> bool:
    """Whether Ultralytics would read other pixels than the stored ones; a missing or undecodable file is a ``PictureUnreadable``.

    A high-depth picture would be clipped; one with an EXIF orientation would be turned (its
    reader applies the tag), while its size, its boxes, its display copy and inspection all
    take the stored pixels as they are.
    """
    try:
        if not source.is_file():
            raise FileNotFoundError(source)
        with PILImage.open(source) as image:
            image.verify()
        with PILImage.open(source) as image:
            return image.mode in _HIGH_DEPTH_MODES or image.getexif().get(_EXIF_ORIENTATION, 1) != 1
    except (OSError, ValueError, SyntaxError) as error:
        raise PictureUnreadable(record, error) from None


def _turned_by_pillow(path: str | Path) -> bool:
    """Whether Pillow turns the picture when it loads it: a TIFF with an orientation tag (JPEG and PNG it keeps as stored).

    The library decodes with Pillow (its size, its display copy, inspection); OpenCV reads such a
    TIFF as stored, so the trainers read it with Pillow too.
    """
    try:
        with PILImage.open(path) as image:
            return image.format == "TIFF" and image.getexif().get(_EXIF_ORIENTATION, 1) != 1
    except (OSError, ValueError, SyntaxError):
        return False  # OpenCV has its say


def read_rgb8(path: str | Path) -> np.ndarray:
    """An 8-bit RGB array of any supported picture as the library decodes it, 16-bit ones windowed rather than clipped."""
    array = None if _turned_by_pillow(path) else cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if array is None:
        # From the bytes, as the library's decoder reads: from a path, Pillow maps an uncompressed TIFF and skips its orientation.
        with PILImage.open(io.BytesIO(Path(path).read_bytes())) as image:
            array = np.asarray(image)
        if array.ndim == 3:
            array = array[..., ::-1]
    if array.dtype != np.uint8:
        grey = array if array.ndim == 2 else array[..., 0]
        return np.repeat(window_to_8bit(grey)[..., None], 3, axis=2)
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=2)
    if array.shape[2] == 4:
        array = array[..., :3]
    return np.ascontiguousarray(array[..., ::-1])


def _write_png(path: Path, rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_PNG_COMPRESSION, 1]):
        raise OSError(f"Could not write {path}; check the free disk space and the folder's permissions.")


def yolo_label_lines(record: ImageRecord) -> list[str]:
    """One ``0 cx cy w h`` line per box, normalised and kept inside the picture."""
    lines = []
    for box in record.boxes:
        x0 = min(max(box.x, 0.0), record.width)
        y0 = min(max(box.y, 0.0), record.height)
        x1 = min(max(box.x + box.width, 0.0), record.width)
        y1 = min(max(box.y + box.height, 0.0), record.height)
        if x1 <= x0 or y1 <= y0:
            continue
        cx, cy = (x0 + x1) / 2 / record.width, (y0 + y1) / 2 / record.height
        w, h = (x1 - x0) / record.width, (y1 - y0) / record.height
        lines.append(f"0 {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return lines


def prepare_yolo(snapshot: Snapshot, out_dir: Path) -> Path:
    """Write the Ultralytics layout and return the ``data.yaml`` path.

    ``images/{train,val}`` hold symlinks to the originals (8-bit windowed PNG
    copies of 16-bit pictures), ``labels/{train,val}`` one text file per
    picture with class 0 ("wire"); a picture without boxes gets an empty
    label file and serves as a background example.
    """
    out_dir = Path(out_dir).absolute()
    with _only_one_builder(out_dir):
        return _build_yolo(snapshot, out_dir)


def _build_yolo(snapshot: Snapshot, out_dir: Path) -> Path:
    fingerprint = snapshot.fingerprint()
    data_yaml = out_dir / "data.yaml"
    fresh = _fresh_folder(out_dir, fingerprint, {"task": "detection"}) and data_yaml.exists()
    # Before reuse too: the set links the pictures, and Ultralytics skips a link whose picture has gone (deleted in the
    # library since, lost in a restore) as a corrupt image, so the run would train on fewer pictures than it says.
    refuse_missing(snapshot)
    if fresh:
        return data_yaml
    linked = copied = 0
    for split in SPLITS:
        image_dir, label_dir = out_dir / "images" / split, out_dir / "labels" / split
        image_dir.mkdir(parents=True)
        label_dir.mkdir(parents=True)
        for record in snapshot.split(split):
            name = output_name(record)
            source = Path(record.path).absolute()
            suffix = source.suffix.lower()
            if _needs_copy(record, source) or suffix not in YOLO_SUFFIXES:
                _write_png(image_dir / f"{name}.png", read_record(record))
                copied += 1
            else:
                os.symlink(source, image_dir / f"{name}{suffix}")
                linked += 1
            lines = yolo_label_lines(record)
            (label_dir / f"{name}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    data = {"path": str(out_dir), "train": "images/train", "val": "images/val", "names": {0: "wire"}}
    data_yaml.write_text(yaml.safe_dump(data, sort_keys=False))
    info = {
        "task": "detection",
        "fingerprint": fingerprint,
        "classes": ["wire"],
        "counts": {s: {"pictures": len(snapshot.split(s)), "boxes": sum(len(r.boxes) for r in snapshot.split(s))} for s in SPLITS},
        "linked": linked,
        "windowed_copies": copied,
        "statistics": dataset_statistics(snapshot),
    }
    _write_info(out_dir, info)
    return data_yaml


def _write_info(out_dir: Path, info: dict[str, Any]) -> None:
    """Written last, so a half-written folder is never mistaken for a finished one."""
    (out_dir / "info.json").write_text(json.dumps(info, indent=1, ensure_ascii=False))


def crop_box(picture: np.ndarray, x: float, y: float, width: float, height: float, margin: float) -> np.ndarray:
    """The box plus ``margin`` times its size on every side, clipped to the picture."""
    rows, cols = picture.shape[:2]
    x0 = int(np.floor(max(x - margin * width, 0)))
    y0 = int(np.floor(max(y - margin * height, 0)))
    x1 = int(np.ceil(min(x + width + margin * width, cols)))
    y1 = int(np.ceil(min(y + height + margin * height, rows)))
    return picture[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)]


#: How the defect model frames a wire loop before cropping it (chosen by its cross-validation on real-dev):
#: about 5 % of the span beyond the bonds along the wire, and across it the loop's own extent with 15 % to
#: spare, at least a third of the span. (Annotators frame TOP loops looser; see ``inference.SNAP_FRAMING``.)
FRAME_ALONG, FRAME_ACROSS, FRAME_LEAST = 1.1, 1.3, 0.33
#: A trace this weak against its crop's background is no wire (flat or noisy crops give 1.2-1.9; the
#: real-dev crops 3.7 and more, annotated or detected): the box then stays as drawn.
FRAME_MIN_CONTRAST = 2.5


#: Where the wire traced in a box lies in the picture: (left, right, top, bottom) of its centre line.
Extent = tuple[float, float, float, float]


def traced_extent(picture: np.ndarray, x: float, y: float, width: float, height: float, margin: float, view: str) -> Extent | None:
    """The extent of the wire traced in the box plus ``margin``; None without a usable trace (too short or too faint)."""
    from core.shape.wireshape import trace

    traced = trace(crop_box(picture, x, y, width, height, margin), view)
    points = traced.points
    if len(points) < 8 or traced.contrast < FRAME_MIN_CONTRAST:
        return None
    xs = points[:, 0] + np.floor(max(x - margin * width, 0))
    ys = points[:, 1] + np.floor(max(y - margin * height, 0))
    return float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())


def frame_extent(
    extent: Extent, framing: tuple[float, float, float] = (FRAME_ALONG, FRAME_ACROSS, FRAME_LEAST)
) -> tuple[float, float, float, float]:
    """A box (x, y, width, height) around a traced extent; ``framing`` is (along, across, least).

    Along the wire: the traced length times ``along``; across it: the traced extent times ``across``,
    but at least ``least`` times the span.
    """
    along, across, least = framing
    left, right, top, bottom = extent
    extent_x, extent_y = right - left, bottom - top
    span = max(extent_x, extent_y)
    if extent_x >= extent_y:
        new_width, new_height = extent_x * along, max(extent_y * across, least * span)
    else:
        new_width, new_height = max(extent_x * across, least * span), extent_y * along
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    return centre_x - new_width / 2, centre_y - new_height / 2, new_width, new_height


def wire_frame(
    picture: np.ndarray, x: float, y: float, width: float, height: float, margin: float, view: str
) -> tuple[float, float, float, float]:
    """The box drawn again around the wire traced inside it, as an annotator would frame that wire.

    A detector's box may sit 20-50 px off an annotator's; measures taken in the crop then change
    with it (the trace runs into a lead or stops short). Framing every box, annotated or detected,
    on its own traced wire makes the crop the same whoever drew the box. Without a usable trace
    (fewer than 8 points, or too faint to be a wire) the box stays as it is.
    """
    extent = traced_extent(picture, x, y, width, height, margin, view)
    return (x, y, width, height) if extent is None else frame_extent(extent)


def classifier_crop(
    picture: np.ndarray,
    x: float,
    y: float,
    width: float,
    height: float,
    margin: float,
    view: str | None,
    framed: bool,
    extent: Extent | None = None,
) -> np.ndarray:
    """A classifier's crop of one box: the box itself, or (``framed``, defect model) the box framed on its wire.

    ``extent``: the wire already traced in this box with this ``margin`` (``traced_extent``), so it is not traced twice.
    """
    if framed:
        x, y, width, height = (
            frame_extent(extent) if extent is not None else wire_frame(picture, x, y, width, height, margin, view or "TOP")
        )
    return crop_box(picture, x, y, width, height, margin)


def _resized(picture: np.ndarray, size: int | None) -> np.ndarray:
    """Longest side to ``size``, keeping the aspect ratio (the wire's shape is the signal)."""
    if size is None:
        return picture
    rows, cols = picture.shape[:2]
    scale = size / max(rows, cols)
    target = (max(1, round(cols * scale)), max(1, round(rows * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(picture, target, interpolation=interpolation)


def prepare_crops(
    snapshot: Snapshot,
    out_dir: Path,
    task: Literal["defect", "view"],
    margin: float = 0.15,
    whole_image: bool = False,
    size: int | None = None,
    framed: bool = False,
) -> Path:
    """Write ``{train,val}/<CLASS>/<name>.png`` crops for a classifier and return ``out_dir``.

    Every class folder exists, even empty; ``info.json["classes"]`` is the
    full class order (a sample's class index is its folder's position there).
    ``whole_image`` (view task only) writes each picture instead of its boxes; ``framed``
    (defect task only) frames each box on its traced wire first (``wire_frame``).
    Crops are 8-bit RGB PNG with the aspect ratio kept.
    """
    if task not in ("defect", "view"):
        raise ValueError(f"Unknown task {task!r}; expected 'defect' or 'view'.")
    if whole_image and task != "view":
        raise ValueError("Whole pictures only make sense for the view classifier; the defect classifier needs box crops.")
    out_dir = Path(out_dir).absolute()
    with _only_one_builder(out_dir):
        return _build_crops(snapshot, out_dir, task, margin, whole_image, size, framed and task == "defect")


def _build_crops(
    snapshot: Snapshot,
    out_dir: Path,
    task: Literal["defect", "view"],
    margin: float,
    whole_image: bool,
    size: int | None,
    framed: bool,
) -> Path:
    classes = list(DEFECTS if task == "defect" else VIEWS)
    fingerprint = snapshot.fingerprint()
    settings = {"task": task, "margin": margin, "whole_image": whole_image, "size": size, "crops_version": CROPS_VERSION}
    if task == "defect":  # either way: unframed crops never stand in for framed ones, nor the reverse
        settings["framed"] = framed
    # Before reuse too, as the detector's set: the crops are copies, so a picture deleted in the library (or lost in a
    # restore) since would still be trained on, while the same snapshot without the set (cleaned up) is refused.
    refuse_missing(snapshot)
    if _fresh_folder(out_dir, fingerprint, settings):
        return out_dir
    counts = {split: dict.fromkeys(classes, 0) for split in SPLITS}
    for split in SPLITS:
        for cls in classes:
            (out_dir / split / cls).mkdir(parents=True)
        for record in snapshot.split(split):
            if whole_image:
                view = record.picture_view
                if view is None:
                    continue
                picture = read_record(record)
                _write_png(out_dir / split / view / f"{output_name(record, view)}.png", _resized(picture, size))
                counts[split][view] += 1
                continue
            if not record.boxes:
                continue
            picture = read_record(record)
            for index, box in enumerate(record.boxes):
                cls = box.defect if task == "defect" else box.view
                crop = classifier_crop(picture, box.x, box.y, box.width, box.height, margin, box.view, framed)
                _write_png(out_dir / split / cls / f"{output_name(record, box.view)}-{index}.png", _resized(crop, size))
                counts[split][cls] += 1
    train_counts = [counts["train"][c] for c in classes] if whole_image else box_counts(snapshot.train, task)
    info = {
        **settings,
        "classes": classes,
        "counts": counts,
        "class_weights": class_weights(train_counts),
        "fingerprint": fingerprint,
        "warnings": list(snapshot.warnings),
    }
    _write_info(out_dir, info)
    return out_dir


def remove_unused(
    datasets_dir: Path, unused_for_seconds: float, needed: Callable[[], Collection[str]], now: float | None = None
) -> list[str]:
    """Delete the prepared sets under ``datasets_dir`` last used over ``unused_for_seconds`` ago; return their names.

    A set is used when it is built or reused (its folder's time is touched then). ``needed`` names the sets that
    must stay whatever their age (those of unfinished runs); it is asked only when some set is old enough to go.
    A set whose lock another process holds (building it, or checking it to train on) is left for the next time, so
    two cleanups, or a cleanup and a builder, never meet. Links are never followed: a link in ``datasets_dir`` is left
    alone, and the links of a detector set to the library's pictures go with the set, the pictures stay. A set's
    ``info.json`` goes first, so a deletion that fails midway (logged, tried again next time) leaves no set to reuse.
    """
    cutoff = (time.time() if now is None else now) - unused_for_seconds
    names = {entry.name.removesuffix(LOCK_SUFFIX) for entry in datasets_dir.iterdir()} if datasets_dir.is_dir() else set()
    stale = sorted(name for name in names if _unused_since(datasets_dir / name, cutoff))
    if not stale:
        return []
    keep = set(needed())
    removed = []
    for name in (name for name in stale if name not in keep):
        try:
            if _remove_if_unused(datasets_dir / name, cutoff):
                removed.append(name)
        except OSError as error:  # one set that cannot go must not keep the others
            logger.warning(
                "The unused prepared data set %s could not be deleted (%s); no run reuses it now, and it is tried again "
                "next time: fix what the error names, or delete the folder by hand.",
                datasets_dir / name,
                error,
            )
    return removed


def _unused_since(folder: Path, cutoff: float) -> bool:
    """Whether ``folder`` is a prepared set (or, without it, the lock file left of one) last used before ``cutoff``.

    The folder's time says when it was last built or reused; a link, or anything else than a folder, is not the app's.
    """
    for path, is_kind in ((folder, stat.S_ISDIR), (_lock_file(folder), stat.S_ISREG)):
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        return is_kind(info.st_mode) and info.st_mtime < cutoff
    return False


def _remove_if_unused(folder: Path, cutoff: float) -> bool:
    """Delete ``folder`` and its lock file, under its lock, if it is still unused; whether a set was deleted."""
    lock = _lock_file(folder)
    try:
        descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW)
    except OSError:  # a link put there meanwhile, or no permission: left alone
        return False
    with open(descriptor, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # being built or checked by a worker right now
            return False
        try:
            # Checked again under the lock: a builder may have reused the set (touching it) since it was listed.
            if not _still_the_lock(handle, lock) or not _unused_since(folder, cutoff):
                return False
            existed = folder.is_dir()
            if existed:
                used = folder.lstat()
                try:
                    # First: a set whose deletion stops midway no longer says it is prepared, so no run trains on the rest.
                    (folder / "info.json").unlink(missing_ok=True)
                    shutil.rmtree(folder)
                except OSError:
                    os.utime(folder, ns=(used.st_atime_ns, used.st_mtime_ns), follow_symlinks=False)  # still unused
                    raise
            lock.unlink()
            return existed
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
