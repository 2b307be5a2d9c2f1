"""Inspect pictures: detect each wire loop, crop it, classify its view and its defect.

Plain Python (no Django): the web app, the ``infer`` command, a worker and the
benchmark all drive :class:`InferencePipeline` the same way.

The crops are made exactly as for training: the box plus the classifier's own
``margin`` (stored in its checkpoint), longest side scaled to its
``image_size`` and padded square (``augment.classifier_transform`` without the
random part). A view model trained on whole pictures (``whole_image``) sees the
whole picture instead.

Per-view models: a picture whose view is known (from its file name, else from
a whole-picture view model) uses the detection and defect models made for that
view when given, else the general ones. A picture that cannot be read, or for
which no model serves its view, gives a :class:`PictureResult` with an error
sentence; the rest of the batch goes on.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.data.augment import classifier_transform
from core.data.prepare import Extent, classifier_crop, frame_extent, traced_extent
from core.imaging.decode import DEFAULT_MAX_PIXELS, UnreadableImage, open_image, to_rgb8
from core.imaging.pictures import DEFAULT_CONF_THRESHOLD, LONE_LOOP_FLOOR, ModelUnavailable, PictureInput
from core.inspection.reports import InspectionReport
from core.inspection.verdicts import DEFAULT_RULE, BoxPrediction, PictureResult, Rule
from core.labels import DEFECTS, VIEWS, classifier_task, parse_wire_name
from core.offline import import_yolo

#: Loops per picture at most (future products carry several; a runaway detector must not flood the report).
DEFAULT_MAX_DETECTIONS = 20
#: A box sharing more than this share of the smaller box's area with a more confident box is a duplicate of it.
#: Real pictures showed 2-3 overlapping boxes on one loop (one nested in another, which IoU alone keeps);
#: two separate loops overlap far less than this, so both are kept.
DUPLICATE_OVERLAP = 0.6
#: A reported box of these views is drawn again around the wire traced inside the detector's box, framed
#: the way annotators frame that view: (along, across, least), see ``core.data.prepare.frame_extent``. The
#: cpu-quick detector's TOP boxes sit loose around the thin wire (IoU with the annotator's box: median 0.69,
#: 15 of 146 below 0.5); snapped, median 0.83 and 2 below 0.5 (real-dev, 3 seeds x 5 grouped folds; the
#: framing fitted on each fold's training boxes came out the same in 13 of 15 folds); AP@0.5 TOP 0.872 -> 0.974
#: with the same detectors. The picture's view decides, as it decides the defect model. SIDE boxes stay as
#: detected: there the tracer follows the lead frame and the ball's neck, and snapping made them worse
#: (median 0.75 -> 0.73, below 0.5: 2 -> 12). docs/training.md, "Real pictures".
SNAP_FRAMING: dict[str, tuple[float, float, float]] = {"TOP": (1.2, 1.7, 0.33)}
#: Context around the detector's box the wire is traced in (as a box is traced for the defect crop).
SNAP_MARGIN = 0.15


def keep_confident(rows: np.ndarray, threshold: float) -> np.ndarray:
    """The rows at ``threshold`` or above; when there is none, the most confident row alone (rows: ``(x1, y1, x2, y2, conf)``)."""
    kept = rows[rows[:, 4] >= threshold]
    if len(kept) or not len(rows):
        return kept
    best: np.ndarray = rows[[int(np.argmax(rows[:, 4]))]]
    return best


def snapped_box(picture: np.ndarray, row: np.ndarray, view: str) -> np.ndarray:
    """``row`` (x1, y1, x2, y2, ...) with its box snapped to the wire traced in it, for a view in ``SNAP_FRAMING``."""
    if view not in SNAP_FRAMING:
        return row
    x1, y1, x2, y2 = (float(v) for v in row[:4])
    return snap_to(row, traced_extent(picture, x1, y1, x2 - x1, y2 - y1, SNAP_MARGIN, view), view, picture.shape)


def snap_to(row: np.ndarray, extent: Extent | None, view: str, shape: tuple[int, ...]) -> np.ndarray:
    """``row`` with its box framed on ``extent`` (the wire traced in it) as annotators frame ``view``, inside a
    picture of ``shape``; without a usable trace (None), or for a view not in ``SNAP_FRAMING``, as detected."""
    framing = SNAP_FRAMING.get(view)
    if framing is None or extent is None:
        return row
    x, y, width, height = frame_extent(extent, framing)
    rows, cols = shape[:2]
    snapped = np.array(row, dtype=float)
    snapped[:4] = [max(x, 0.0), max(y, 0.0), min(x + width, float(cols)), min(y + height, float(rows))]
    return snapped


def suppress_duplicates(rows: np.ndarray, overlap: float = DUPLICATE_OVERLAP) -> np.ndarray:
    """Keep the most confident of each group of overlapping boxes; ``rows`` are ``(x1, y1, x2, y2, conf)``.

    Class-agnostic and measured on the smaller box (intersection over the smaller area), so a box
    nested inside a larger one on the same loop goes, while boxes on separate loops stay.
    """
    if len(rows) < 2:
        return rows
    rows = rows[np.argsort(-rows[:, 4])]
    areas = np.clip(rows[:, 2] - rows[:, 0], 0, None) * np.clip(rows[:, 3] - rows[:, 1], 0, None)
    kept: list[int] = []
    for index in range(len(rows)):
        x1, y1, x2, y2 = rows[index, :4]
        duplicate = False
        for other in kept:
            width = min(x2, rows[other, 2]) - max(x1, rows[other, 0])
            height = min(y2, rows[other, 3]) - max(y1, rows[other, 1])
            if width <= 0 or height <= 0:
                continue
            smaller = min(areas[index], areas[other])
            if smaller <= 0 or width * height / smaller > overlap:
                duplicate = True
                break
        if not duplicate:
            kept.append(index)
    return rows[kept]


def _device(requested: str) -> torch.device:
    if requested == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ModelUnavailable("device=cuda was asked for but no CUDA GPU is available here; use device=auto or device=cpu.")
    return torch.device(requested)


def _require_file(path: Path | str, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"The {what} model file {path} does not exist; train or activate a {what} model first.")
    return path


class Classifier:
    """A view or defect classifier loaded from the trainer's checkpoint (``best.pt``)."""

    def __init__(self, path: Path | str, device: torch.device, expected_task: str) -> None:
        from core.shape.shapehead import HEAD_VERSION
        from core.shape.wireshape import DESCRIPTOR_VERSION, FEATURES
        from core.training.networks import build_network

        path = _require_file(path, expected_task)
        try:
            # Tensors and plain values only: a classifier checkpoint never needs to run code to load.
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises many kinds for a damaged file
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ModelUnavailable(f"{path} is not a readable checkpoint ({reason}); register the model again.") from None
        if not isinstance(checkpoint, dict) or "model" not in checkpoint or "classes" not in checkpoint:
            raise ModelUnavailable(f"{path} is not a Wiresag classifier checkpoint; choose the best.pt of a view or defect run.")
        task = checkpoint.get("task")
        if task != expected_task:
            raise ModelUnavailable(f"{path} is a {task} model, but a {expected_task} model is needed here.")
        self.path = path
        self.task: str = task
        self.classes: tuple[str, ...] = tuple(checkpoint["classes"])
        expected = DEFECTS if task == "defect" else VIEWS
        if set(self.classes) != set(expected):
            raise ModelUnavailable(f"{path} predicts {', '.join(self.classes)}; a {task} model must predict {', '.join(expected)}.")
        self.margin = float(checkpoint.get("margin", 0.15))
        self.image_size = int(checkpoint.get("image_size", 224))
        self.whole_image = bool(checkpoint.get("whole_image", False))
        #: Boxes are framed on their traced wire before cropping, as in training (older checkpoints: never).
        self.wire_frame = bool(checkpoint.get("wire_frame", False))
        self.device = device
        #: The shape branch's settings when the model takes the wire-shape descriptor beside the picture.
        self.shape: dict[str, Any] | None = checkpoint.get("shape")
        if self.shape is not None and (self.shape.get("version") != DESCRIPTOR_VERSION or len(self.shape["features"]) != len(FEATURES) + 2):
            raise ModelUnavailable(
                f"{path} was trained with wire-shape descriptor version {self.shape.get('version')}, this version computes "
                f"{DESCRIPTOR_VERSION}; train the defect model again."
            )
        #: The linear wire-shape classifier whose probabilities are mixed with the network's (``shapehead``).
        self.shape_head: dict[str, Any] | None = checkpoint.get("shape_head")
        if self.shape_head is not None and (
            self.shape_head.get("version") != HEAD_VERSION or self.shape_head.get("descriptor_version") != DESCRIPTOR_VERSION
        ):
            raise ModelUnavailable(
                f"{path} holds a wire-shape classifier made for descriptor version {self.shape_head.get('descriptor_version')}, "
                f"this version computes {DESCRIPTOR_VERSION}; train the defect model again."
            )
        shape_count = len(self.shape["features"]) if self.shape else 0
        self.model = build_network(
            checkpoint["architecture"], len(self.classes), shape_count, float((self.shape or {}).get("image_dropout", 0.5))
        )
        self.model.load_state_dict(checkpoint["model"])
        self.model.to(device).eval()
        self.transform = classifier_transform(classifier_task(self.task), self.image_size, heavy=False, train=False)

    def probabilities(self, pictures: list[np.ndarray], views: list[str | None] | None = None) -> np.ndarray:
        """Class probabilities (rows in ``self.classes`` order) for 8-bit RGB crops of ``views`` pictures.

        A model with a shape branch or a shape classifier traces each crop as it
        was traced for training; the shape classifier's probabilities are mixed
        with the network's exactly as in training's evaluation.
        """
        from core.shape.shapehead import combine, shape_log_probabilities
        from core.shape.wireshape import describe
        from core.training.crops import shape_inputs

        if not pictures:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        views = list(views) if views is not None else [None] * len(pictures)
        descriptors = None
        if self.shape is not None or self.shape_head is not None:
            descriptors = np.stack([describe(picture, view or "TOP") for picture, view in zip(pictures, views, strict=True)])
        if self.shape_head is not None and float(self.shape_head["weight"]) >= 1.0:
            # The network has no say (weight 0 in the mix): its forward pass would only cost time.
            assert descriptors is not None
            no_opinion = np.full((len(pictures), len(self.classes)), 1.0 / len(self.classes), dtype=np.float32)
            return combine(shape_log_probabilities(self.shape_head, descriptors, views), no_opinion, 1.0)
        batch = torch.stack([self.transform(image=picture)["image"] for picture in pictures]).to(self.device)
        with torch.inference_mode():
            if self.shape is None:
                logits = self.model(batch)
            else:
                assert descriptors is not None
                logits = self.model(batch, torch.from_numpy(shape_inputs(descriptors, views)).to(self.device))
            probabilities = torch.softmax(logits.float(), dim=1).cpu().numpy()
        if self.shape_head is None:
            return probabilities
        assert descriptors is not None
        return combine(shape_log_probabilities(self.shape_head, descriptors, views), probabilities, float(self.shape_head["weight"]))

    def crops(
        self,
        picture: np.ndarray,
        boxes: np.ndarray,
        views: Sequence[str | None] | None = None,
        extents: Sequence[Extent | None] | None = None,
    ) -> list[np.ndarray]:
        """The training crops of ``boxes`` (x1, y1, x2, y2 rows) of ``views`` pictures, cut as training cut them.

        ``extents``: the wires already traced in these boxes with this model's ``margin`` (used when it frames crops).
        """
        views = list(views) if views is not None else [None] * len(boxes)
        known = list(extents) if extents is not None else [None] * len(boxes)
        return [
            classifier_crop(picture, x1, y1, x2 - x1, y2 - y1, self.margin, view, self.wire_frame, extent)
            for (x1, y1, x2, y2), view, extent in zip(boxes[:, :4], views, known, strict=True)
        ]

    def in_order(self, probabilities: np.ndarray, order: tuple[str, ...]) -> np.ndarray:
        """Columns rearranged into ``order`` (DEFECTS / VIEWS), whatever order the checkpoint used."""
        return probabilities[:, [self.classes.index(name) for name in order]]


