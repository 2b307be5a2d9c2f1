"""Which epoch becomes the best checkpoint (``core.training.classifier.LoopState.record``).

On real-dev a view model reached accuracy 1.0 on its few validation crops after one epoch while
barely separating them; keeping that first epoch (ties never replaced it) left the model at chance on
held-out pictures. Among epochs equally good on the selection metric, the one with the lowest
validation loss is kept; early stopping still counts such an epoch as no improvement.
"""

from __future__ import annotations

import math

from core.training.classifier import LoopState


def run(scores: list[float], losses: list[float], min_delta: float = 0.0) -> tuple[LoopState, list[int]]:
    state, saved = LoopState(), []
    for score, loss in zip(scores, losses, strict=True):
        state.epoch += 1
        if state.record(score, loss, min_delta):
            saved.append(state.epoch)
    return state, saved


def test_an_equally_accurate_but_surer_epoch_replaces_the_first_without_resetting_early_stopping() -> None:
    state, saved = run([1.0, 1.0, 1.0, 1.0, 1.0], [0.595, 0.278, 0.094, 0.036, 0.014])
    assert saved == [1, 2, 3, 4, 5] and state.best_epoch == 5 and state.best_loss == 0.014
    assert state.best_score == 1.0 and state.stale == 4  # patience 4 stops here, as before


def test_a_better_score_wins_even_with_a_higher_loss_and_a_worse_one_never_does() -> None:
    state, saved = run([0.6, 1.0, 0.9, 1.0], [0.6, 0.3, 0.01, 0.5])
    assert saved == [1, 2] and state.best_epoch == 2 and state.best_loss == 0.3 and state.stale == 2


def test_min_delta_and_a_missing_loss() -> None:
    # Within min_delta of the best is no improvement; a lower loss at a score not below the best still keeps it.
    state, saved = run([0.80, 0.805, 0.79], [0.5, 0.4, 0.1], min_delta=0.01)
    assert saved == [1, 2] and state.best_epoch == 2 and state.best_score == 0.80 and state.stale == 2
    state, saved = run([0.5, 0.5], [math.nan, math.nan])
    assert saved == [1] and state.best_epoch == 1
