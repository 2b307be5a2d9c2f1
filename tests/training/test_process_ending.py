"""``training.worker_processes.process_is_ending``: whether a process got a signal that will end it, read from /proc."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from training.worker_processes import process_is_ending

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_a_stopped_process_with_a_pending_sigterm_is_ending_and_one_without_is_not() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        child.send_signal(signal.SIGSTOP)
        time.sleep(0.2)
        assert process_is_ending(child.pid, signal.SIGTERM) is False
        child.send_signal(signal.SIGTERM)  # held pending while the process is stopped
        time.sleep(0.2)
        assert child.poll() is None
        assert process_is_ending(child.pid, signal.SIGTERM) is True
        assert process_is_ending(child.pid, signal.SIGINT) is False  # only the signal asked about
    finally:
        child.kill()
        child.wait()


def test_an_ended_process_is_ending_whether_a_zombie_or_gone() -> None:
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # ended, not yet reaped: a zombie
        with open(f"/proc/{child.pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.05)
    assert process_is_ending(child.pid, signal.SIGTERM) is True
    child.wait()
    assert process_is_ending(child.pid, signal.SIGTERM) is True  # gone


def test_a_running_process_is_not_ending() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        assert process_is_ending(child.pid, signal.SIGTERM) is False
    finally:
        child.kill()
        child.wait()
