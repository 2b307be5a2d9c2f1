"""Probe pt2: the embedded TensorBoard asked for addresses its own page never asks for."""

from __future__ import annotations

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
