"""A strongly regularised linear classifier per view on the wire's appearance (``appearance``).

Fitted once per training run on the training crops' appearance pictures (every
mirror that keeps the class is a row) with scikit-learn's L2
``LogisticRegression`` (classes weighted by inverse frequency, so a rare class is
not out-voted), and stored in the checkpoint as plain lists of numbers: loading
never unpickles a scikit-learn object. A crop's prediction is the mean of its
mirrors' log-probabilities.

Chosen by grouped cross-validation on real wires (docs/training.md, "Real
pictures"): on real-dev this classifier reached a balanced accuracy per wire of
0.71 over the three defect classes (``evidence`` rule, 5 folds x 3 seeds),
against 0.55 for the same learner on the traced wire-shape measures it replaced
and 0.61-0.66 for the traced measures added to it.

The defect model's probabilities are ``softmax(w * log p_head + (1 - w) *
log p_network)``: a weighted product of experts, ``w`` being ``shape_weight``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from core.shape.appearance import APPEARANCE_VERSION, LENGTH

#: Bumped whenever the stored form changes meaning.
HEAD_VERSION = 2
#: Inverse regularisation strength of the logistic regression (chosen on real wires: 0.003 beat 0.01-0.1).
C = 0.003
#: A class needs this many pictures of a view to be fitted in that view's classifier.
MIN_CLASS_PICTURES = 3

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


def fit_shape_head(appearances: Sequence[np.ndarray], views: Sequence[str | None], labels: Sequence[int], n_classes: int) -> dict[str, Any]:
    """Fit one logistic regression per view on the crops' mirrors (``appearance.mirrors`` rows per crop).

    A view with fewer than two classes in training gets none; classes with fewer than
    ``MIN_CLASS_PICTURES`` pictures of a view are left out of that view's fit.
    Returns the stored form: plain lists, safe for ``torch.load(weights_only=True)``.
    """
    from sklearn.linear_model import LogisticRegression

    labels_array, views_array = np.asarray(labels), np.array(views, dtype=object)
    heads: dict[str, dict[str, Any]] = {}
    for view in ("TOP", "SIDE"):
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
        x = np.concatenate([np.asarray(appearances[i], np.float64) for i in chosen])
        y = np.concatenate([np.full(len(appearances[i]), labels_array[i]) for i in chosen])
        mean, scale = x.mean(axis=0), np.maximum(x.std(axis=0), 1e-6)
        model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
        model.fit((x - mean) / scale, y)
        coef, intercept = _linear_rows(model, present, n_classes, LENGTH)
        heads[view] = {"mean": mean.tolist(), "scale": scale.tolist(), "coef": coef.tolist(), "intercept": intercept.tolist()}
    return {"version": HEAD_VERSION, "appearance_version": APPEARANCE_VERSION, "n_classes": n_classes, "views": heads}


def shape_log_probabilities(head: dict[str, Any], appearances: Sequence[np.ndarray], views: Sequence[str | None]) -> np.ndarray:
    """Log class probabilities per crop (the mean over its mirrors); crops of a view without a classifier are uniform."""
    result = np.full((len(views), head["n_classes"]), -np.log(head["n_classes"]))
    for view, stored in head["views"].items():
        mean, scale = np.array(stored["mean"]), np.array(stored["scale"])
        coef, intercept = np.array(stored["coef"]), np.array(stored["intercept"])
        for i in (i for i, v in enumerate(views) if v == view):
            scores = ((np.asarray(appearances[i], np.float64) - mean) / scale) @ coef.T + intercept
            scores -= scores.max(axis=1, keepdims=True)
            logs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
            result[i] = logs.mean(axis=0)
    return result


def combine(shape_log: np.ndarray, network: np.ndarray, weight: float) -> np.ndarray:
    """``softmax(weight * log p_shape + (1 - weight) * log p_network)``: each row sums to 1."""
    logits = weight * np.maximum(shape_log, np.log(PROBABILITY_FLOOR)) + (1.0 - weight) * np.log(np.maximum(network, PROBABILITY_FLOOR))
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    probabilities: np.ndarray = (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)
    return probabilities
