"""Class weights for the weighted cross-entropy of the classifiers.

The desktop tool computed class weights three different ways; this is the only
place Wiresag computes them.
"""

from __future__ import annotations

from collections.abc import Sequence


def class_weights(counts: Sequence[int]) -> list[float]:
    """Inverse frequency with the largest class at 1.0, rounded to two decimals.

    ``counts`` follows the class order (``DEFECTS`` or ``VIEWS``). A class with
    no samples gets the largest weight observed (1.0 when every class is
    empty): it cannot contribute to the loss anyway, and a finite weight keeps
    the list usable by the loss and readable in the UI. Rounding keeps the
    numbers the UI shows and the numbers the loss uses the same (reference
    counts 6, 40, 58, 68 give 11.33, 1.70, 1.17, 1.00).
    """
    if any(n < 0 for n in counts):
        raise ValueError("Class counts must not be negative.")
    largest = max(counts, default=0)
    if largest == 0:
        return [1.0 for _ in counts]
    weights = [largest / n if n else 0.0 for n in counts]
    fallback = max(weights)
    return [round(w if w else fallback, 2) for w in weights]
