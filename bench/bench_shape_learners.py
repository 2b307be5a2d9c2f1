"""Research benchmark: would another learner on the traced wire measures beat the product's shape classifier?

Issue 15 names small-data learners on shape descriptors and one model over both views of a wire
as leads. This measures them on a finished ``bench_realdata.py`` run (its ``--workdir``), without
changing the product, the way a trained product works: every classifier learns from the
*annotated* boxes of its training wires and judges the held-out wires on the boxes the run's
detector found (the most confident box of each picture, framed and traced as the product traces
a defect crop). Per-view classifiers judge a wire as the product does (``evidence``: both views'
log probabilities added); the joint one sees both views' measures side by side.

Two ways of splitting: the run's own folds (scored against the product's own verdicts from its
``inspection.json``, so the harness is checked against the product), and ``--resplits`` more
stratified 5-fold splits of the wires (each picture keeps the box its run's detector found when
it was held out; only the classifiers' folds change), so that one lucky split cannot choose a
learner. Scores: balanced accuracy per wire over SWEEP/WOBBLE/TOUCH (PASS rests on 2 wires and
every classifier here leaves it out, as the product's does). Real pictures only; a few minutes.

    .venv/bin/python bench/bench_realdata.py --folds 5 --seeds 3,4 --workdir W
    .venv/bin/python bench/bench_shape_learners.py --workdir W --seeds 3,4 [--resplits 10]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_selfsupervised import held_out_pictures, product_alone  # noqa: E402

from core.data.prepare import classifier_crop  # noqa: E402
from core.evaluation.outoffold import FoldOutcome, wire_interval  # noqa: E402
from core.labels import DEFECTS  # noqa: E402
from core.shape.shapehead import VIEW_FEATURES  # noqa: E402
from core.shape.shapehead import C as PRODUCT_C  # noqa: E402
from core.shape.wireshape import FEATURES, describe  # noqa: E402
from core.training.config import DefectConfig  # noqa: E402

THREE = DEFECTS[1:]
VIEWS = ("TOP", "SIDE")
PRODUCT = {view: [FEATURES.index(name) for name in names] for view, names in VIEW_FEATURES.items()}
EVERY = {view: list(range(len(FEATURES))) for view in VIEWS}


def traced(workdir: Path, seed: int) -> list[dict[str, Any]]:
    """The held-out pictures of one seed's folds with the measures of their detected and annotated boxes."""
    margin = DefectConfig().margin
    rows = []
    for picture in held_out_pictures(workdir, seed):
        grey, view = picture.pop("grey"), picture["view"]
        for boxes in ("detected", "annotated"):
            picture[boxes] = describe(classifier_crop(grey, *picture[boxes], margin, view, True), view).astype(np.float64)
        rows.append(picture)
    return rows


def _log_probabilities(model: Any, x: np.ndarray) -> np.ndarray:
    result = np.full(len(DEFECTS), np.log(1e-6))
    for label, p in zip(model.classes_, model.predict_proba(x)[0], strict=True):
        result[DEFECTS.index(label)] = np.log(max(p, 1e-6))
    return result


Learner = Callable[[], Any]


def per_view(
    rows: list[dict[str, Any]],
    folds: Sequence[Sequence[str]],
    features: dict[str, list[int]],
    learner: Learner,
    learn_from: str = "annotated",
) -> FoldOutcome:
    """One classifier per view on the training wires' annotated boxes; held-out wires judged with ``evidence``.

    ``learn_from="detected"``: on the boxes the run's detectors found in the training wires' pictures when those
    were held out, as a product with detectors cross-fitted on its own training pictures could.
    """
    from sklearn.preprocessing import StandardScaler

    outcome = FoldOutcome(fold=0, seed=0)
    for held_out in folds:
        evidence: dict[str, np.ndarray] = {}
        for view in VIEWS:
            train = [r for r in rows if r["wire"] not in held_out and r["view"] == view and r["truth"] != "PASS"]
            x = np.array([r[learn_from][features[view]] for r in train])
            scaler = StandardScaler().fit(x)
            model = learner().fit(scaler.transform(x), [r["truth"] for r in train])
            for row in rows:
                if row["wire"] in held_out and row["view"] == view:
                    scores = _log_probabilities(model, scaler.transform(row["detected"][features[view]][None]))
                    evidence[row["wire"]] = evidence.get(row["wire"], 0) + scores
        for wire in sorted(evidence):
            outcome.wire_ids.append(wire)
            outcome.wire_truth.append(wire.split("/")[0])
            outcome.wire_predicted.append(DEFECTS[int(np.argmax(evidence[wire]))])
    return outcome


