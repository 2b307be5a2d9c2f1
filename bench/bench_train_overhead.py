"""Overhead of our trainers against bare loops on the same data and model, in the same process.

Classifier: ``train_classifier`` (events, metrics, atomic checkpoints every
epoch) against a plain torch loop (train + validation forward pass, nothing
saved). Detection: our Ultralytics wrapper (callbacks into a sink) against a
plain ``YOLO(...).train(...)`` with the same arguments. Target ratio <= 1.05.

    .venv/bin/python bench/bench_train_overhead.py [--epochs 3] [--wires 86]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._scratch import throwaway_folder  # noqa: E402
from core.offline import configure_offline, install_fonts  # noqa: E402


def bare_classifier_seconds(config, crops_dir: Path) -> float:
    import timm
    import torch
    from torch.utils.data import DataLoader

    from core.data.augment import ClassAwareTransform, class_aware_transform, classifier_transform
    from core.labels import VIEWS
    from core.training.crops import CropFolder

    torch.manual_seed(config.seed)
    train_set, val_set = CropFolder(crops_dir, "train", VIEWS), CropFolder(crops_dir, "val", VIEWS)
    train_set.transform = class_aware_transform("view", config.image_size, set())
    plain = classifier_transform("view", config.image_size, heavy=False, train=False)
    val_set.transform = ClassAwareTransform(plain, plain, set())
    model = timm.create_model(config.architecture, pretrained=False, num_classes=len(VIEWS))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    criterion = torch.nn.CrossEntropyLoss()
    train_loader = DataLoader(train_set, batch_size=config.batch, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=config.batch)
    start = time.perf_counter()
    for _ in range(config.epochs):
        model.train()
        for pictures, labels in train_loader:
            loss = criterion(model(pictures), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for pictures, _ in val_loader:
                model(pictures)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--wires", type=int, default=86, help="Wires in the synthetic set (two pictures each).")
    args = parser.parse_args()
    from core.data.synthetic import scaled_plan

    if args.wires < 4 or scaled_plan(args.wires).defects.count("PASS") < 2:  # the plan's proportions hold 3 PASS wires in 86
        parser.error(f"--wires {args.wires} gives fewer than two PASS wires; the split needs two to validate PASS: take 22 or more.")
    workdir = Path(throwaway_folder("wiresag-overhead-"))
    configure_offline(workdir)
    install_fonts()

    import torch

    from core.data import synthetic
    from core.data.dataset import records_from_synthetic, split_records
    from core.data.prepare import prepare_crops, prepare_yolo
    from core.training.classifier import train_classifier
    from core.training.config import load_config
    from core.training.detection import train_detection, yolo_train_args
    from core.training.events import RecordingSink

    samples = synthetic.generate(workdir / "pictures", synthetic.scaled_plan(args.wires), image_size=384)
    snapshot = split_records(records_from_synthetic(samples), val_fraction=0.25, seed=0)
    n_train = len(snapshot.train)
    device = torch.device("cpu")

    config = load_config("view", overrides={"epochs": args.epochs, "image_size": 96, "batch": 8, "samples_every": 1000})
    crops = prepare_crops(snapshot, workdir / "crops", "view")
    bare = bare_classifier_seconds(config, crops)
    start = time.perf_counter()
    train_classifier(config, crops, workdir / "classifier", RecordingSink(), device)
    ours = time.perf_counter() - start
    print(
        f"classifier: ours {ours:.1f} s, bare torch {bare:.1f} s, ratio {ours / bare:.3f}, "
        f"{n_train * args.epochs / ours:.1f} vs {n_train * args.epochs / bare:.1f} training images/s"
    )

    from ultralytics import YOLO

    detection = load_config("detection", overrides={"epochs": args.epochs, "imgsz": 160, "batch": 8})
    data_yaml = prepare_yolo(snapshot, workdir / "yolo-data")
    plain_args = yolo_train_args(detection, data_yaml, workdir / "plain", device)
    start = time.perf_counter()
    YOLO("yolov8n.yaml").train(**plain_args)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    train_detection(detection, data_yaml, workdir / "ours", RecordingSink(), device)
    ours = time.perf_counter() - start
    print(
        f"detection: ours {ours:.1f} s, plain YOLO {plain:.1f} s, ratio {ours / plain:.3f}, "
        f"{n_train * args.epochs / ours:.1f} vs {n_train * args.epochs / plain:.1f} training images/s"
    )


if __name__ == "__main__":
    main()
