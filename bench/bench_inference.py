"""Per-picture CPU latency of the three inference stages at 1004x1004, and batch throughput.

Trains nothing: the models are built with random weights at their real sizes
(YOLOv8n at imgsz 1004, ResNet18 and EfficientNet-B0 at 224), which costs the
same to run as trained ones. Baseline in the same process: the desktop tool's
promise of 2 s per picture; target 0.5 s on 2 cores.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_inference.py [--pictures 12] [--threads 2]

``--models DATA_DIR/models`` (a folder with ``detection/``, ``view/`` and ``defect/`` checkpoints, e.g.
a fold of ``bench_realdata.py``: trained with ``cpu-quick`` on real pictures) instead measures the
pipeline against the bare forward passes of its own three networks on real X-rays, interleaved in one
run: the detector's network on one tensor at its trained size, the view and the defect network on one
crop tensor each. It prints both per picture and their ratio (target <= 1.15), and the throughput of a
batch through ``InferencePipeline.run``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._scratch import throwaway_folder  # noqa: E402
from core.offline import configure_offline, install_fonts  # noqa: E402

DESKTOP_PROMISE_S = 2.0
TARGET_S = 0.5


def build_models(folder: Path, imgsz: int) -> tuple[Path, Path, Path]:
    """Untrained checkpoints in the trainers' formats (Ultralytics .pt; Wiresag classifier dict)."""
    import timm
    import torch
    from ultralytics import YOLO

    from core.labels import DEFECTS, VIEWS

    detector = YOLO("yolov8n.yaml")
    detector.model.args = {"imgsz": imgsz, "task": "detect"}
    detection_path = folder / "detection.pt"
    torch.save({"model": detector.model, "train_args": {"imgsz": imgsz, "task": "detect"}}, detection_path)
    paths = []
    for task, architecture, classes in (("view", "resnet18", VIEWS), ("defect", "efficientnet_b0", DEFECTS)):
        model = timm.create_model(architecture, pretrained=False, num_classes=len(classes))
        path = folder / f"{task}.pt"
        meta = {
            "task": task,
            "architecture": architecture,
            "classes": list(classes),
            "image_size": 224,
            "margin": 0.15,
            "whole_image": False,
        }
        torch.save({**meta, "model": model.state_dict()}, path)
        paths.append(path)
    return detection_path, paths[0], paths[1]


def newest(folder: Path) -> Path:
    return max(folder.glob("*.pt"), key=lambda path: path.stat().st_mtime)


