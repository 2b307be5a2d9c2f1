"""Research benchmark: does self-supervised pretraining on the user's own crops help the defect model?

Issue 15 names it as a lead. This measures it on a finished ``bench_realdata.py`` run (its
``--workdir``), without changing the product: for each seed and fold of that run,

1. every held-out picture's most confident detected box is framed on its wire and cut as the
   product cuts a defect crop (``core.data.prepare.classifier_crop``), turned so the wire lies
   along the long side, and scaled to 48 x 128;
2. a ResNet18 (timm, random start) is pretrained with SimCLR on the crops of the *other* folds
   only (no label; flips, small rotations and shifts, gamma, contrast, blur, noise);
3. a logistic regression per view on its 512 standardised embedding numbers (classes weighted,
   PASS left out as the product's shape classifier leaves it out) is fitted on the other folds'
   crops and predicts the held-out ones; either on their detected boxes' crops (as the held-out
   ones are cut), or on their annotated boxes' crops, as a trained product would have to (it
   learns from the annotated boxes of its training pictures; the detector never saw them held out);
4. wires are judged as the product judges them (``evidence``: both views' log probabilities
   added), by the embedding alone and fused with the product's own defect probabilities from the
   run's ``inspection.json`` (``fuse`` x embedding + product).

Scores: balanced accuracy per wire over SWEEP/WOBBLE/TOUCH, pooled over the folds, with the
bootstrap interval over the wires (``core.evaluation.outoffold.wire_interval``). Real pictures
only. About 4-5 minutes of pretraining per fold on 2 cores at 150 epochs.

    .venv/bin/python bench/bench_realdata.py --folds 5 --seeds 3,4 --workdir W
    .venv/bin/python bench/bench_selfsupervised.py --workdir W --seeds 3,4
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_realdata import read_truth  # noqa: E402

from core.data.prepare import classifier_crop  # noqa: E402
from core.evaluation.outoffold import FoldOutcome, wire_interval  # noqa: E402
from core.labels import DEFECTS  # noqa: E402

REAL_DEV = ROOT.parent / "shared" / "samples" / "real-dev"
THREE = DEFECTS[1:]
CROP = (48, 128)  # rows, columns: the wire along the long side
FOLDER = {"SWEEP": "沖線", "WOBBLE": "晃動", "TOUCH": "碰觸", "PASS": "PASS"}


def encoder_crop(grey: np.ndarray, box: tuple[float, float, float, float], view: str) -> np.ndarray:
    """A box (x, y, width, height) cut as the product cuts a defect crop, turned and scaled for the encoder."""
    crop = classifier_crop(grey, box[0], box[1], box[2], box[3], 0.15, view, True)
    if crop.shape[0] > crop.shape[1]:
        crop = crop.T
    return cv2.resize(crop, CROP[::-1], interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def held_out_pictures(workdir: Path, seed: int) -> Iterator[dict[str, Any]]:
    """Every held-out picture of the run's folds that got a box: its grey picture, best detected and annotated box.

    Boxes are ``(x, y, width, height)``; ``product`` holds the product's log defect probabilities of the detected box.
    """
    from PIL import Image

    if not REAL_DEV.is_dir():
        raise SystemExit(f"The real pictures are not at {REAL_DEV}; this benchmark needs ../shared/samples/real-dev.")
    annotated = {(FOLDER[picture.defect], Path(picture.relative).name): picture.boxes[0] for picture in read_truth(REAL_DEV)}

    files: dict[str, list[Path]] = defaultdict(list)
    for path in (REAL_DEV / "photo").rglob("*"):
        if path.is_file():
            files[path.name].append(path)
    for fold_dir in sorted((workdir / f"seed{seed}").glob("fold*")):
        report = json.loads((fold_dir / "inspection.json").read_text(encoding="utf-8"))
        for picture in report["pictures"]:
            boxes = picture.get("boxes") or []
            if not boxes:
                continue
            best = max(boxes, key=lambda b: b["detection_confidence"])
            defect, name = picture["image_name"].split("/")
            view_folder = "Top" if picture["view"] == "TOP" else "Side"
            candidates = [p for p in files[name] if p.parent.name in (FOLDER[defect], defect) and view_folder in p.parts]
            path = (candidates or files[name])[0]
            x, y = best["x1"], best["y1"]
            yield {
                "fold": int(fold_dir.name.removeprefix("fold")),
                "wire": picture["wire_id"],
                "truth": defect,
                "view": picture["view"],
                "grey": np.array(Image.open(path).convert("L")),
                "detected": (x, y, best["x2"] - x, best["y2"] - y),
                "annotated": annotated[(path.parent.name, name)],
                "product": np.log(np.maximum(np.array(best["defect_probabilities"], dtype=np.float64), 1e-6)),
            }


def held_out_crops(workdir: Path, seed: int) -> list[dict[str, Any]]:
    """Every held-out picture of the run's folds with its best detected box, its crops and the product's probabilities."""
    rows = []
    for picture in held_out_pictures(workdir, seed):
        grey, view = picture.pop("grey"), picture["view"]
        picture["crop"] = encoder_crop(grey, picture.pop("detected"), view)
        picture["annotated"] = encoder_crop(grey, picture["annotated"], view)
        rows.append(picture)
    return rows


def pretrain(crops: np.ndarray, epochs: int, seed: int) -> Any:
    """SimCLR (NT-Xent, temperature 0.2) on unlabelled crops; returns the encoder."""
    import timm
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.manual_seed(seed)
    encoder = timm.create_model("resnet18", pretrained=False, num_classes=0, in_chans=1)
    projection = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 64))
    optimiser = torch.optim.AdamW([*encoder.parameters(), *projection.parameters()], lr=1e-3, weight_decay=1e-4)
    pictures = torch.tensor(crops)[:, None]
    kernel = torch.tensor([1, 4, 6, 4, 1.0])
    kernel = (kernel[:, None] * kernel[None]) / 256

    def augment(x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        scale, angle = torch.empty(n).uniform_(0.75, 1.0), torch.empty(n).uniform_(-0.12, 0.12)
        shift_x, shift_y = torch.empty(n).uniform_(-0.15, 0.15), torch.empty(n).uniform_(-0.15, 0.15)
        cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
        theta = torch.stack([torch.stack([cos, -sin, shift_x], 1), torch.stack([sin, cos, shift_y], 1)], 1)
        theta[:, 0, 0] *= torch.where(torch.rand(n) < 0.5, -1.0, 1.0)
        theta[:, 1, 1] *= torch.where(torch.rand(n) < 0.5, -1.0, 1.0)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        out = F.grid_sample(x, grid, padding_mode="reflection", align_corners=False)
        out = out.clamp(1e-4, 1) ** torch.empty(n, 1, 1, 1).uniform_(0.7, 1.4)
        out = out * torch.empty(n, 1, 1, 1).uniform_(0.8, 1.2) + torch.empty(n, 1, 1, 1).uniform_(-0.1, 0.1)
        blurred = F.conv2d(F.pad(out, (2, 2, 2, 2), mode="reflect"), kernel[None, None])
        mask = (torch.rand(n, 1, 1, 1) < 0.3).float()
        out = mask * blurred + (1 - mask) * out + torch.randn_like(out) * 0.02
        return (out - 0.5) / 0.25

    def contrastive(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        z = F.normalize(torch.cat([a, b]), dim=1)
        similarity = z @ z.T / 0.2
        similarity.fill_diagonal_(-1e9)
        n = a.shape[0]
        return F.cross_entropy(similarity, torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]))

    for _ in range(epochs):
        encoder.train()
        for chunk in torch.randperm(len(pictures)).split(57):
            x = pictures[chunk]
            loss = contrastive(projection(encoder(augment(x))), projection(encoder(augment(x))))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    encoder.eval()
    return encoder


def embed(encoder: Any, crops: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return encoder((torch.tensor(crops)[:, None] - 0.5) / 0.25).numpy()


def judge(
    rows: list[dict[str, Any]], embeddings: dict[int, dict[str, np.ndarray]], c: float, fuse: float | None, seed: int, boxes: str
) -> FoldOutcome:
    """Every held-out wire's verdict: per-view logistic regressions on the fold's embeddings (fused with the product's).

    ``boxes``: the other folds' crops the regressions learn from, ``crop`` (detected boxes) or ``annotated``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    outcome = FoldOutcome(fold=0, seed=seed)
    for fold, both in embeddings.items():
        features, learned = both["crop"], both[boxes]
        evidence: dict[str, np.ndarray] = {}
        for view in ("TOP", "SIDE"):
            train = [i for i, r in enumerate(rows) if r["fold"] != fold and r["view"] == view and r["truth"] != "PASS"]
            test = [i for i, r in enumerate(rows) if r["fold"] == fold and r["view"] == view]
            if not test or len({rows[i]["truth"] for i in train}) < 2:  # nothing to judge, or nothing to tell apart
                continue
            scaler = StandardScaler().fit(learned[train])
            model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
            model.fit(scaler.transform(learned[train]), [rows[i]["truth"] for i in train])
            for i, probabilities in zip(test, model.predict_proba(scaler.transform(features[test])), strict=True):
                log_p = np.full(len(DEFECTS), np.log(1e-6))
                for label, p in zip(model.classes_, probabilities, strict=True):
                    log_p[DEFECTS.index(label)] = np.log(max(p, 1e-6))
                if fuse is not None:
                    log_p = fuse * log_p + rows[i]["product"]
                evidence[rows[i]["wire"]] = evidence.get(rows[i]["wire"], 0) + log_p
        for wire in sorted(evidence):
            outcome.wire_ids.append(wire)
            outcome.wire_truth.append(wire.split("/")[0])
            outcome.wire_predicted.append(DEFECTS[int(np.argmax(evidence[wire]))])
    return outcome


def product_alone(rows: list[dict[str, Any]], seed: int) -> FoldOutcome:
    evidence: dict[str, np.ndarray] = {}
    for row in rows:
        evidence[row["wire"]] = evidence.get(row["wire"], 0) + row["product"]
    outcome = FoldOutcome(fold=0, seed=seed)
    for wire in sorted(evidence):
        outcome.wire_ids.append(wire)
        outcome.wire_truth.append(wire.split("/")[0])
        outcome.wire_predicted.append(DEFECTS[int(np.argmax(evidence[wire]))])
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="a finished bench_realdata.py run's --workdir")
    parser.add_argument("--seeds", default="3,4")
    parser.add_argument("--epochs", type=int, default=150, help="SimCLR epochs per fold")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write every setting's wire verdicts here")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    settings: list[tuple[str, float, float | None, str]] = [("product alone", 0.0, None, "crop")]
    for boxes, said in (("crop", "detected"), ("annotated", "annotated")):
        settings += [(f"embedding, C {c}, {said} boxes", c, None, boxes) for c in (0.01, 0.1, 1.0)]
        settings += [(f"embedding, C {c}, {said} boxes, fused 0.5", c, 0.5, boxes) for c in (0.01, 0.1, 1.0)]
    results: dict[str, list[FoldOutcome]] = defaultdict(list)
    for seed in [int(s) for s in args.seeds.split(",")]:
        rows = held_out_crops(args.workdir, seed)
        if not rows:
            raise SystemExit(f"No held-out picture of seed {seed} in {args.workdir} got a box: there is nothing to measure.")
        crops = np.stack([row["crop"] for row in rows])
        annotated_crops = np.stack([row["annotated"] for row in rows])
        embeddings = {}
        for fold in sorted({row["fold"] for row in rows}):
            started = time.time()
            encoder = pretrain(crops[[i for i, row in enumerate(rows) if row["fold"] != fold]], args.epochs, seed)
            embeddings[fold] = {"crop": embed(encoder, crops), "annotated": embed(encoder, annotated_crops)}
            print(f"seed {seed} fold {fold}: pretrained without its pictures in {(time.time() - started) / 60:.1f} min", flush=True)
        for name, c, fuse, boxes in settings:
            results[name].append(product_alone(rows, seed) if fuse is None and c == 0 else judge(rows, embeddings, c, fuse, seed, boxes))
    print(f"\nPer wire over SWEEP/WOBBLE/TOUCH, pooled over the folds, seeds {args.seeds}, SimCLR {args.epochs} epochs:")
    for name, outcomes in results.items():
        per_seed = [wire_interval([o], THREE)["estimate"] for o in outcomes]
        interval = wire_interval(outcomes, THREE)
        seeds = ", ".join(f"{value:.3f}" for value in per_seed)
        print(f"{name:45} {interval['estimate']:.3f} (95 % {interval['low']:.3f}-{interval['high']:.3f}; seeds {seeds})")
    if args.json:
        args.json.write_text(json.dumps({name: [o.to_json() for o in outcomes] for name, outcomes in results.items()}, indent=1))


if __name__ == "__main__":
    main()
