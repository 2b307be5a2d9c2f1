"""Demo data: synthetic pictures land in the library with their boxes, and the admin is created once."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management import call_command

from annotations.models import Annotation, Image


def test_bootstrap_demo_adds_pictures_and_an_admin_once(db, settings, tmp_path, capsys):
    settings.DATA_DIR = tmp_path
    call_command("bootstrap_demo", "--wires", "4")
    first = capsys.readouterr().out
    assert "Password (shown once" in first
    assert Image.objects.count() == 8
    assert Annotation.objects.count() == 8
    pairs = Image.objects.values_list("wire_id", "view")
    assert {view for _, view in pairs} == {"TOP", "SIDE"}
    assert set(Annotation.objects.values_list("defect", flat=True)) == {"PASS", "SWEEP", "WOBBLE", "TOUCH"}
    call_command("bootstrap_demo", "--wires", "4")
    second = capsys.readouterr().out
    assert "Password" not in second
    assert get_user_model().objects.count() == 1
    assert Image.objects.count() == 8


def test_generate_synthetic_command_writes_the_requested_counts(tmp_path):
    call_command("generate_synthetic", str(tmp_path), "--pass", "2", "--touch", "1", "--image-size", "128")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    defects = [sample["defect"] for sample in manifest["samples"]]
    assert sorted(defects) == ["PASS", "PASS", "PASS", "PASS", "TOUCH", "TOUCH"]
    assert len(list(tmp_path.glob("*_TOP.png"))) == 3
