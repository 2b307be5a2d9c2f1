"""The defect model's linear classifier: both parts as scikit-learn fits them, joined as documented, plain stored form."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from core.shape.appearance import SIZE, mirrors
from core.shape.shapehead import C_LOOK, C_SHAPE, VIEW_FEATURES, combine, fit_shape_head, shape_log_probabilities
from core.shape.wireshape import FEATURES
from core.training.config import ConfigError, load_config


def descriptors_of(labels: np.ndarray, seed: int) -> np.ndarray:
    """Random descriptors whose class shifts the selected measures (overlapping classes, like the real ones)."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(len(labels), len(FEATURES)))
    rows[:, [FEATURES.index(name) for name in (*VIEW_FEATURES["TOP"], *VIEW_FEATURES["SIDE"])]] += labels[:, None] * 0.8
    return rows * 0.1 + 0.3


def looks_of(labels: np.ndarray, views: list[str], seed: int) -> list[np.ndarray]:
    """Random appearance pictures whose class brightens a patch (overlapping classes), as mirror stacks."""
    rng = np.random.default_rng(seed)
    result = []
    for label, view in zip(labels, views, strict=True):
        picture = rng.normal(size=(SIZE[1], SIZE[0])).astype(np.float32)
        picture[4:10, 6:14] += 0.8 * label
        result.append(mirrors(picture, view))
    return result


def sklearn_log_probabilities(x: np.ndarray, y: np.ndarray, c: float, test: list[np.ndarray]) -> np.ndarray:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit((x - mean) / scale, y)
    return np.stack([np.log(model.predict_proba((rows - mean) / scale)).mean(axis=0) for rows in test])


def test_each_part_matches_sklearn_and_the_parts_join_with_the_look_weight():
    labels = np.array([0, 0, 0] + [1] * 10 + [2] * 12 + [3] * 14)
    views = ["TOP"] * len(labels) + ["SIDE"] * len(labels)
    labels = np.concatenate([labels, labels])
    descriptors, looks = descriptors_of(labels, seed=0), looks_of(labels, views, seed=0)
    head = fit_shape_head(descriptors, looks, views, labels, 4)
    test_labels = np.repeat([0, 1, 2, 3], 5)
    for view, names in VIEW_FEATURES.items():
        rows = [i for i, v in enumerate(views) if v == view]
        columns = [FEATURES.index(name) for name in names]
        test_descriptors, test_looks = descriptors_of(test_labels, seed=1), looks_of(test_labels, [view] * 20, seed=1)
        shape = sklearn_log_probabilities(
            descriptors[rows][:, columns], labels[rows], C_SHAPE, [r[None, :] for r in test_descriptors[:, columns]]
        )
        look_x = np.concatenate([looks[i] for i in rows]).astype(np.float64)
        look_y = np.concatenate([np.full(len(looks[i]), labels[i]) for i in rows])
        look = sklearn_log_probabilities(look_x, look_y, C_LOOK, [r.astype(np.float64) for r in test_looks])
        joined = shape + 0.5 * look  # the defect configuration's default look_weight
        expected = joined - np.log(np.exp(joined).sum(axis=1, keepdims=True))
        ours = shape_log_probabilities(head, test_descriptors, test_looks, [view] * 20)
        assert np.allclose(ours, expected, atol=1e-6)
    # A TOP crop has four mirrors, a SIDE crop two (up-down would turn the loop upside down).
    assert [len(looks[0]), len(looks[-1])] == [4, 2]
    # With look_weight 0 the look is not fitted: the traced shape alone, as sklearn gives it.
    shape_only = fit_shape_head(descriptors, [], views, labels, 4, look_weight=0.0)
    assert all(set(stored) == {"shape"} for stored in shape_only["views"].values())
    rows = [i for i, v in enumerate(views) if v == "SIDE"]
    columns = [FEATURES.index(name) for name in VIEW_FEATURES["SIDE"]]
    test_descriptors = descriptors_of(test_labels, seed=1)
    expected = sklearn_log_probabilities(
        descriptors[rows][:, columns], labels[rows], C_SHAPE, [r[None, :] for r in test_descriptors[:, columns]]
    )
    assert np.allclose(shape_log_probabilities(shape_only, test_descriptors, [], ["SIDE"] * 20), expected, atol=1e-6)


def test_two_classes_and_a_missing_class_and_a_view_without_a_head():
    labels = np.array([1] * 8 + [3] * 8)
    views = ["SIDE"] * len(labels)
    descriptors, looks = descriptors_of(labels, seed=2), looks_of(labels, views, seed=2)
    head = fit_shape_head(descriptors, looks, views, labels, 4)
    assert set(head["views"]) == {"SIDE"}
    probabilities = np.exp(shape_log_probabilities(head, descriptors, looks, views))
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert probabilities[:, [0, 2]].max() < 1e-5
    assert (probabilities[:, [1, 3]].argmax(axis=1) == (labels == 3)).mean() > 0.8
    # TOP pictures (and pictures of unknown view) get no opinion: the network decides alone.
    assert np.allclose(np.exp(shape_log_probabilities(head, descriptors[:2], looks[:2], ["TOP", None])), 0.25)


def test_stored_form_is_plain_data_that_loads_with_weights_only():
    labels = np.repeat([0, 1, 2, 3], 6)
    views = ["TOP", "SIDE"] * 12
    head = fit_shape_head(descriptors_of(labels, seed=3), looks_of(labels, views, seed=3), views, labels, 4)
    buffer = io.BytesIO()
    torch.save({"shape_head": head}, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)["shape_head"]
    test, test_looks = descriptors_of(labels, seed=4), looks_of(labels, views, seed=4)
    assert np.array_equal(shape_log_probabilities(loaded, test, test_looks, views), shape_log_probabilities(head, test, test_looks, views))


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
    assert load_config("defect").look_weight == 0.5
    with pytest.raises(ConfigError, match="Unknown setting 'look_weight' for the view model"):
        load_config("view", overrides={"look_weight": 0.5})


def test_a_view_with_no_more_pictures_than_classes_gets_no_head_instead_of_crashing():
    labels = np.array([0, 1, 2, 1, 1, 1, 2, 2, 2, 3])
    views = ["SIDE", "SIDE", "SIDE"] + ["TOP"] * 7
    head = fit_shape_head(descriptors_of(labels, seed=3), looks_of(labels, views, seed=3), views, labels, 4)
    assert set(head["views"]) == {"TOP"}
    one = shape_log_probabilities(head, descriptors_of(labels[:1], seed=4), looks_of(labels[:1], ["SIDE"], seed=4), ["SIDE"])
    assert np.allclose(np.exp(one), 0.25)


def test_a_class_with_one_or_two_pictures_is_left_out_instead_of_pulling_others_into_it():
    labels = np.array([0, 0] + [1] * 10 + [2] * 12 + [3] * 14)
    views = ["SIDE"] * len(labels)
    descriptors, looks = descriptors_of(labels, seed=4), looks_of(labels, views, seed=4)
    head = fit_shape_head(descriptors, looks, views, labels, 4)
    probabilities = np.exp(shape_log_probabilities(head, descriptors, looks, views))
    assert probabilities[:, 0].max() < 1e-5  # PASS (2 pictures) gets no probability
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    more = np.concatenate([[0], labels])
    with_three = fit_shape_head(descriptors_of(more, seed=4), looks_of(more, ["SIDE"] * len(more), seed=4), ["SIDE"] * len(more), more, 4)
    assert np.exp(shape_log_probabilities(with_three, descriptors, looks, views))[:, 0].max() > 0.01
