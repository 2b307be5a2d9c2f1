from __future__ import annotations

import pytest

from core.training import config as cfg
from core.training.config import ConfigError, DefectConfig, DetectionConfig, ViewConfig
from tests.conftest import alias_bomb


def test_full_defaults_match_the_desktop_tool():
    detection, view, defect = (cfg.load_config(t) for t in ("detection", "view", "defect"))
    assert (detection.imgsz, detection.epochs, detection.batch, detection.patience) == (1004, 100, 16, 20)
    assert (view.architecture, view.epochs, view.lr, view.batch) == ("resnet18", 50, 0.001, 32)
    assert (defect.architecture, defect.epochs, defect.lr, defect.batch) == ("efficientnet_b0", 100, 0.001, 16)
    assert defect.loss == "weighted_ce" and defect.pass_oversample == 20 and defect.focal_gamma == 2.0
    assert defect.selection_metric == "balanced_accuracy" and view.selection_metric == "accuracy"


def test_cpu_quick_preset_overrides_and_records_itself():
    quick = cfg.load_config("detection", preset="cpu-quick")
    assert quick.preset == "cpu-quick" and quick.imgsz < 1004 and quick.epochs < 100


def test_overrides_from_strings_are_typed():
    config = cfg.load_config("defect", overrides=cfg.parse_overrides(["loss=focal", "epochs=5", "amp=false", "lr=3e-4"]))
    assert isinstance(config, DefectConfig)
    assert (config.loss, config.epochs, config.amp, config.lr) == ("focal", 5, False, 0.0003)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"epochz": 3}, "Unknown setting 'epochz' for the defect model"),
        ({"epochs": "many"}, "'epochs' of the defect model must be a whole number"),
        ({"epochs": 0}, "must be at least 1"),
        ({"loss": "hinge"}, "must be one of ce, weighted_ce, focal"),
        ({"amp": "maybe"}, "must be true or false"),
        ({"whole_image": True}, "only applies to the view model"),
        ({"lr": float("nan")}, "'lr' of the defect model must be a finite number, not nan"),  # NaN compares false with every bound
        ({"val_fraction": ".nan"}, "'val_fraction' of the defect model must be a finite number, not '.nan'"),
        ({"margin": "nan"}, "'margin' of the defect model must be a finite number, not 'nan'"),
        ({"weight_decay": "inf"}, "'weight_decay' of the defect model must be a finite number, not 'inf'"),
        ({"epochs": "9" * 5000}, "'epochs' of the defect model must be a whole number"),
    ],
)
def test_invalid_values_are_explained(overrides, message):
    with pytest.raises(ConfigError, match=message):
        cfg.load_config("defect", overrides=overrides)


def test_bad_override_syntax_and_unknown_preset():
    with pytest.raises(ConfigError, match="key=value"):
        cfg.parse_overrides(["loss"])
    with pytest.raises(ConfigError, match="Unknown preset"):
        cfg.load_config("view", preset="turbo")
    with pytest.raises(ConfigError, match="Unknown model type"):
        cfg.load_config("segmentation")


def test_yaml_file_then_overrides(tmp_path):
    path = tmp_path / "view.yaml"
    path.write_text("epochs: 7\nimage_size: 96\nwhole_image: true\n")
    config = cfg.load_config("view", yaml_path=path, overrides={"epochs": 3})
    assert isinstance(config, ViewConfig)
    assert (config.epochs, config.image_size, config.whole_image) == (3, 96, True)
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        cfg.load_config("view", yaml_path=path)


def test_json_round_trip():
    config = cfg.load_config("detection", preset="cpu-quick", overrides={"seed": 4})
    stored = cfg.to_json(config)
    assert stored["model_type"] == "detection"
    again = cfg.from_json(stored)
    assert again == config and isinstance(again, DetectionConfig)


@pytest.mark.parametrize("model_type", ["detection", "view", "defect"])
def test_repository_templates_load_and_equal_the_defaults(model_type):
    template = cfg.CONFIGS_DIR / f"{model_type}.yaml"
    assert cfg.load_config(model_type, yaml_path=template) == cfg.load_config(model_type)


def test_describe_documents_every_setting():
    rows = cfg.describe("defect")
    assert {r["name"] for r in rows} == set(cfg.field_names("defect"))
    assert all(r["help"] for r in rows)


def test_a_yaml_alias_bomb_is_refused_with_a_short_sentence() -> None:
    import time

    import yaml

    values = yaml.safe_load(alias_bomb("architecture"))
    started = time.monotonic()
    with pytest.raises(ConfigError) as refused:
        cfg.make_config("view", values)
    assert "'architecture' of the view model must be text, not [[[...]" in str(refused.value)
    assert len(str(refused.value)) < 2000 and time.monotonic() - started < 5  # not 2.8 GB of text and half a minute