def ratio_to_bare_forwards(models: Path, count: int, threads: int) -> None:
    """The pipeline per picture against the bare forwards of its three networks, interleaved."""
    import numpy as np
    import torch

    from core.imaging.decode import open_image, to_rgb8
    from core.imaging.pictures import PictureInput
    from core.inspection.inference import InferencePipeline
    from core.shape.wireshape import describe
    from core.training.crops import shape_inputs

    torch.set_num_threads(threads)
    real = Path(__file__).resolve().parents[2] / "shared" / "samples" / "real-dev" / "photo"
    paths = sorted(p for p in real.rglob("*") if p.suffix.lower() in (".jpg", ".png"))[:count]
    pipeline = InferencePipeline(newest(models / "detection"), newest(models / "view"), newest(models / "defect"))
    assert pipeline.detector is not None and pipeline.defect_model is not None
    detector, view, defect = pipeline.detector, pipeline.view_model, pipeline.defect_model
    first = np.asarray(to_rgb8(open_image(paths[0].read_bytes())[0]))
    detector.detect(first)  # builds Ultralytics' predictor: the fused network it runs
    network = detector.model.predictor.model
    imgsz = detector.model.predictor.imgsz
    size = imgsz if isinstance(imgsz, int) else imgsz[0]

    def bare(picture: np.ndarray, box: np.ndarray) -> tuple[float, float]:
        """Forward passes only: tensors made beforehand, nothing decoded, traced or post-processed."""
        image = torch.zeros((1, 3, size, size))
        view_crop = view.transform(image=view.crops(picture, box[None])[0])["image"][None]
        defect_crop_picture = defect.crops(picture, box[None])[0]
        defect_crop = defect.transform(image=defect_crop_picture)["image"][None]
        shape = None
        if defect.shape is not None:
            shape = torch.from_numpy(shape_inputs(describe(defect_crop_picture, "TOP")[None], ["TOP"]))
        with torch.inference_mode():
            started = time.perf_counter()
            network(image)
            view.model(view_crop)
            middle = time.perf_counter()
            defect.model(defect_crop, shape) if shape is not None else defect.model(defect_crop)
            return time.perf_counter() - started, middle - started

    pipeline_times, bare_times, two_times = [], [], []
    for round_index in range(2):  # the first round warms up
        for path in paths:
            data = path.read_bytes()
            started = time.perf_counter()
            result = pipeline.inspect(PictureInput(path.name, data=data))
            took = time.perf_counter() - started
            picture = np.asarray(to_rgb8(open_image(data)[0]))
            found = result.boxes[0] if result.boxes else None
            box = np.array((found.x1, found.y1, found.x2, found.y2) if found else (300, 300, 500, 400), dtype=np.float32)
            baseline, two = bare(picture, box)
            if round_index:
                pipeline_times.append(took)
                bare_times.append(baseline)
                two_times.append(two)
    pipe, base, two = statistics.median(pipeline_times), statistics.median(bare_times), statistics.median(two_times)
    print(f"{len(paths)} real X-rays, models from {models}, torch threads {threads}, detector imgsz {size}")
    print(f"  bare forwards of the three networks (median per picture): {base * 1000:7.1f} ms")
    ratio = pipe / base
    skips = float((defect.shape_head or {}).get("weight", 0)) >= 1.0
    print(f"  InferencePipeline.inspect, decode to verdict (median): {pipe * 1000:7.1f} ms ({ratio:.2f}x the bare forwards; target 1.15)")
    if skips:
        print(
            f"  the defect network has no say (shape weight 1.0), so the pipeline skips it: against the detector and the view "
            f"network alone ({two * 1000:.1f} ms) it takes {pipe / two:.2f}x; the rest is decoding and tracing the wire"
        )
    started = time.perf_counter()
    pipeline.run([PictureInput(path.name, path=path) for path in paths])
    wall = time.perf_counter() - started
    print(f"  a batch through InferencePipeline.run: {len(paths) / wall:.2f} pictures/s ({wall / len(paths) * 1000:.0f} ms each)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pictures", type=int, default=12)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--imgsz", type=int, default=1004)
    parser.add_argument("--models", type=Path, help="a models folder with detection/, view/ and defect/ checkpoints")
    args = parser.parse_args()
    if args.models:
        configure_offline(Path(throwaway_folder("wiresag-bench-")))
        install_fonts()
        ratio_to_bare_forwards(args.models, args.pictures, args.threads)
        return
    work = Path(throwaway_folder("wiresag-bench-"))
    configure_offline(work)
    install_fonts()
    import torch

    torch.set_num_threads(args.threads)
    import numpy as np

    from core.data.synthetic import generate, scaled_plan
    from core.imaging.decode import open_image, to_rgb8
    from core.inspection.inference import InferencePipeline

    samples = generate(work / "pictures", scaled_plan(max(4, args.pictures // 2)), image_size=1004)[: args.pictures]
    detection, view, defect = build_models(work, args.imgsz)
    pipeline = InferencePipeline(detection, view, defect, conf_threshold=0.25, max_detections=20, config_dir=work)
    assert pipeline.detector is not None and pipeline.defect_model is not None
    # Stage by stage, so that the classifiers run on the true box even though a random detector finds none.
    stages: dict[str, list[float]] = {"load": [], "detection": [], "view": [], "defect": []}
    for round_index in range(2):  # the first round warms up (allocations, kernel choice) and is discarded
        for sample in samples:
            x, y, w, h = sample.box
            boxes = np.array([[x, y, x + w, y + h]], dtype=np.float32)
            t0 = time.perf_counter()
            picture = np.asarray(to_rgb8(open_image(sample.path.read_bytes())[0]))
            t1 = time.perf_counter()
            pipeline.detector.detect(picture)
            t2 = time.perf_counter()
            pipeline.view_model.probabilities(pipeline.view_model.crops(picture, boxes))
            t3 = time.perf_counter()
            pipeline.defect_model.probabilities(pipeline.defect_model.crops(picture, boxes))
            t4 = time.perf_counter()
            if round_index:
                for stage, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                    stages[stage].append(seconds)
    totals = [sum(values) for values in zip(*stages.values(), strict=True)]
    median = statistics.median(totals)
    print(f"pictures: {len(samples)} at 1004x1004, torch threads: {args.threads}, device: cpu, detector imgsz {args.imgsz}, one box each")
    for stage, values in stages.items():
        print(f"  {stage:<10} {statistics.median(values) * 1000:8.1f} ms/picture (median)")
    print(f"  total      median {median * 1000:.1f} ms, max {max(totals) * 1000:.1f} ms")
    started = time.perf_counter()
    report = pipeline.run([_input(s) for s in samples])
    wall = time.perf_counter() - started
    print(f"batch through InferencePipeline.run: {len(samples) / wall:.2f} pictures/s ({len(report.pictures)} pictures, no boxes found)")
    print(f"sequential stage throughput: {len(totals) / sum(totals):.2f} pictures/s")
    print(f"vs target {TARGET_S} s: {median / TARGET_S:.2f}x of the budget")
    print(f"vs desktop promise {DESKTOP_PROMISE_S} s: {DESKTOP_PROMISE_S / median:.1f}x faster")


def _input(sample: object) -> object:
    from core.imaging.pictures import PictureInput

    return PictureInput(sample.filename, path=sample.path)  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
