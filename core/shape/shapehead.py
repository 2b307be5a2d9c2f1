"""The defect model's linear classifier per view: the traced wire shape and the wire's appearance, joined.

Two strongly regularised logistic regressions per view (scikit-learn, classes weighted by
inverse frequency, so a rare class is not out-voted), fitted once per training run and
stored in the checkpoint as plain lists of numbers (loading never unpickles a scikit-learn
object):

* **shape**: the few traced measures that carry the physical signal (``wireshape``; TOP
  bend and S-wiggle share, SIDE heights near the stitch and the peak's position), C 0.1;
* **look**: the standardised picture around the traced wire (``appearance``), every
  class-keeping mirror and jittered box a training row, C 0.003; a crop's prediction is
  the mean over its mirrors.

A crop's log-probabilities are ``log p_shape + look_weight * log p_look`` (renormalised; the
defect configuration's ``look_weight``, 0.5 by default).
Chosen by grouped cross-validation on real wires, scored on the boxes the trained detector
found (docs/training.md, "Real pictures"): balanced accuracy per wire over SWEEP/WOBBLE/TOUCH
0.62 against 0.56 for the shape part alone and 0.35 for a look framed on the given box.

The defect model's probabilities are ``softmax(w * log p_head + (1 - w) * log p_network)``:
a weighted product of experts, ``w`` being ``shape_weight``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from core.shape.appearance import APPEARANCE_VERSION
from core.shape.wireshape import DESCRIPTOR_VERSION, FEATURES

#: Bumped whenever the stored form changes meaning.
HEAD_VERSION = 3
#: Inverse regularisation strength of each part's logistic regression (chosen on real wires).
C_SHAPE = 0.1
C_LOOK = 0.003
#: A class needs this many pictures of a view to be fitted in that view's classifier.
MIN_CLASS_PICTURES = 3

#: The measures the shape part uses: the ones that separate the classes and trace reliably.
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


def _fit(x: np.ndarray, y: np.ndarray, c: float, present: np.ndarray, n_classes: int) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), np.maximum(x.std(axis=0), 1e-6)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    model.fit((x - mean) / scale, y)
    coef, intercept = _linear_rows(model, present, n_classes, x.shape[1])
    return {"mean": mean.tolist(), "scale": scale.tolist(), "coef": coef.tolist(), "intercept": intercept.tolist()}


def _log_softmax(x: np.ndarray, stored: dict[str, Any]) -> np.ndarray:
    scores = ((x - np.array(stored["mean"])) / np.array(stored["scale"])) @ np.array(stored["coef"]).T + np.array(stored["intercept"])
    scores -= scores.max(axis=1, keepdims=True)
    result: np.ndarray = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    return result


def fit_shape_head(
    descriptors: np.ndarray,
    looks: Sequence[np.ndarray],
    views: Sequence[str | None],
    labels: Sequence[int],
    n_classes: int,
    look_weight: float = 0.5,
) -> dict[str, Any]:
    """Fit both parts per view: ``descriptors`` one row per crop, ``looks`` the appearance rows of each crop.

    ``look_weight`` (the defect configuration's; 0.5 beat 1.0 on real wires) weighs the look's
    log-probabilities beside the shape's; at 0 the look is not fitted and ``looks`` may be empty.

    A view with fewer than two classes in training gets none; classes with fewer than
    ``MIN_CLASS_PICTURES`` pictures of a view are left out of that view's fit.
    Returns the stored form: plain lists, safe for ``torch.load(weights_only=True)``.
    """
    descriptors = np.asarray(descriptors, np.float64).reshape(len(views), len(FEATURES))
    labels_array, views_array = np.asarray(labels), np.array(views, dtype=object)
    heads: dict[str, dict[str, Any]] = {}
    for view, names in VIEW_FEATURES.items():
        rows = views_array == view
        # A class with one or two pictures (PASS on real data) cannot be learned: fitted anyway,
        # its huge balanced weight pulls defect wires into it. It is left out and gets no probability.
        classes, counts = np.unique(labels_array[rows], return_counts=True)
        rows &= np.isin(labels_array, classes[counts >= MIN_CLASS_PICTURES])
        present = np.unique(labels_array[rows])
        # A classifier needs two classes and more pictures than classes; otherwise that view
        # gets no opinion and the network decides alone.
        if len(present) < 2 or rows.sum() <= len(present):
            continue
        chosen = [int(i) for i in np.flatnonzero(rows)]
        shape = _fit(descriptors[chosen][:, [FEATURES.index(n) for n in names]], labels_array[chosen], C_SHAPE, present, n_classes)
        heads[view] = {"shape": {**shape, "features": list(names)}}
        if look_weight > 0:
            look_x = np.concatenate([np.asarray(looks[i], np.float64) for i in chosen])
            look_y = np.concatenate([np.full(len(looks[i]), labels_array[i]) for i in chosen])
            heads[view]["look"] = _fit(look_x, look_y, C_LOOK, present, n_classes)
    return {
        "version": HEAD_VERSION,
        "descriptor_version": DESCRIPTOR_VERSION,
        "appearance_version": APPEARANCE_VERSION,
        "look_weight": look_weight,
        "n_classes": n_classes,
        "views": heads,
    }


def shape_log_probabilities(
    head: dict[str, Any], descriptors: np.ndarray, looks: Sequence[np.ndarray], views: Sequence[str | None]
) -> np.ndarray:
    """Log class probabilities per crop; crops of a view without a classifier are uniform (no opinion)."""
    descriptors = np.asarray(descriptors, np.float64).reshape(len(views), len(FEATURES))
    result = np.full((len(views), head["n_classes"]), -np.log(head["n_classes"]))
    for view, stored in head["views"].items():
        chosen = [i for i, v in enumerate(views) if v == view]
        if not chosen:
            continue
        columns = [FEATURES.index(name) for name in stored["shape"]["features"]]
        joined = _log_softmax(descriptors[chosen][:, columns], stored["shape"])
        if "look" in stored:
            look = np.stack([_log_softmax(np.asarray(looks[i], np.float64), stored["look"]).mean(axis=0) for i in chosen])
            joined = joined + float(head["look_weight"]) * look
        joined -= joined.max(axis=1, keepdims=True)
        result[chosen] = joined - np.log(np.exp(joined).sum(axis=1, keepdims=True))
    return result


def combine(shape_log: np.ndarray, network: np.ndarray, weight: float) -> np.ndarray:
    """``softmax(weight * log p_shape + (1 - weight) * log p_network)``: each row sums to 1."""
    logits = weight * np.maximum(shape_log, np.log(PROBABILITY_FLOOR)) + (1.0 - weight) * np.log(np.maximum(network, PROBABILITY_FLOOR))
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    probabilities: np.ndarray = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    return probabilities
