"""The linear wire-shape classifier: same answers as scikit-learn, plain stored form, sound mixing."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from core.shape.shapehead import VIEW_FEATURES, C, combine, fit_shape_head, shape_log_probabilities
from core.shape.wireshape import FEATURES
from core.training.config import ConfigError, load_config


def descriptors_of(labels: np.ndarray, seed: int) -> np.ndarray:
    """Random descriptors whose class shifts the selected measures (overlapping classes, like the real ones)."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(len(labels), len(FEATURES)))
    rows[:, [FEATURES.index(name) for name in (*VIEW_FEATURES["TOP"], *VIEW_FEATURES["SIDE"])]] += labels[:, None] * 0.8
    return rows * 0.1 + 0.3


def test_matches_sklearn_per_view_on_the_selected_standardised_features():
    labels = np.array([0, 0, 0] + [1] * 10 + [2] * 12 + [3] * 14)
    labels = np.concatenate([labels, labels])
    views = ["TOP"] * (len(labels) // 2) + ["SIDE"] * (len(labels) // 2)
    train = descriptors_of(labels, seed=0)
    head = fit_shape_head(train, views, labels, 4)
    test_labels = np.repeat([0, 1, 2, 3], 5)
    test = descriptors_of(test_labels, seed=1)
    for view, names in VIEW_FEATURES.items():
        rows = np.array(views) == view
        columns = [FEATURES.index(name) for name in names]
        x = train[rows][:, columns]
        mean, scale = x.mean(axis=0), x.std(axis=0)
        reference = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit((x - mean) / scale, labels[rows])
        expected = reference.predict_proba((test[:, columns] - mean) / scale)
        ours = np.exp(shape_log_probabilities(head, test, [view] * len(test)))
        assert np.allclose(ours, expected, atol=1e-6)
        assert (ours.argmax(axis=1) == reference.predict((test[:, columns] - mean) / scale)).all()


def test_two_classes_and_a_missing_class_and_a_view_without_a_head():
    labels = np.array([1] * 8 + [3] * 8)
    train = descriptors_of(labels, seed=2)
    head = fit_shape_head(train, ["SIDE"] * len(labels), labels, 4)
    assert set(head["views"]) == {"SIDE"}
    columns = [FEATURES.index(name) for name in VIEW_FEATURES["SIDE"]]
    x = train[:, columns]
    mean, scale = x.mean(axis=0), x.std(axis=0)
    reference = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit((x - mean) / scale, labels)
    probabilities = np.exp(shape_log_probabilities(head, train, ["SIDE"] * len(labels)))
    present = probabilities[:, [1, 3]]
    assert np.allclose(present / present.sum(axis=1, keepdims=True), reference.predict_proba((x - mean) / scale))
    assert probabilities[:, [0, 2]].max() < 1e-5
    # TOP pictures (and pictures of unknown view) get no opinion: the network decides alone.
    assert np.allclose(np.exp(shape_log_probabilities(head, train[:2], ["TOP", None])), 0.25)


def test_stored_form_is_plain_data_that_loads_with_weights_only():
    labels = np.repeat([0, 1, 2, 3], 6)
    head = fit_shape_head(descriptors_of(labels, seed=3), ["TOP", "SIDE"] * 12, labels, 4)
    buffer = io.BytesIO()
    torch.save({"shape_head": head}, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)["shape_head"]
    test = descriptors_of(labels, seed=4)
    views = ["SIDE", "TOP"] * 12
    assert np.array_equal(shape_log_probabilities(loaded, test, views), shape_log_probabilities(head, test, views))


def test_combined_probabilities_sum_to_one_and_weights_reach_both_ends():
    rng = np.random.default_rng(5)
    network = rng.dirichlet(np.ones(4), size=30)
    network[0] = [1.0, 0.0, 0.0, 0.0]  # a saturated network must not veto the shape classifier
    shape = np.log(rng.dirichlet(np.ones(4), size=30))
    for weight in (0.0, 0.3, 0.9, 1.0):
        mixed = combine(shape, network, weight)
        assert np.allclose(mixed.sum(axis=1), 1.0, atol=1e-6) and (mixed > 0).all()
    assert np.allclose(combine(shape, network, 1.0), np.exp(shape), atol=1e-6)
    assert np.allclose(combine(shape, network, 0.0)[1:], network[1:], atol=1e-5)
    expected = np.exp(0.9 * shape[3] + 0.1 * np.log(network[3]))
    assert np.allclose(combine(shape, network, 0.9)[3], expected / expected.sum(), atol=1e-6)


def test_shape_weight_belongs_to_the_defect_model():
    assert load_config("defect").shape_weight == 1.0 and load_config("defect", "cpu-quick").shape_weight == 1.0
    assert load_config("view").shape_weight == 0.0
    with pytest.raises(ConfigError, match="only applies to the defect model"):
        load_config("view", overrides={"shape_weight": 0.5})
    with pytest.raises(ConfigError, match="at most 1"):
        load_config("defect", overrides={"shape_weight": 1.5})


def test_a_view_with_no_more_pictures_than_classes_gets_no_head_instead_of_crashing():
    labels = np.array([0, 1, 2, 1, 1, 1, 2, 2, 2, 3])
    views = ["SIDE", "SIDE", "SIDE"] + ["TOP"] * 7
    head = fit_shape_head(descriptors_of(labels, seed=3), views, labels, 4)
    assert set(head["views"]) == {"TOP"}
    assert np.allclose(np.exp(shape_log_probabilities(head, descriptors_of(labels[:1], seed=4), ["SIDE"])), 0.25)


def test_a_class_with_one_or_two_pictures_is_left_out_instead_of_pulling_others_into_it():
    labels = np.array([0, 0] + [1] * 10 + [2] * 12 + [3] * 14)
    train = descriptors_of(labels, seed=4)
    head = fit_shape_head(train, ["SIDE"] * len(labels), labels, 4)
    probabilities = np.exp(shape_log_probabilities(head, train, ["SIDE"] * len(labels)))
    assert probabilities[:, 0].max() < 1e-5  # PASS (2 pictures) gets no probability
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    with_three = fit_shape_head(
        descriptors_of(np.concatenate([[0], labels]), seed=4), ["SIDE"] * (len(labels) + 1), np.concatenate([[0], labels]), 4
    )
    assert np.exp(shape_log_probabilities(with_three, train, ["SIDE"] * len(labels)))[:, 0].max() > 0.01