class Detector:
    """An Ultralytics YOLO wire detector; boxes as ``(x1, y1, x2, y2, confidence)`` rows in pixels."""

    def __init__(self, path: Path | str, device: torch.device, conf_threshold: float, max_detections: int) -> None:
        YOLO = import_yolo()
        path = _require_file(path, "detection")
        try:
            self.model = YOLO(str(path), task="detect")
        except Exception as error:
            raise ModelUnavailable(f"{path} is not a YOLO detection model ({error}); choose the best.pt of a detection run.") from None
        self.path = path
        self.device = device
        self.conf_threshold = conf_threshold
        self.max_detections = max_detections

    def detect(self, picture: np.ndarray) -> np.ndarray:
        """Every loop at ``conf_threshold`` or above; and a picture's most confident loop down to ``LONE_LOOP_FLOOR``.

        Every X-ray is taken of a wire: a picture whose only candidates are unsure still gets its
        best one (its confidence is in the report, for review) instead of no verdict at all. Further
        loops need the threshold, so an unsure detector adds no second box on one loop.
        """
        bgr = np.ascontiguousarray(picture[..., ::-1])
        floor = min(LONE_LOOP_FLOOR, self.conf_threshold)
        result = self.model.predict(
            bgr, conf=floor, max_det=self.max_detections, agnostic_nms=True, device=str(self.device), verbose=False
        )[0]
        boxes = result.boxes
        if boxes is None or len(boxes) == 0:
            return np.zeros((0, 5), dtype=np.float32)
        rows = suppress_duplicates(np.concatenate([boxes.xyxy.cpu().numpy(), boxes.conf.cpu().numpy()[:, None]], axis=1))
        return keep_confident(rows, self.conf_threshold)


