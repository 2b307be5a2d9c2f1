"""Training must never reach the network: every outbound attempt is recorded and refused."""

from __future__ import annotations

import socket

import pytest

from core.data import synthetic
from core.data.dataset import records_from_synthetic, split_records
from core.training.config import load_config
from core.training.events import RecordingSink
from core.training.runner import train

pytestmark = pytest.mark.slow


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[str] = []

    def refuse(name):
        def blocked(*args, **kwargs):
            attempts.append(f"{name}{args[1:] if name == 'connect' else args}")
            raise OSError(f"network access attempted in a test: {name}")

        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def test_blocking_fixture_catches_a_connection(no_network):
    with pytest.raises(OSError):
        socket.create_connection(("example.com", 443), timeout=1)
    assert no_network


def test_training_makes_no_network_calls(no_network, tmp_path):
    samples = synthetic.generate(tmp_path / "pictures", {"PASS": 2, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}, image_size=192)
    snapshot = split_records(records_from_synthetic(samples), val_fraction=0.25, seed=0)
    detection = load_config("detection", overrides={"epochs": 1, "imgsz": 96, "batch": 8, "plots": False})
    train("detection", detection, snapshot, tmp_path / "detection", RecordingSink())
    defect = load_config("defect", overrides={"epochs": 1, "image_size": 48, "batch": 8, "pass_oversample": 2})
    train("defect", defect, snapshot, tmp_path / "defect", RecordingSink())
    assert no_network == []
