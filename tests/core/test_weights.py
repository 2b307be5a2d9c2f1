"""Class weights: one formula, the reference numbers exactly."""

from __future__ import annotations

import pytest

from core.data.weights import class_weights


def test_reference_distribution_gives_the_desktop_tools_weights() -> None:
    assert class_weights([6, 40, 58, 68]) == [11.33, 1.70, 1.17, 1.00]


def test_largest_class_is_one_wherever_it_sits() -> None:
    assert class_weights([10, 5]) == [1.0, 2.0]


def test_missing_class_gets_the_largest_observed_weight() -> None:
    assert class_weights([0, 10, 20, 40]) == [4.0, 4.0, 2.0, 1.0]


def test_all_empty_gives_ones() -> None:
    assert class_weights([0, 0]) == [1.0, 1.0]


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        class_weights([1, -1])
