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


def test_demo_pictures_deleted_by_the_admin_do_not_come_back_at_the_next_start(db, settings, tmp_path, capsys):
    """scripts/start runs bootstrap_demo at every start: the demo pictures someone deleted to begin with their own came
    back at the next restart, into the pictures every training run learns from."""
    settings.DATA_DIR = tmp_path
    call_command("bootstrap_demo", "--wires", "4")
    Image.objects.all().delete()
    capsys.readouterr()
    call_command("bootstrap_demo", "--wires", "4")
    assert not Image.objects.exists()
    assert "demo data comes only with an installation's first start, so none was added" in capsys.readouterr().out


def test_a_first_start_cut_off_while_it_added_the_demo_data_finishes_it_next_time(db, settings, tmp_path, capsys):
    """Generating the demo data takes a while on the first start; cut off there (Ctrl+C), no admin is made yet, so the
    next start adds the rest of the demo pictures, each once, and then the admin."""
    settings.DATA_DIR = tmp_path
    call_command("bootstrap_demo", "--wires", "4")
    get_user_model().objects.all().delete()
    Image.objects.filter(pk__in=Image.objects.values_list("pk", flat=True)[:5]).delete()
    capsys.readouterr()
    call_command("bootstrap_demo", "--wires", "4")
    assert "Password (shown once" in capsys.readouterr().out
    assert Image.objects.count() == 8
    assert Annotation.objects.count() == 8
    assert get_user_model().objects.count() == 1


def test_generate_synthetic_command_writes_the_requested_counts(tmp_path):
    call_command("generate_synthetic", str(tmp_path), "--pass", "2", "--touch", "1", "--image-size", "128")
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    defects = [sample["defect"] for sample in manifest["samples"]]
    assert sorted(defects) == ["PASS", "PASS", "PASS", "PASS", "TOUCH", "TOUCH"]
    assert len(list(tmp_path.glob("*_TOP.png"))) == 3