@dataclass
class StageTimes:
    """Seconds spent per stage, summed over the pictures inspected (for the benchmark)."""

    load: float = 0.0
    detection: float = 0.0
    view: float = 0.0
    defect: float = 0.0
    pictures: int = 0

    def per_picture(self) -> dict[str, float]:
        n = max(self.pictures, 1)
        return {"load": self.load / n, "detection": self.detection / n, "view": self.view / n, "defect": self.defect / n}

    def add(self, stage: str, since: float) -> float:
        """Charge the time since ``since`` to ``stage``; return now, the start of the next stage."""
        now = time.perf_counter()
        setattr(self, stage, getattr(self, stage) + now - since)
        return now


class InferencePipeline:
    """Detection, then view and defect classification of every box, for a batch of pictures."""

    def __init__(
        self,
        detector_path: Path | str | None,
        view_path: Path | str,
        defect_path: Path | str | None,
        *,
        detector_paths: Mapping[str, Path | str] | None = None,
        defect_paths: Mapping[str, Path | str] | None = None,
        conf_threshold: float = DEFAULT_CONF_THRESHOLD,
        max_detections: int = DEFAULT_MAX_DETECTIONS,
        device: str = "cpu",
        rule: Rule = DEFAULT_RULE,
        config_dir: Path | None = None,
        snap_boxes: bool = True,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        from core.offline import configure_offline, install_fonts

        if not 0.0 < conf_threshold < 1.0:
            raise ValueError(f"The detection threshold must lie between 0 and 1, not {conf_threshold}.")
        if detector_path is None and not detector_paths:
            raise ModelUnavailable("No detection model was given; train or activate a detection model first.")
        if defect_path is None and not defect_paths:
            raise ModelUnavailable("No defect model was given; train or activate a defect model first.")
        configure_offline(config_dir or Path(os.environ.get("WIRESAG_DATA_DIR") or tempfile.gettempdir()))
        install_fonts()
        self.device = _device(device)
        self.conf_threshold = conf_threshold
        self.rule: Rule = rule
        #: Report TOP boxes snapped to their traced wire (``SNAP_FRAMING``); off: the detector's boxes as they are.
        self.snap_boxes = snap_boxes
        self.max_pixels = max_pixels  # the library's limit (WIRESAG_IMAGE_MAX_PIXELS), passed in by the app
        self.detector = Detector(detector_path, self.device, conf_threshold, max_detections) if detector_path else None
        self.detectors = {
            view: Detector(path, self.device, conf_threshold, max_detections) for view, path in (detector_paths or {}).items()
        }
        self.view_model = Classifier(view_path, self.device, "view")
        self.defect_model = Classifier(defect_path, self.device, "defect") if defect_path else None
        self.defect_models = {view: Classifier(path, self.device, "defect") for view, path in (defect_paths or {}).items()}
        self.times = StageTimes()

    def thresholds(self) -> dict[str, float]:
        return {"detection": self.conf_threshold}

    def model_files(self) -> dict[str, str]:
        """Slot -> file name of every model in use (the report's "versions" when no registry names them)."""
        files = {}
        if self.detector:
            files["detection"] = self.detector.path.name
        files.update({f"detection/{v}": d.path.name for v, d in self.detectors.items()})
        files["view"] = self.view_model.path.name
        if self.defect_model:
            files["defect"] = self.defect_model.path.name
        files.update({f"defect/{v}": d.path.name for v, d in self.defect_models.items()})
        return files

    def _picture_view(self, item: PictureInput, picture: np.ndarray, clock: StageTimes) -> str | None:
        """The view from the name; else from a whole-picture view model."""
        view = item.view or parse_wire_name(item.name).view
        if view is None and self.view_model.whole_image:
            started = time.perf_counter()
            probabilities = self.view_model.in_order(self.view_model.probabilities([picture]), VIEWS)[0]
            clock.add("view", started)
            view = VIEWS[int(probabilities.argmax())]
        return view

    def inspect(self, item: PictureInput) -> PictureResult:
        """Everything about one picture; never raises for a bad picture or a missing per-view model."""
        wire_id = item.wire_id or parse_wire_name(item.name).wire_id
        clock = self.times
        started = time.perf_counter()
        self.times.pictures += 1
        try:
            image, _ = open_image(item.read(), max_pixels=self.max_pixels)
            picture = np.asarray(to_rgb8(image))
        except UnreadableImage as error:
            return PictureResult(item.name, wire_id, item.view or parse_wire_name(item.name).view, error=str(error), ref=item.ref)
        started = clock.add("load", started)
        view = self._picture_view(item, picture, clock)
        detector = self.detectors.get(view or "", self.detector)
        if detector is None:
            message = f"No detection model serves {view or 'unnamed'} pictures; activate a general detection model or one for this view."
            return PictureResult(item.name, wire_id, view, error=message, ref=item.ref)
        started = time.perf_counter()
        detections = detector.detect(picture)
        started = clock.add("detection", started)
        if len(detections) == 0:
            return PictureResult(item.name, wire_id, view, ref=item.ref)
        boxes = detections[:, :4]
        if self.view_model.whole_image:
            assert view is not None
            view_probabilities = np.tile([1.0 if v == view else 0.0 for v in VIEWS], (len(boxes), 1))
        else:
            view_probabilities = self.view_model.in_order(self.view_model.probabilities(self.view_model.crops(picture, boxes)), VIEWS)
        started = clock.add("view", started)
        box_views = [VIEWS[int(row.argmax())] for row in view_probabilities]
        if view is None:
            view = box_views[int(view_probabilities.max(axis=1).argmax())]
        defect_model = self.defect_models.get(view, self.defect_model)
        if defect_model is None:
            message = f"No defect model serves {view} pictures; activate a general defect model or one for {view}."
            return PictureResult(item.name, wire_id, view, error=message, ref=item.ref)
        # The wire is traced once per box: for the snapped box and, when it frames the same way, the defect crop.
        extents = (
            [traced_extent(picture, x1, y1, x2 - x1, y2 - y1, SNAP_MARGIN, view) for x1, y1, x2, y2 in boxes]
            if self.snap_boxes and view in SNAP_FRAMING
            else None
        )
        shared = extents if defect_model.wire_frame and defect_model.margin == SNAP_MARGIN else None
        crops = defect_model.crops(picture, boxes, [view] * len(boxes), shared)
        defect_probabilities = defect_model.in_order(defect_model.probabilities(crops, [view] * len(boxes)), DEFECTS)
        clock.add("defect", started)
        predictions = []
        for index, (row, box_view, view_row, defect_row) in enumerate(
            zip(detections, box_views, view_probabilities, defect_probabilities, strict=True)
        ):
            x1, y1, x2, y2, confidence = snap_to(row, extents[index], view, picture.shape) if extents is not None else row
            best = int(defect_row.argmax())
            predictions.append(
                BoxPrediction(
                    float(x1),
                    float(y1),
                    float(x2),
                    float(y2),
                    detection_confidence=float(confidence),
                    view=box_view,
                    view_confidence=float(view_row.max()),
                    defect=DEFECTS[best],
                    defect_confidence=float(defect_row[best]),
                    defect_probabilities=tuple(float(p) for p in defect_row),
                )
            )
        return PictureResult(item.name, wire_id, view, tuple(predictions), ref=item.ref)

    def run(
        self,
        items: Iterable[PictureInput],
        progress: Callable[[int, int, PictureResult], None] | None = None,
        versions: Mapping[str, str] | None = None,
    ) -> InspectionReport:
        """Inspect every picture and combine each wire's views; ``progress(done, total, result)`` after each."""
        items = list(items)
        results = []
        for done, item in enumerate(items, start=1):
            result = self.inspect(item)
            results.append(result)
            if progress is not None:
                progress(done, len(items), result)
        return InspectionReport(results, rule=self.rule, versions=dict(versions or self.model_files()), thresholds=self.thresholds())
