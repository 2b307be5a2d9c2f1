"""A strongly regularised linear classifier per view on a few wire-shape measures.

The defect hybrid's MLP over the whole descriptor overfits on the few PASS
wires; a linear model on the few measures that carry the physical signal
(../shared/DOMAIN.md: TOP bend, SIDE loop height near the stitch) generalises
much better. It is fitted once per training run on the training crops'
descriptors (they are fixed: traced from the stored crops) with scikit-learn's
L2 ``LogisticRegression`` (C 0.1, classes weighted by inverse frequency, so PASS
is not out-voted by its rarity), and stored in the checkpoint as plain lists of
numbers: loading never unpickles a scikit-learn object.

The learner was chosen by grouped cross-validation on real wires (docs/training.md,
"Real pictures"): on real-dev, logistic regression with C 0.1 beat the former
shrinkage linear discriminant per view (balanced accuracy per wire over the three
defect classes 0.725 against 0.658, with the ``evidence`` rule).

The defect model's probabilities are ``softmax(w * log p_shape + (1 - w) *
log p_network)``: a weighted product of experts, ``w`` being ``shape_weight``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from core.shape.wireshape import DESCRIPTOR_VERSION, FEATURES

#: Bumped whenever the stored form changes meaning.
HEAD_VERSION = 1
#: Inverse regularisation strength of the logistic regression (chosen on real wires, see above).
C = 0.1
#: A class needs this many pictures of a view to be fitted in that view's classifier.
MIN_CLASS_PICTURES = 3

#: The measures each view's head uses: the ones that separate the classes and trace reliably.
#: Chosen on the synthetic reference set (docs/training.md); the whole descriptor overfits.
VIEW_FEATURES: dict[str, tuple[str, ...]] = {
    "TOP": ("top_bend", "top_wiggle"),
    "SIDE": ("side_height_10", "side_height_25", "side_height_40", "side_peak_position"),
}

#: Floor for probabilities before taking logs, so neither expert can veto a class outright.
PROBABILITY_FLOOR = 1e-6


def _linear_rows(model: Any, present: np.ndarray, n_classes: int, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """The fitted model as softmax coefficients over all ``n_classes`` (absent classes get a vanishing score).

    scikit-learn's binary models give one row whose sigmoid is the second
    class's probability; softmax over ``(0, row)`` is the same.
    """
    coef, intercept = np.asarray(model.coef_, np.float64), np.asarray(model.intercept_, np.float64)
    if len(present) == 2:
        coef, intercept = np.vstack([np.zeros(n_features), coef[0]]), np.array([0.0, intercept[0]])
    full_coef, full_intercept = np.zeros((n_classes, n_features)), np.full(n_classes, np.log(PROBABILITY_FLOOR))
    full_coef[present], full_intercept[present] = coef, intercept
    return full_coef, full_intercept


def fit_shape_head(descriptors: np.ndarray, views: Sequence[str | None], labels: Sequence[int], n_classes: int) -> dict[str, Any]:
    """Fit one logistic regression per view; views with fewer than two classes in training get none.

    Classes with fewer than ``MIN_CLASS_PICTURES`` pictures of a view are left out of that view's fit.

    Returns the stored form: plain lists, safe for ``torch.load(weights_only=True)``.
    """
    from sklearn.linear_model import LogisticRegression

    descriptors, labels_array, views_array = np.asarray(descriptors, np.float64), np.asarray(labels), np.array(views, dtype=object)
    heads: dict[str, dict[str, Any]] = {}
    for view, names in VIEW_FEATURES.items():
        rows = views_array == view
        # A class with one or two pictures (PASS on real data) cannot be learned: fitted anyway,
        # its huge balanced weight pulls defect wires into it. It is left out and gets no probability.
        classes, counts = np.unique(labels_array[rows], return_counts=True)
        rows &= np.isin(labels_array, classes[counts >= MIN_CLASS_PICTURES])
        present = np.unique(labels_array[rows])
        # A classifier needs two classes and more pictures than classes; otherwise that view
        # gets no shape opinion and the network decides alone.
        if len(present) < 2 or rows.sum() <= len(present):
            continue
        x = descriptors[rows][:, [FEATURES.index(name) for name in names]]
        mean, scale = x.mean(axis=0), np.maximum(x.std(axis=0), 1e-6)
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
        model.fit((x - mean) / scale, labels_array[rows])
        coef, intercept = _linear_rows(model, present, n_classes, len(names))
        heads[view] = {
            "features": list(names),
            "mean": mean.tolist(),
            "scale": scale.tolist(),
            "coef": coef.tolist(),
            "intercept": intercept.tolist(),
        }
    return {"version": HEAD_VERSION, "descriptor_version": DESCRIPTOR_VERSION, "n_classes": n_classes, "views": heads}


def shape_log_probabilities(head: dict[str, Any], descriptors: np.ndarray, views: Sequence[str | None]) -> np.ndarray:
    """Log class probabilities per descriptor row; rows of a view without a head are uniform (no opinion)."""
    descriptors = np.asarray(descriptors, np.float64).reshape(len(views), len(FEATURES))
    result = np.full((len(views), head["n_classes"]), -np.log(head["n_classes"]))
    for view, stored in head["views"].items():
        rows = np.array([v == view for v in views], dtype=bool)
        if not rows.any():
            continue
        x = descriptors[rows][:, [FEATURES.index(name) for name in stored["features"]]]
        scores = ((x - np.array(stored["mean"])) / np.array(stored["scale"])) @ np.array(stored["coef"]).T + np.array(stored["intercept"])
        scores -= scores.max(axis=1, keepdims=True)
        result[rows] = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    return result


def combine(shape_log: np.ndarray, network: np.ndarray, weight: float) -> np.ndarray:
    """``softmax(weight * log p_shape + (1 - weight) * log p_network)``: each row sums to 1."""
    logits = weight * np.maximum(shape_log, np.log(PROBABILITY_FLOOR)) + (1.0 - weight) * np.log(np.maximum(network, PROBABILITY_FLOOR))
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    probabilities: np.ndarray = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    return probabilities
