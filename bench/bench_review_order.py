"""The review queue's order on real pictures: how soon does a reviewer meet the boxes the models got wrong?

Pre-annotation stores every box the models find as a pending model box, and the review page
lists them riskiest first (``review.prediction.review_queue``: tiers ``RISK_TIERS``, then the
least sure stage first). This benchmark asks that question of the product's own queue on real
wires it never saw: it takes a finished ``bench_realdata.py`` run (its ``--workdir``), stores
every box its held-out pictures got (``inspection.json``: the detector's box, its view and
defect with the three stages' confidences) as pending model boxes in a throwaway SQLite database,
orders them with ``review_queue`` for each order of the tiers and each ``LOW_CONFIDENCE`` line,
and scores the order against the pictures' real labels (a box is wrong when its defect is not
its picture's class):

- average precision of the wrong boxes in queue order (1.0: every wrong box comes first; a
  random order scores the share of wrong boxes, printed as the baseline of the same run);
- the share of wrong boxes among the first quarter a reviewer looks at;
- the size of the first tier (a tier holding nearly every box orders nothing).

Each seed is its own queue (one pre-annotation of the 57 wires); means over the seeds.

    .venv/bin/python bench/bench_realdata.py --folds 5 --seeds 3,4 --workdir W
    .venv/bin/python bench/bench_review_order.py --workdir W --seeds 3,4
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._scratch import django_in_throwaway_folder  # noqa: E402

django_in_throwaway_folder("wiresag-bench-review-")

from django.core.management import call_command  # noqa: E402

from annotations.choices import ReviewState, Source  # noqa: E402
from annotations.models import Annotation, Image  # noqa: E402
from review import prediction  # noqa: E402

LINES = (0.3, 0.4, 0.5, 0.6)


def store(workdir: Path, seed: int) -> dict[int, bool]:
    """Every box of one seed's held-out pictures as a pending model box; whether each is wrong, by its id."""
    Annotation.objects.all().delete()
    Image.objects.all().delete()
    wrong: dict[int, bool] = {}
    folds = sorted((workdir / f"seed{seed}").glob("fold*/inspection.json"))
    if not folds:
        raise SystemExit(f"No finished fold of seed {seed} in {workdir}: run bench_realdata.py with --workdir first.")
    for report in folds:
        for n, picture in enumerate(json.loads(report.read_text(encoding="utf-8"))["pictures"]):
            truth = picture["image_name"].split("/")[0]
            group, _, number = picture["wire_id"].rpartition("/")
            image = Image.objects.create(
                original_name=picture["image_name"],
                sha256=hashlib.sha256(f"{seed}/{report.parent.name}/{n}".encode()).hexdigest(),
                file=f"images/bench/{seed}/{report.parent.name}/{n}.jpg",
                width=1004,
                height=1004,
                wire_id=number,
                wire_group=group,
                view=picture.get("view") or "",
            )
            for box in picture.get("boxes") or []:
                annotation = Annotation.objects.create(
                    image=image,
                    x=box["x1"],
                    y=box["y1"],
                    width=box["x2"] - box["x1"],
                    height=box["y2"] - box["y1"],
                    view=box["view"],
                    defect=box["defect"],
                    source=Source.MODEL,
                    review_state=ReviewState.PENDING,
                    confidences={stage: box[f"{stage}_confidence"] for stage in ("detection", "view", "defect")},
                )
                wrong[annotation.pk] = box["defect"] != truth
    return wrong


def score(wrong: dict[int, bool]) -> dict[str, float]:
    """The product's queue, as it is configured now, against the boxes' truth."""
    items = prediction.review_queue()
    order = [wrong[item.annotation.pk] for item in items]
    found = precision = 0.0
    for rank, is_wrong in enumerate(order, start=1):
        if is_wrong:
            found += 1
            precision += found / rank
    quarter = order[: max(len(order) // 4, 1)]
    return {
        "ap": precision / max(sum(order), 1),
        "first_quarter": sum(quarter) / len(quarter),
        "first_tier": sum(1 for item in items if item.tier == 0) / len(items),
    }


def orders() -> list[tuple[tuple[str, ...], float]]:
    """Every order of the three tiers, at every low-confidence line."""
    tiers = prediction.RISK_TIERS
    return [(order, line) for order in itertools.permutations(tiers) for line in LINES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--seeds", default="3,4")
    parser.add_argument("--json", type=Path, help="also write every setting's scores here")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    chosen = (prediction.RISK_TIERS, prediction.LOW_CONFIDENCE)
    results: dict[tuple[tuple[str, ...], float], list[dict[str, float]]] = {}
    baselines: list[float] = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        wrong = store(args.workdir, seed)
        baselines.append(sum(wrong.values()) / len(wrong))
        print(f"seed {seed}: {len(wrong)} boxes, {sum(wrong.values())} wrong ({baselines[-1]:.0%})")
        for order, line in orders():
            prediction.RISK_TIERS, prediction.LOW_CONFIDENCE = order, line
            try:
                results.setdefault((order, line), []).append(score(wrong))
            finally:
                prediction.RISK_TIERS, prediction.LOW_CONFIDENCE = chosen
    print(f"\nbaseline (any order): average precision {statistics.mean(baselines):.3f}")
    print(f"{'tiers, riskiest first':58} {'line':>5} {'AP':>6} {'1st quarter':>12} {'1st tier':>9}")
    rows: list[dict[str, Any]] = []
    for (order, line), per_seed in sorted(results.items(), key=lambda item: -statistics.mean(r["ap"] for r in item[1])):
        mean = {key: statistics.mean(r[key] for r in per_seed) for key in per_seed[0]}
        mark = "  <- the product's" if (order, line) == chosen else ""
        print(f"{' > '.join(order):58} {line:5.1f} {mean['ap']:6.3f} {mean['first_quarter']:12.0%} {mean['first_tier']:9.0%}{mark}")
        rows.append({"tiers": list(order), "line": line, **mean, "per_seed": per_seed})
    if args.json:
        args.json.write_text(json.dumps({"baseline": statistics.mean(baselines), "settings": rows}, indent=1))


if __name__ == "__main__":
    main()
