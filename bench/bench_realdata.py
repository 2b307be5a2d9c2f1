"""The benchmark every model default is chosen on: grouped cross-validation on real X-rays.

Stratified k-fold grouped by wire on ``../shared/samples/real-dev`` (57 wires, 114 pictures),
through the product's own path. For each seed and fold, in a fresh data folder and database:

1. the desktop tool's folder, less the held-out wires, is imported with ``import_annotations``;
2. the chosen models are trained with ``manage.py train <model> --preset <preset>``;
3. the held-out pictures are inspected with ``manage.py infer`` and the registered versions.

Scores (scikit-learn, pycocotools): defect balanced accuracy per picture (the most confident box
of each picture) and per wire (the product's wire verdict), the same over SWEEP/WOBBLE/TOUCH
alone, recall per class with its support, the pooled confusion matrix, view accuracy, detection
AP@0.5 per view, the share of pictures with more boxes than loops, and the wall time per fold.
Mean and spread over folds and seeds. Real numbers only: nothing here is synthetic.

    .venv/bin/python bench/bench_realdata.py [--folds 5] [--seeds 0,1,2] [--preset cpu-quick]
        [--models detection,view,defect] [--set defect.epochs=30 ...] [--workdir DIR] [--json out.json]
        [--detectors-from EARLIER_WORKDIR]   # the detectors of an earlier run: classifier changes in minutes
    .venv/bin/python bench/bench_realdata.py --quick     # two folds, one seed, a few epochs (CI smoke run)

The full run is a benchmark (8-10 minutes per fold for all three models on 2 cores with cpu-quick; the issue allows 30), not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.evaluation.outoffold import NONE, FoldOutcome, summarise  # noqa: E402

REAL_DEV = ROOT.parent / "shared" / "samples" / "real-dev"
MODEL_TYPES = ("detection", "view", "defect")
CHINESE = {"沖線": "SWEEP", "晃動": "WOBBLE", "碰觸": "TOUCH", "PASS": "PASS"}
DEFECTS = ("PASS", "SWEEP", "WOBBLE", "TOUCH")
THREE = ("SWEEP", "WOBBLE", "TOUCH")
#: --quick: enough to prove the path end to end, nothing to read quality from.
QUICK_SETTINGS = [
    "detection.epochs=1",
    "detection.imgsz=160",  # the path, not the quality: 12-16 s of a fold's detection training, 26-28 s at 320
    "detection.plots=false",  # Ultralytics' plots: ~10 s of a one-epoch fold
    "view.epochs=1",
    "defect.epochs=1",
    "view.image_size=64",
    "defect.image_size=64",
]
TARGETS = {
    "wire_bacc": 0.80,
    "wire_bacc_three": 0.80,
    "picture_bacc": 0.70,
    "view_accuracy": 0.99,
    "ap50_TOP": 0.95,
    "ap50_SIDE": 0.95,
}


# --- the truth --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    relative: str  # below real-dev, e.g. photo/Top/沖線/001_TOP.jpg
    image_id: int
    wire: str  # class folder + number: the desktop tool restarts numbering per class folder
    view: str
    defect: str
    boxes: tuple[tuple[float, float, float, float], ...]  # x, y, width, height in pixels


def read_truth(folder: Path) -> list[Picture]:
    connection = sqlite3.connect(folder / "annotations.db")
    try:
        images = connection.execute("SELECT id, filepath FROM images ORDER BY id").fetchall()
        boxes = connection.execute(
            "SELECT image_id, bbox_x, bbox_y, bbox_width, bbox_height, view_type, defect_type FROM annotations ORDER BY id"
        ).fetchall()
    finally:
        connection.close()
    by_image: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in boxes:
        by_image[row[0]].append(row)
    pictures = []
    for image_id, filepath in images:
        parts = PureWindowsPath(filepath).parts
        relative = "/".join(parts[parts.index("photo") :])
        rows = by_image[image_id]
        if not rows:
            continue
        class_folder, name = parts[-2], parts[-1]
        number = name.split("_")[0]
        pictures.append(
            Picture(
                relative=relative,
                image_id=image_id,
                wire=f"{CHINESE.get(class_folder, class_folder)}/{number}",
                view=rows[0][5].upper(),
                defect=CHINESE.get(rows[0][6], rows[0][6]),
                boxes=tuple((float(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in rows),
            )
        )
    return pictures


def wire_classes(pictures: list[Picture]) -> dict[str, str]:
    return {p.wire: p.defect for p in pictures}


def folds(pictures: list[Picture], k: int, seed: int) -> list[set[str]]:
    """The held-out wires of each fold: stratified by the wire's class, grouped by wire."""
    from sklearn.model_selection import StratifiedGroupKFold

    classes = wire_classes(pictures)
    wires = sorted(classes)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    labels = [classes[w] for w in wires]
    return [{wires[i] for i in test} for _, test in splitter.split(wires, labels, groups=wires)]


