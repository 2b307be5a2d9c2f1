"""The linear appearance classifier: same answers as scikit-learn, mirrors averaged, plain stored form, sound mixing."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from core.shape.appearance import LENGTH, SIZE, mirrors
from core.shape.shapehead import C, combine, fit_shape_head, shape_log_probabilities
from core.training.config import ConfigError, load_config


def looks_of(labels: np.ndarray, views: list[str], seed: int) -> list[np.ndarray]:
    """Random appearance pictures whose class brightens a patch (overlapping classes), as mirror stacks."""
    rng = np.random.default_rng(seed)
    result = []
    for label, view in zip(labels, views, strict=True):
        picture = rng.normal(size=(SIZE[1], SIZE[0])).astype(np.float32)
        picture[4:10, 6:14] += 0.8 * label
        result.append(mirrors(picture, view))
    return result


def reference_log_probabilities(train: list[np.ndarray], labels: np.ndarray, test: list[np.ndarray]) -> np.ndarray:
    x = np.concatenate(train).astype(np.float64)
    y = np.concatenate([np.full(len(rows), label) for rows, label in zip(train, labels, strict=True)])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit((x - mean) / scale, y)
    return np.stack([np.log(model.predict_proba((rows.astype(np.float64) - mean) / scale)).mean(axis=0) for rows in test])


def test_matches_sklearn_per_view_on_every_mirror_and_averages_them():
    labels = np.array([0, 0, 0] + [1] * 10 + [2] * 12 + [3] * 14)
    views = ["TOP"] * len(labels) + ["SIDE"] * len(labels)
    labels = np.concatenate([labels, labels])
    train = looks_of(labels, views, seed=0)
    head = fit_shape_head(train, views, labels, 4)
    test_labels = np.repeat([0, 1, 2, 3], 5)
    for view in ("TOP", "SIDE"):
        rows = [i for i, v in enumerate(views) if v == view]
        test = looks_of(test_labels, [view] * len(test_labels), seed=1)
        expected = reference_log_probabilities([train[i] for i in rows], labels[rows], test)
        ours = shape_log_probabilities(head, test, [view] * len(test))
        assert np.allclose(ours, expected, atol=1e-6)
    # A TOP crop has four mirrors, a SIDE crop two (up-down would turn the loop upside down).
    assert [len(train[0]), len(train[-1])] == [4, 2] and train[0].shape[1] == LENGTH


def test_two_classes_and_a_missing_class_and_a_view_without_a_head():
    labels = np.array([1] * 8 + [3] * 8)
    train = looks_of(labels, ["SIDE"] * len(labels), seed=2)
    head = fit_shape_head(train, ["SIDE"] * len(labels), labels, 4)
    assert set(head["views"]) == {"SIDE"}
    probabilities = np.exp(shape_log_probabilities(head, train, ["SIDE"] * len(labels)))
    present = probabilities[:, [1, 3]]
    expected = np.exp(reference_log_probabilities(train, labels, train))
    assert np.allclose(present / present.sum(axis=1, keepdims=True), expected / expected.sum(axis=1, keepdims=True), atol=1e-5)
    assert probabilities[:, [0, 2]].max() < 1e-5
    # TOP pictures (and pictures of unknown view) get no opinion: the network decides alone.
    assert np.allclose(np.exp(shape_log_probabilities(head, train[:2], ["TOP", None])), 0.25)


def test_stored_form_is_plain_data_that_loads_with_weights_only():
    labels = np.repeat([0, 1, 2, 3], 6)
    views = ["TOP", "SIDE"] * 12
    head = fit_shape_head(looks_of(labels, views, seed=3), views, labels, 4)
    buffer = io.BytesIO()
    torch.save({"shape_head": head}, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)["shape_head"]
    test = looks_of(labels, views, seed=4)
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


def test_the_defect_model_crops_with_the_context_its_classifier_was_chosen_with():
    assert load_config("defect").margin == 0.5 and load_config("defect", "cpu-quick").margin == 0.5
    assert load_config("view").margin == 0.15


def test_a_view_with_no_more_pictures_than_classes_gets_no_head_instead_of_crashing():
    labels = np.array([0, 1, 2, 1, 1, 1, 2, 2, 2, 3])
    views = ["SIDE", "SIDE", "SIDE"] + ["TOP"] * 7
    head = fit_shape_head(looks_of(labels, views, seed=3), views, labels, 4)
    assert set(head["views"]) == {"TOP"}
    assert np.allclose(np.exp(shape_log_probabilities(head, looks_of(labels[:1], ["SIDE"], seed=4), ["SIDE"])), 0.25)


def test_a_class_with_one_or_two_pictures_is_left_out_instead_of_pulling_others_into_it():
    labels = np.array([0, 0] + [1] * 10 + [2] * 12 + [3] * 14)
    views = ["SIDE"] * len(labels)
    train = looks_of(labels, views, seed=4)
    head = fit_shape_head(train, views, labels, 4)
    probabilities = np.exp(shape_log_probabilities(head, train, views))
    assert probabilities[:, 0].max() < 1e-5  # PASS (2 pictures) gets no probability
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    more = np.concatenate([[0], labels])
    with_three = fit_shape_head(looks_of(more, ["SIDE"] * len(more), seed=4), ["SIDE"] * len(more), more, 4)
    assert np.exp(shape_log_probabilities(with_three, train, views))[:, 0].max() > 0.01
