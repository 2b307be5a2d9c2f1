"""Research benchmark: do measures of what the wire comes near tell TOUCH from SWEEP?

What holds the defect model back on real wires is TOUCH against SWEEP (docs/training.md). TOUCH
means the loop touches a part it must not, so two measures of *contact* are tried beside the
product's shape measures, on the annotated boxes of ``real-dev`` (framed and traced as the product
traces a defect crop):

* **clearance**: walking out from the traced wire along its normal on either side, how far
  (in wire thicknesses) to the first dark pixel of another part; the smallest, the 10th
  percentile and the share under 3 thicknesses over the middle 70 % of the wire, per side;
* **crossing** (TOP): where the wire crosses the bright gap between the pads, how much it turns
  there, against the turn elsewhere, and where its sharpest bend lies from the gap's edges.

It prints, per view, how well each measure alone separates the pairs of defect classes (ROC AUC,
0.5 is none), then the per-view logistic regression the product uses (C 0.1, classes weighted,
wires judged by ``evidence``: both views' log probabilities added) with and without the contact
measures, as balanced accuracy per wire over SWEEP/WOBBLE/TOUCH on ``--resplits`` stratified
5-fold splits of the wires (mean and standard deviation). Real pictures only; under a minute.

    .venv/bin/python bench/bench_contact_measures.py [--resplits 20]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_realdata import read_truth  # noqa: E402

from core.data.prepare import classifier_crop  # noqa: E402
from core.labels import DEFECTS  # noqa: E402
from core.shape.shapehead import VIEW_FEATURES, C  # noqa: E402
from core.shape.wireshape import FEATURES, THICKNESS_SHARE, describe, trace  # noqa: E402
from core.training.config import DefectConfig  # noqa: E402

REAL_DEV = ROOT.parent / "shared" / "samples" / "real-dev"
THREE = DEFECTS[1:]
CLEARANCE = ("clear_min_a", "clear_p10_a", "clear_near_a", "clear_min_b", "clear_p10_b", "clear_near_b")
CROSSING = ("cross_turn", "cross_turn_sides", "cross_kink_ratio", "cross_kink_distance")


def normals(points: np.ndarray) -> np.ndarray:
    step = np.gradient(points, axis=0)
    step /= np.linalg.norm(step, axis=1, keepdims=True) + 1e-6
    return np.stack([-step[:, 1], step[:, 0]], axis=1)


def clearance(grey: np.ndarray, points: np.ndarray) -> list[float]:
    """Per side of the wire: smallest and 10th-percentile distance to another dark part, share nearer than 3 thicknesses."""
    thickness = THICKNESS_SHARE * max(grey.shape)
    wire = float(np.median(cv2.remap(grey, points[:, :1].T.copy(), points[:, 1:].T.copy(), cv2.INTER_LINEAR)))
    dark = (wire + float(np.median(grey))) / 2
    offsets = np.arange(0.8 * thickness, 8 * thickness, 0.5)
    middle = slice(int(0.15 * len(points)), max(int(0.85 * len(points)), int(0.15 * len(points)) + 1))
    result = []
    for side in (1.0, -1.0):
        xs = points[:, :1] + side * normals(points)[:, :1] * offsets
        ys = points[:, 1:] + side * normals(points)[:, 1:] * offsets
        values = cv2.remap(grey, xs.astype(np.float32), ys.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        hit = values < dark
        first = np.where(hit.any(axis=1), offsets[hit.argmax(axis=1)], offsets[-1] + 1)[middle] / thickness
        result += [float(first.min()), float(np.percentile(first, 10)), float(np.mean(first < 3))]
    return result


def crossing(grey: np.ndarray, points: np.ndarray) -> list[float]:
    """TOP: the wire's turn across the bright gap between the pads, against its ends, and its sharpest bend's distance to the gap."""
    columns = np.median(grey, axis=0)
    bright = np.append(columns > np.median(columns) + 0.5 * (columns.max() - np.median(columns)), False)
    edges = np.flatnonzero(np.diff(np.concatenate([[False], bright]).astype(int)))
    runs = list(zip(edges[::2], edges[1::2] - 1, strict=False))
    if not runs or columns.max() - np.median(columns) < 10:
        return [0.0] * len(CROSSING)
    left, right = max(runs, key=lambda run: run[1] - run[0])
    width = right - left + 1
    order = np.argsort(points[:, 0])
    xs = np.arange(int(points[order, 0].min()), int(points[order, 0].max()) + 1)
    ys = cv2.GaussianBlur(np.interp(xs, points[order, 0], points[order, 1]).astype(np.float32)[None, :], (0, 0), 2)[0]
    angle = np.degrees(np.arctan(np.gradient(ys)))
    span = float(xs[-1] - xs[0] + 1)

    def within(low: float, high: float) -> np.ndarray:
        chosen = angle[(xs >= low) & (xs <= high)]
        return chosen if len(chosen) else np.zeros(1)

    inside = within(left - width / 2, right + width / 2)
    sides = abs(within(left - 1.5 * width, left - width / 2).mean() - within(right + width / 2, right + 1.5 * width).mean())
    bend = np.abs(np.gradient(angle))
    zone = (xs >= left - width / 2) & (xs <= right + width / 2)
    sharpest = int(bend[5:-5].argmax()) + 5 if len(bend) > 12 else 0
    return [
        float(inside.max() - inside.min()),
        float(sides),
        float(bend[zone].max() if zone.any() else 0.0) / (float(np.median(bend)) + 1e-3),
        min(abs(xs[sharpest] - left), abs(xs[sharpest] - right)) / span,
    ]


def measured() -> list[dict]:
    if not REAL_DEV.is_dir():
        raise SystemExit(f"The real pictures are not at {REAL_DEV}; this benchmark needs ../shared/samples/real-dev.")
    margin, rows = DefectConfig().margin, []
    for picture in read_truth(REAL_DEV):
        if picture.defect not in THREE:
            continue  # PASS rests on 2 wires: the product's shape classifier leaves it out too
        grey = cv2.imread(str(REAL_DEV / picture.relative), cv2.IMREAD_GRAYSCALE)
        crop = classifier_crop(grey, *picture.boxes[0], margin, picture.view, True)
        points = trace(crop, picture.view).points.astype(np.float32)
        work = crop.astype(np.float32)
        shape = describe(crop, picture.view)
        contact = clearance(work, points) + (crossing(work, points) if picture.view == "TOP" else [0.0] * len(CROSSING))
        product = [float(shape[FEATURES.index(name)]) for name in VIEW_FEATURES[picture.view]]
        rows.append({"wire": picture.wire, "view": picture.view, "defect": picture.defect, "product": product, "contact": contact})
    return rows


def separation(rows: list[dict]) -> None:
    from sklearn.metrics import roc_auc_score

    names = [*CLEARANCE, *CROSSING]
    for view in ("TOP", "SIDE"):
        for first, second in (("SWEEP", "TOUCH"), ("WOBBLE", "TOUCH"), ("SWEEP", "WOBBLE")):
            pair = [row for row in rows if row["view"] == view and row["defect"] in (first, second)]
            truth = [row["defect"] == second for row in pair]
            aucs = {}
            for index, name in enumerate(names):
                if view == "SIDE" and name in CROSSING:
                    continue
                auc = roc_auc_score(truth, [row["contact"][index] for row in pair])
                aucs[name] = max(auc, 1 - auc)
            best = sorted(aucs.items(), key=lambda item: -item[1])[:3]
            print(f"  {view:<4} {first} vs {second}: best contact measures " + ", ".join(f"{n} {a:.2f}" for n, a in best))


def scores(rows: list[dict], with_contact: bool, resplits: int) -> list[float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import StratifiedKFold

    wires = sorted({row["wire"] for row in rows})
    truth = np.array([THREE.index(next(row["defect"] for row in rows if row["wire"] == wire)) for wire in wires])
    features = {id(row): np.array(row["product"] + (row["contact"] if with_contact else [])) for row in rows}
    result = []
    for split in range(resplits):
        predicted = np.zeros(len(wires), dtype=int)
        for train, test in StratifiedKFold(5, shuffle=True, random_state=split).split(wires, truth):
            training, evidence = {wires[i] for i in train}, {wires[i]: np.zeros(len(THREE)) for i in test}
            for view in ("TOP", "SIDE"):
                fit = [row for row in rows if row["view"] == view and row["wire"] in training]
                x = np.array([features[id(row)] for row in fit])
                mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
                model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
                model.fit((x - mean) / scale, [THREE.index(row["defect"]) for row in fit])
                for row in rows:
                    if row["view"] == view and row["wire"] in evidence:
                        evidence[row["wire"]] += model.predict_log_proba(((features[id(row)] - mean) / scale)[None])[0]
            for i in test:
                predicted[i] = int(evidence[wires[i]].argmax())
        result.append(float(balanced_accuracy_score(truth, predicted)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resplits", type=int, default=20, help="stratified 5-fold splits of the wires to score on")
    arguments = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    rows = measured()
    print(f"{len(rows)} annotated real pictures of {len({row['wire'] for row in rows})} SWEEP/WOBBLE/TOUCH wires")
    print("How well each contact measure alone separates two classes (ROC AUC; 0.5 is none):")
    separation(rows)
    print(f"Balanced accuracy per wire over SWEEP/WOBBLE/TOUCH, {arguments.resplits} resplits (mean, sd):")
    baseline = scores(rows, False, arguments.resplits)
    contact = scores(rows, True, arguments.resplits)
    print(f"  the product's shape measures        {np.mean(baseline):.3f} ({np.std(baseline):.3f})")
    print(f"  + clearance and crossing measures   {np.mean(contact):.3f} ({np.std(contact):.3f})")
    print(f"  ratio against the product's         {np.mean(contact) / np.mean(baseline):.2f}")


if __name__ == "__main__":
    main()