# --- one fold, in its own data folder (a subprocess: Django reads its settings once) -----------------


def prepare_fold(folder: Path, pictures: list[Picture], held_out: set[str]) -> None:
    """``train/``: the desktop tool's folder less the held-out wires; ``heldout/<class>/NNN_VIEW.jpg``: the rest."""
    train = folder / "train"
    train.mkdir(parents=True)
    shutil.copyfile(REAL_DEV / "annotations.db", train / "annotations.db")
    dropped = [p.image_id for p in pictures if p.wire in held_out]
    for picture in pictures:
        if picture.wire not in held_out:  # copies: the import refuses links that lead out of its folder
            (train / picture.relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REAL_DEV / picture.relative, train / picture.relative)
    connection = sqlite3.connect(train / "annotations.db")
    with connection:
        connection.executemany("DELETE FROM annotations WHERE image_id = ?", [(i,) for i in dropped])
        connection.executemany("DELETE FROM images WHERE id = ?", [(i,) for i in dropped])
    connection.close()
    for picture in pictures:
        if picture.wire in held_out:
            target = folder / "heldout" / picture.wire.split("/")[0] / Path(picture.relative).name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REAL_DEV / picture.relative, target)


def fold_worker(folder: Path, preset: str, models: list[str], overrides: list[str]) -> None:
    """Import, train and infer inside ``folder/data`` (runs in its own process).

    ``folder/reused-detector.pt``, when there, is registered as the detector instead of training one.
    """
    import django
    from django.core.management import call_command

    django.setup()
    from registry.models import ModelVersion
    from registry.versions import register_version

    timings: dict[str, float] = {}
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("import_annotations", str(folder / "train" / "annotations.db"), "--format", "legacy", verbosity=0)
    timings["import"] = time.monotonic() - started
    reused = folder / "reused-detector.pt"
    if reused.is_file():
        metrics = json.loads((folder / "reused-detector.json").read_text())
        register_version("detection", reused, metrics=metrics)
        models = [model for model in models if model != "detection"]
    for model in models:
        begun = time.monotonic()
        sets = [item.split(".", 1)[1] for item in overrides if item.startswith(model + ".")]
        call_command("train", model, "--preset", preset, *[arg for item in sets for arg in ("--set", item)], verbosity=0)
        timings[f"train_{model}"] = time.monotonic() - begun
    newest = ModelVersion.objects.order_by("-created_at")
    names = [newest.filter(model_type=model).values_list("name", flat=True).first() for model in MODEL_TYPES]
    names = [name for name in names if name]
    begun = time.monotonic()
    call_command(
        "infer", str(folder / "heldout"), "--output", str(folder / "inspection.csv"), "--format", "all", "--versions", *names, verbosity=0
    )
    timings["infer"] = time.monotonic() - begun
    (folder / "timings.json").write_text(json.dumps(timings, indent=1))


def reuse_detector(earlier: Path, folder: Path) -> None:
    """Hand the detector an earlier run trained on the same fold (same seed, same wires) to this fold."""
    found = sorted(earlier.glob("data/runs/*/yolo/weights/best.pt"))
    if not found:
        raise SystemExit(f"No trained detector in {earlier}: --detectors-from needs a finished run of the same seeds and folds.")
    run = found[0].parents[2]
    shutil.copyfile(found[0], folder / "reused-detector.pt")
    (folder / "reused-detector.json").write_text(json.dumps(json.loads((run / "result.json").read_text())["metrics"]))