def joint(rows: list[dict[str, Any]], folds: Sequence[Sequence[str]], features: dict[str, list[int]], learner: Learner) -> FoldOutcome:
    """One classifier over both views' measures side by side (wires with a box in both views)."""
    from sklearn.preprocessing import StandardScaler

    by_wire: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_wire.setdefault(row["wire"], {})[row["view"]] = row
    both = {wire: views for wire, views in by_wire.items() if len(views) == 2}

    def vector(views: dict[str, dict[str, Any]], boxes: str) -> np.ndarray:
        return np.concatenate([views[view][boxes][features[view]] for view in VIEWS])

    outcome = FoldOutcome(fold=0, seed=0)
    for held_out in folds:
        train = [views for wire, views in both.items() if wire not in held_out and views["TOP"]["truth"] != "PASS"]
        x = np.array([vector(views, "annotated") for views in train])
        scaler = StandardScaler().fit(x)
        model = learner().fit(scaler.transform(x), [views["TOP"]["truth"] for views in train])
        for wire in sorted(w for w in both if w in held_out):
            outcome.wire_ids.append(wire)
            outcome.wire_truth.append(wire.split("/")[0])
            scores = _log_probabilities(model, scaler.transform(vector(both[wire], "detected")[None]))
            outcome.wire_predicted.append(DEFECTS[int(np.argmax(scores))])
    return outcome


def settings() -> dict[str, Callable[[list[dict[str, Any]], Sequence[Sequence[str]]], FoldOutcome]]:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    def logistic(c: float) -> Learner:
        return lambda: LogisticRegression(C=c, class_weight="balanced", max_iter=5000)

    forest: Learner = lambda: RandomForestClassifier(300, min_samples_leaf=3, class_weight="balanced", random_state=0)  # noqa: E731
    shrunk: Learner = lambda: LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto", priors=[1 / 3] * 3)  # noqa: E731
    return {
        f"product: per view, its measures, LR C {PRODUCT_C}": lambda r, f: per_view(r, f, PRODUCT, logistic(PRODUCT_C)),
        **{f"per view, every measure, LR C {c}": (lambda r, f, c=c: per_view(r, f, EVERY, logistic(c))) for c in (0.01, 0.03, 0.1)},
        "the product's, learning from detected boxes": lambda r, f: per_view(r, f, PRODUCT, logistic(PRODUCT_C), "detected"),
        "per view, its measures, random forest": lambda r, f: per_view(r, f, PRODUCT, forest),
        "per view, its measures, shrunk LDA": lambda r, f: per_view(r, f, PRODUCT, shrunk),
        "per view, its measures, 9 nearest": lambda r, f: per_view(r, f, PRODUCT, lambda: KNeighborsClassifier(9)),
        **{f"one per wire, both views, LR C {c}": (lambda r, f, c=c: joint(r, f, PRODUCT, logistic(c))) for c in (0.03, 0.1, 0.3)},
        "one per wire, both views, random forest": lambda r, f: joint(r, f, PRODUCT, forest),
    }


def resplit(rows: list[dict[str, Any]], seed: int) -> list[list[str]]:
    """Stratified 5-fold split of the wires (by their class)."""
    from sklearn.model_selection import StratifiedKFold

    wires = sorted({row["wire"] for row in rows})
    truth = [wire.split("/")[0] for wire in wires]
    splits = min(5, min(truth.count(label) for label in set(truth) - {"PASS"}))
    folds = StratifiedKFold(splits, shuffle=True, random_state=seed).split(wires, truth)
    return [[wires[i] for i in held_out] for _, held_out in folds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="a finished bench_realdata.py run's --workdir")
    parser.add_argument("--seeds", default="3,4")
    parser.add_argument("--resplits", type=int, default=10, help="further 5-fold splits of the wires per seed")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)  # sklearn: a class with few members in a fold
    seeds = [int(s) for s in args.seeds.split(",")]
    traced_rows = {seed: traced(args.workdir, seed) for seed in seeds}
    if not all(traced_rows.values()):
        raise SystemExit(f"No held-out picture of seeds {args.seeds} in {args.workdir} got a box: there is nothing to measure.")
    print(f"Per wire over SWEEP/WOBBLE/TOUCH; seeds {args.seeds} of {args.workdir}")
    product = [product_alone(traced_rows[seed], seed) for seed in seeds]
    interval = wire_interval(product, THREE)
    print(f"{'the product (its inspection.json)':45} run's folds {interval['estimate']:.3f}")
    for name, judge in settings().items():
        own = []
        for seed in seeds:
            rows = traced_rows[seed]
            folds = [sorted({r["wire"] for r in rows if r["fold"] == fold}) for fold in sorted({r["fold"] for r in rows})]
            outcome = judge(rows, folds)
            outcome.seed = seed
            own.append(outcome)
        interval = wire_interval(own, THREE)
        more = [
            wire_interval([judge(traced_rows[seed], resplit(traced_rows[seed], n))], THREE)["estimate"]
            for seed in seeds
            for n in range(args.resplits)
        ]
        spread = f"; {len(more)} resplits {np.mean(more):.3f} (sd {np.std(more):.3f}, {min(more):.3f}-{max(more):.3f})" if more else ""
        print(f"{name:45} run's folds {interval['estimate']:.3f} (95 % {interval['low']:.3f}-{interval['high']:.3f}){spread}", flush=True)


if __name__ == "__main__":
    main()
