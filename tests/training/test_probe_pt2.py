"""Probe pt2: the embedded TensorBoard asked for addresses its own page never asks for."""

from __future__ import annotations

from typing import Any

import pytest

from tests.training.test_tensorboard import cookie_of, get, run_with_scalars  # noqa: F401
from training.models import TrainingRun

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "rest",
    [
        "data/plugin/images/individualImage?blob_key=x",  # not base64
        "data/plugin/images/individualImage?blob_key=",  # no key
        "data/plugin/timeseries/imageData?imageId=zz",  # not an image id
        "data/plugin/hparams/download_data?format=csv",  # no request
        "data/plugin/debugger-v2/execution/digests?run=.",  # no debugger data
    ],
)
def test_a_malformed_tensorboard_address_is_a_clear_400_not_a_crash(run_with_scalars: TrainingRun, engineer, rest: str) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """An engineer who edited a TensorBoard data address (a copied link cut short, a hand-typed key) made TensorBoard's
    handler raise: the server answered 500 "Internal Server Error" and logged a traceback."""
    response = get(f"/tensorboard/{run_with_scalars.pk}/{rest}", cookie_of(engineer))
    assert response["status"] == 400
    assert b"TensorBoard could not answer" in response["body"]
    # The board still answers afterwards.
    assert get(f"/tensorboard/{run_with_scalars.pk}/data/runs", cookie_of(engineer))["body"] == b'["."]'


def test_a_boards_answers_are_worked_out_off_the_thread_the_database_calls_share(
    run_with_scalars: TrainingRun,  # noqa: F811
    engineer,
    monkeypatch,
) -> None:  # type: ignore[no-untyped-def]
    """Reading the event files ran in the boards' own threads, but every answer (the page's dozen requests, the
    hparams and time-series work over all a cross-validation's folds) ran in asgiref's ``WsgiToAsgi``, a thread-sensitive
    call: on the one thread every page's and live websocket's database work shares. Here that thread is the test's own
    (async_to_sync runs thread-sensitive work in the thread that called it)."""
    import threading

    import training.tensorboard_app as tensorboard_app

    monkeypatch.setattr(tensorboard_app, "_apps", {})
    answered_in: list[int] = []

    class Watched(tensorboard_app.RunBoard):
        def __call__(self, environ: Any, start_response: Any) -> Any:
            answered_in.append(threading.get_ident())
            return super().__call__(environ, start_response)

    monkeypatch.setattr(tensorboard_app, "RunBoard", Watched)
    answer = get(f"/tensorboard/{run_with_scalars.pk}/data/plugin/scalars/tags", cookie_of(engineer))
    assert answer["status"] == 200 and b"train/loss" in answer["body"]
    assert len(answered_in) == 1 and threading.get_ident() not in answered_in