def run_fold(folder: Path, preset: str, models: list[str], overrides: list[str], threads: int) -> dict[str, float]:
    data = folder / "data"
    data.mkdir(parents=True)
    env = {
        **os.environ,
        "WIRESAG_DEBUG": "1",
        "WIRESAG_DATA_DIR": str(data),
        "WIRESAG_DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}",
        "WIRESAG_SECRET_KEY": "bench-" + "x" * 60,
        "OMP_NUM_THREADS": str(threads),
        # real-dev has 2 PASS wires, so a fold that holds one out trains on the other: allowed with a
        # warning (PASS then goes to training only), as the refusal's sentence tells a user to do.
        "WIRESAG_MIN_SAMPLES_PER_CLASS": "1",
        "DJANGO_SETTINGS_MODULE": "wiresag_web.settings",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, __file__, "--fold-worker", str(folder), "--preset", preset, "--models", ",".join(models)]
    command += [arg for item in overrides for arg in ("--set", item)]
    with (folder / "worker.log").open("w") as log:
        result = subprocess.run(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = (folder / "worker.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"The fold in {folder} failed:\n{tail}")
    return json.loads((folder / "timings.json").read_text())


# --- scoring (the out-of-fold tables are core.evaluation.outoffold's, shared with the app's job) -----


def detection_ap50(truth: list[Picture], found: dict[str, list[dict[str, Any]]], view: str) -> float:
    """COCO AP at IoU 0.5 (pycocotools) of one view's held-out pictures."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    pictures = [p for p in truth if p.view == view]
    if not pictures:
        return float("nan")
    images, annotations, detections = [], [], []
    for index, picture in enumerate(pictures, start=1):
        images.append({"id": index, "width": 1004, "height": 1004, "file_name": picture.relative})
        for x, y, w, h in picture.boxes:
            annotations.append(
                {"id": len(annotations) + 1, "image_id": index, "category_id": 1, "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0}
            )
        for box in found.get(Path(picture.relative).name + "|" + picture.wire, []):
            detections.append(
                {
                    "image_id": index,
                    "category_id": 1,
                    "bbox": [box["x1"], box["y1"], box["x2"] - box["x1"], box["y2"] - box["y1"]],
                    "score": box["detection_confidence"],
                }
            )
    if not detections:
        return 0.0
    with contextlib.redirect_stdout(io.StringIO()):
        ground = COCO()
        ground.dataset = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "wire"}]}
        ground.createIndex()
        evaluation = COCOeval(ground, ground.loadRes(detections), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return float(evaluation.stats[1])  # AP at IoU 0.5, all areas, up to 100 detections


def score_fold(folder: Path, pictures: list[Picture], held_out: set[str], timings: dict[str, float], seed: int, index: int) -> FoldOutcome:
    report = json.loads((folder / "inspection.json").read_text(encoding="utf-8"))
    truth = [p for p in pictures if p.wire in held_out]
    by_key = {Path(p.relative).name + "|" + p.wire: p for p in truth}
    found: dict[str, list[dict[str, Any]]] = {}
    outcome = FoldOutcome(fold=index, seed=seed)
    views_right = views_total = extra = 0
    for result in report["pictures"]:
        key = Path(result["image_name"]).name + "|" + result["wire_id"]
        picture = by_key[key]
        boxes = result.get("boxes") or []
        found[key] = boxes
        extra += len(boxes) > len(picture.boxes)
        best = max(boxes, key=lambda b: b["detection_confidence"]) if boxes else None
        outcome.picture_truth.append(picture.defect)
        outcome.picture_predicted.append(best["defect"] if best else NONE)
        views_total += 1
        views_right += bool(best) and best["view"] == picture.view
    classes = wire_classes(truth)
    verdicts = {wire["wire_id"]: (wire.get("verdict") or NONE, wire.get("confidence") or 0.0) for wire in report["wires"]}
    for wire, defect in sorted(classes.items()):
        verdict, confidence = verdicts.get(wire, (NONE, 0.0))
        outcome.wire_ids.append(wire)
        outcome.wire_truth.append(defect)
        outcome.wire_predicted.append(verdict)
        outcome.wire_confidence.append(float(confidence))
    outcome.numbers = {
        "view_accuracy": views_right / max(views_total, 1),
        "ap50_TOP": detection_ap50(truth, found, "TOP"),
        "ap50_SIDE": detection_ap50(truth, found, "SIDE"),
        "extra_boxes_share": extra / max(len(truth), 1),
        "minutes": sum(timings.values()) / 60,
    }
    return outcome


def print_summary(summary: dict[str, Any], args: argparse.Namespace, count: int) -> None:
    print(f"\nReal-dev, {args.folds}-fold grouped by wire, seeds {args.seeds}, preset {args.preset}, models {args.models}: {count} folds")
    print(f"{'score':22} {'mean':>7} {'±seeds':>7} {'fold min':>9} {'fold max':>9} {'target':>7}")
    for key, value in summary["scores"].items():
        target = TARGETS.get(key)
        print(
            f"{key:22} {value['mean']:7.3f} {value['seed_std']:7.3f} {value['fold_min']:9.3f} {value['fold_max']:9.3f}"
            f" {'' if target is None else f'{target:7.2f}'}"
        )
    for key, interval in summary["wire_interval"].items():
        if interval:
            print(
                f"{key} pooled over the folds {interval['estimate']:.3f}; {interval['level']:.0%} interval, the"
                f" {interval['wires']} wires drawn again (bootstrap, {interval['seeds']} seeds together):"
                f" {interval['low']:.3f} to {interval['high']:.3f}"
            )
    for name in ("picture_recall", "wire_recall"):
        print(f"{name}: " + ", ".join(f"{c} {right}/{support}" for c, right, support in summary[name]))
    print("wire confusion (rows truth PASS/SWEEP/WOBBLE/TOUCH; columns the same + no verdict):")
    for label, row in zip(DEFECTS, summary["wire_confusion"], strict=True):
        print(f"  {label:7} {row}")
    if summary["wire_trust"]:
        print("wire verdicts by their confidence (all folds and seeds pooled): at or above the line, right; below it, right")
        for row in summary["wire_trust"]:
            print(
                f"  {row['line']:.1f}: {row['sure_right']:3d} of {row['sure']:3d} ({row['share']:4.0%} of the verdicts)"
                f" | below {row['unsure_right']:3d} of {row['unsure']:3d}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--preset", default="cpu-quick")
    parser.add_argument("--models", default=",".join(MODEL_TYPES))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="MODEL.KEY=VALUE")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", type=Path, help="also write the summary and every fold's numbers here")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="two folds of one seed, one epoch each: a smoke run")
    parser.add_argument("--limit-folds", type=int, default=0, help="run only the first N folds of each seed")
    parser.add_argument("--resume", action="store_true", help="keep the folds already finished in --workdir")
    parser.add_argument(
        "--detectors-from",
        type=Path,
        help="reuse the detectors an earlier run of the same seeds and folds trained (its --workdir): for measuring classifier changes",
    )
    parser.add_argument("--fold-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    if args.fold_worker:
        fold_worker(args.fold_worker, args.preset, models, args.overrides)
        return
    if args.quick:
        args.folds, args.seeds = 2, "0"
        args.overrides = [*QUICK_SETTINGS, *args.overrides]
    if not REAL_DEV.is_dir():
        raise SystemExit(f"The real pictures are not at {REAL_DEV}; this benchmark needs ../shared/samples/real-dev.")
    pictures = read_truth(REAL_DEV)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wiresag-realdata-"))
    results: list[FoldOutcome] = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        for index, held_out in enumerate(folds(pictures, args.folds, seed)):
            if args.limit_folds and index >= args.limit_folds:
                break
            folder = workdir / f"seed{seed}" / f"fold{index}"
            done = (folder / "timings.json").exists() and (folder / "inspection.json").exists()
            if done and args.resume:  # a finished fold of an interrupted run is scored again, not trained again
                timings = json.loads((folder / "timings.json").read_text())
            else:
                shutil.rmtree(folder, ignore_errors=True)
                prepare_fold(folder, pictures, held_out)
                if args.detectors_from:
                    reuse_detector(args.detectors_from / f"seed{seed}" / f"fold{index}", folder)
                overrides = [*args.overrides, *(f"{m}.seed={seed}" for m in models)]
                timings = run_fold(folder, args.preset, models, overrides, args.threads)
            outcome = score_fold(folder, pictures, held_out, timings, seed, index)
            results.append(outcome)
            numbers = ", ".join(f"{k} {v:.3f}" for k, v in outcome.scores(DEFECTS, THREE).items())
            print(f"seed {seed} fold {index} ({len(held_out)} wires): {numbers}", flush=True)
    summary = summarise(results, DEFECTS, THREE)
    print_summary(summary, args, len(results))
    if args.json:
        payload = {"summary": summary, "folds": summary["folds"], "outcomes": [outcome.to_json() for outcome in results]}
        args.json.write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
