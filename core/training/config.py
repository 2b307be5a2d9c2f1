"""Training configuration: one frozen dataclass per model type.

The defaults are the desktop tool's (../shared/DOMAIN.md) and form the ``full``
preset, meant for a GPU. ``cpu-quick`` overrides a few values so the demo
trains on a laptop CPU in minutes. A configuration is built from a preset, an
optional YAML file and ``key=value`` overrides (command line or web form), is
validated with sentences that say what to fix, and is stored as JSON with each
run so the exact settings can be reproduced.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from core.labels import MODEL_TYPES, VIEWS


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range."""


def _opt(default: Any, help: str, *, low: float | None = None, high: float | None = None, choices: tuple[Any, ...] = ()) -> Any:
    """A field with its documentation and the range the validator enforces."""
    return field(default=default, metadata={"help": help, "low": low, "high": high, "choices": choices})


#: A starting-weights file is named by its place in the app's weights store, never by a server path:
#: a file there is recorded with its sha256, which is checked before it is loaded (``startweights``).
WEIGHTS_REFERENCE = re.compile(r"(version|upload):([1-9][0-9]{0,17})")
WEIGHTS_HELP = (
    "Optional starting weights from the app's weights store: version:<id> (a registered model version) "
    "or upload:<id> (a file uploaded on the registry's weights page); empty starts from random weights."
)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 2, 4, 4, 80, 80


def _shown(value: Any) -> str:
    """A value for a sentence, bounded: YAML aliases can nest a few hundred bytes into gigabytes of text."""
    return _REPR.repr(value)


def parse_weights_reference(text: str) -> tuple[str, int]:
    """``"upload:3"`` -> ``("upload", 3)``; anything else, a server path above all, is refused with a sentence."""
    match = WEIGHTS_REFERENCE.fullmatch(text.strip())
    if match is None:
        raise ConfigError(
            f"Setting 'weights' must name a file of the app's weights store, such as version:12 or upload:3, not {_shown(text)}; "
            "upload the file on the registry's weights page (engineers and admins) and use the name shown there, "
            "or leave 'weights' empty to start from random weights. Server paths are refused because loading a file unpickles it."
        )
    return match.group(1), int(match.group(2))


#: The detector architectures a run may be built from (Ultralytics' own files; never a path).
DETECTION_ARCHITECTURES = ("yolov8n.yaml", "yolov8s.yaml", "yolov8m.yaml", "yolov8l.yaml", "yolov8x.yaml")


@dataclass(frozen=True)
class DetectionConfig:
    """YOLOv8n wire detector (Ultralytics)."""

    model_type: ClassVar[str] = "detection"

    preset: str = _opt("full", "Preset the values started from.", choices=("full", "cpu-quick"))
    model: str = _opt(
        "yolov8n.yaml",
        "Architecture file: the network is built from it, without downloading weights.",
        choices=DETECTION_ARCHITECTURES,
    )
    weights: str = _opt("", WEIGHTS_HELP)
    epochs: int = _opt(100, "Training epochs.", low=1, high=10000)
    imgsz: int = _opt(1004, "Picture size the network sees; the wire is thin, so keep it large.", low=32, high=4096)
    batch: int = _opt(16, "Pictures per batch; halved automatically after a CUDA out-of-memory error.", low=1, high=1024)
    patience: int = _opt(20, "Stop when mAP has not improved for this many epochs (0 = never).", low=0, high=10000)
    lr0: float = _opt(0.01, "Initial learning rate.", low=1e-7, high=1.0)
    optimizer: str = _opt("auto", "Ultralytics optimiser name.", choices=("auto", "SGD", "Adam", "AdamW"))
    mosaic: float = _opt(1.0, "Mosaic augmentation probability.", low=0.0, high=1.0)
    close_mosaic: int = _opt(10, "Switch mosaic off for the last N epochs.", low=0, high=10000)
    fliplr: float = _opt(0.5, "Horizontal flip probability.", low=0.0, high=1.0)
    albumentations: bool = _opt(True, "Add X-ray exposure changes (brightness, contrast, gamma, blur, noise) to Ultralytics' augmentation.")
    plots: bool = _opt(
        True,
        "Draw Ultralytics' plots (labels, first batches, curves, confusion matrix) in the run's yolo/ folder; about 10 s a run on a CPU.",
    )
    view_scope: str = _opt("all", "Train on one view only (a per-view model) or on both.", choices=("all", *VIEWS))
    val_fraction: float = _opt(0.2, "Share of wires held out for validation.", low=0.05, high=0.5)
    seed: int = _opt(0, "Random seed for the split and the training.", low=0, high=2**31 - 1)
    workers: int = _opt(0, "Data-loading processes (0 = in the training process).", low=0, high=64)
    device: str = _opt("auto", "auto (CUDA when present), cpu or cuda.", choices=("auto", "cpu", "cuda"))


@dataclass(frozen=True)
class ClassifierConfig:
    """Shared settings of the two timm classifiers."""

    model_type: ClassVar[str] = ""

    preset: str = _opt("full", "Preset the values started from.", choices=("full", "cpu-quick"))
    architecture: str = _opt("", "timm architecture name.", choices=("resnet18", "efficientnet_b0"))
    weights: str = _opt("", WEIGHTS_HELP)
    epochs: int = _opt(50, "Maximum training epochs.", low=1, high=10000)
    batch: int = _opt(32, "Pictures per batch; halved automatically after a CUDA out-of-memory error.", low=1, high=1024)
    image_size: int = _opt(224, "Side of the square crop the network sees.", low=32, high=2048)
    margin: float = _opt(0.15, "Context added around each box before cropping, as a share of its size.", low=0.0, high=2.0)
    whole_image: bool = _opt(False, "View model only: classify the whole picture instead of box crops.")
    optimizer: str = _opt("adamw", "Optimiser.", choices=("adamw", "adam", "sgd"))
    lr: float = _opt(0.001, "Peak learning rate.", low=1e-7, high=1.0)
    weight_decay: float = _opt(0.0001, "Weight decay.", low=0.0, high=1.0)
    momentum: float = _opt(0.9, "SGD momentum.", low=0.0, high=1.0)
    scheduler: str = _opt("cosine", "Learning-rate schedule after warm-up.", choices=("cosine", "step", "constant"))
    warmup_epochs: int = _opt(1, "Epochs of linear warm-up.", low=0, high=1000)
    step_size: int = _opt(20, "Step schedule: epochs between decays.", low=1, high=10000)
    step_gamma: float = _opt(0.1, "Step schedule: decay factor.", low=0.0, high=1.0)
    loss: str = _opt("weighted_ce", "Loss: plain or class-weighted cross-entropy, or focal loss.", choices=("ce", "weighted_ce", "focal"))
    focal_gamma: float = _opt(2.0, "Focal loss focusing parameter.", low=0.0, high=10.0)
    focal_alpha: str = _opt("weights", "Focal loss class factors: the class weights, or none.", choices=("weights", "none"))
    label_smoothing: float = _opt(0.0, "Cross-entropy label smoothing.", low=0.0, high=0.5)
    sampler: str = _opt("shuffle", "Batch sampler: plain shuffling or class-balanced sampling.", choices=("shuffle", "balanced"))
    pass_oversample: int = _opt(1, "How many times each PASS crop is repeated per epoch, each with fresh augmentation.", low=1, high=1000)
    heavy_augment: bool = _opt(True, "Stronger geometric and intensity augmentation for the rare PASS class.")
    patience: int = _opt(20, "Early stopping: epochs without improvement of the selection metric (0 = never).", low=0, high=10000)
    min_delta: float = _opt(0.0, "Early stopping: smallest change counted as an improvement.", low=0.0, high=1.0)
    amp: bool = _opt(True, "Mixed precision; only ever used on CUDA.")
    view_scope: str = _opt("all", "Defect model only: train on one view (a per-view model) or both.", choices=("all", *VIEWS))
    val_fraction: float = _opt(0.2, "Share of wires held out for validation.", low=0.05, high=0.5)
    seed: int = _opt(0, "Random seed for the split, the sampler and the initial weights.", low=0, high=2**31 - 1)
    workers: int = _opt(0, "Data-loading processes (0 = in the training process).", low=0, high=64)
    device: str = _opt("auto", "auto (CUDA when present), cpu or cuda.", choices=("auto", "cpu", "cuda"))
    samples_every: int = _opt(5, "Write sample predictions and the confusion matrix to TensorBoard every N epochs.", low=1, high=10000)
    shape_features: bool = _opt(False, "Defect model only: add the traced wire-shape descriptor (bend, loop heights) beside the CNN.")
    image_dropout: float = _opt(
        0.5, "Shape hybrid only: dropout on the CNN's image embedding, so the CNN cannot memorise few crops.", low=0.0, high=0.95
    )
    shape_weight: float = _opt(
        0.0,
        "Defect model only: weight of the linear wire-shape classifier against the network's probabilities (0 = network alone).",
        low=0.0,
        high=1.0,
    )
    wire_frame: bool = _opt(
        False,
        "Defect model only: frame each box on the wire traced inside it before cropping, the same for annotated and "
        "detected boxes, so the crop does not depend on who drew the box.",
    )
    shape_refit: bool = _opt(
        True,
        "Defect model only: once training ends, fit the stored wire-shape classifier again on the training and validation "
        "crops together (more of the rare PASS wires); the run's validation scores stay those of the training-only fit.",
    )

    @property
    def selection_metric(self) -> str:
        """The metric that picks the best checkpoint and drives early stopping."""
        return "balanced_accuracy" if self.model_type == "defect" else "accuracy"


@dataclass(frozen=True)
class ViewConfig(ClassifierConfig):
    """ResNet18 TOP/SIDE classifier."""

    model_type: ClassVar[str] = "view"

    architecture: str = _opt("resnet18", "timm architecture name.", choices=("resnet18", "efficientnet_b0"))
    epochs: int = _opt(50, "Maximum training epochs.", low=1, high=10000)
    batch: int = _opt(32, "Pictures per batch; halved automatically after a CUDA out-of-memory error.", low=1, high=1024)
    loss: str = _opt("ce", "Loss: plain or class-weighted cross-entropy, or focal loss.", choices=("ce", "weighted_ce", "focal"))
    heavy_augment: bool = _opt(False, "Stronger geometric and intensity augmentation for the rare PASS class.")
    patience: int = _opt(10, "Early stopping: epochs without improvement of the selection metric (0 = never).", low=0, high=10000)


@dataclass(frozen=True)
class DefectConfig(ClassifierConfig):
    """EfficientNet-B0 PASS/SWEEP/WOBBLE/TOUCH classifier."""

    model_type: ClassVar[str] = "defect"

    architecture: str = _opt("efficientnet_b0", "timm architecture name.", choices=("resnet18", "efficientnet_b0"))
    epochs: int = _opt(100, "Maximum training epochs.", low=1, high=10000)
    batch: int = _opt(16, "Pictures per batch; halved automatically after a CUDA out-of-memory error.", low=1, high=1024)
    pass_oversample: int = _opt(20, "How many times each PASS crop is repeated per epoch, each with fresh augmentation.", low=1, high=1000)
    shape_features: bool = _opt(True, "Defect model only: add the traced wire-shape descriptor (bend, loop heights) beside the CNN.")
    # On since the real-data cross-validation (docs/training.md): detected boxes sit 20-50 px off the annotators'.
    wire_frame: bool = _opt(
        True,
        "Defect model only: frame each box on the wire traced inside it before cropping, the same for annotated and "
        "detected boxes, so the crop does not depend on who drew the box.",
    )
    # 1.0 since the real-data cross-validation (docs/training.md): a network trained from scratch on a few
    # dozen real wires is at chance, so any weight it gets only adds noise to the shape classifier.
    shape_weight: float = _opt(
        1.0,
        "Defect model only: weight of the linear wire-shape classifier against the network's probabilities (0 = network alone).",
        low=0.0,
        high=1.0,
    )


AnyConfig = DetectionConfig | ViewConfig | DefectConfig

CONFIG_CLASSES: dict[str, type[AnyConfig]] = {"detection": DetectionConfig, "view": ViewConfig, "defect": DefectConfig}

#: ``full`` is the dataclass defaults. ``cpu-quick`` was sized on a 2-core CPU so
#: that all three models train on the 172-picture reference set within ~30 min.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "full": {"detection": {}, "view": {}, "defect": {}},
    "cpu-quick": {
        "detection": {"imgsz": 320, "epochs": 45, "batch": 8, "patience": 15, "close_mosaic": 10},
        "view": {"image_size": 128, "epochs": 8, "batch": 16, "patience": 4},
        # Measured on the synthetic reference set (bench_quality): with the shape descriptor a
        # small image suffices; PASS-only heavy augmentation would hand the CNN a "looks augmented"
        # cue, so all classes get the same mild augmentation and the sampler balances instead.
        "defect": {
            "image_size": 128,
            "epochs": 15,
            "batch": 16,
            "patience": 10,
            "lr": 0.002,
            "heavy_augment": False,
            "sampler": "balanced",
            "image_dropout": 0.8,
        },
    },
}

CONFIGS_DIR = Path(__file__).resolve().parents[2] / "configs"


def field_names(model_type: str) -> list[str]:
    return [f.name for f in dataclasses.fields(_config_class(model_type))]


def _config_class(model_type: str) -> type[AnyConfig]:
    try:
        return CONFIG_CLASSES[model_type]
    except KeyError:
        raise ConfigError(f"Unknown model type {_shown(model_type)}; choose one of {', '.join(MODEL_TYPES)}.") from None


def _coerce(model_type: str, name: str, value: Any, kind: type) -> Any:
    """Turn a value from YAML, JSON or a ``key=value`` string into the field's type."""
    where = f"Setting {name!r} of the {model_type} model"
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "yes", "on", "1", "false", "no", "off", "0"}:
            return value.strip().lower() in {"true", "yes", "on", "1"}
        raise ConfigError(f"{where} must be true or false, not {_shown(value)}.")
    if kind is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a whole number, not {_shown(value)}.")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ConfigError(f"{where} must be a whole number, not {_shown(value)}.")
    if kind is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, not {_shown(value)}.")
        number: float | None = None
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                pass
        if number is not None and math.isfinite(number):
            return number
        # NaN would pass every range check (it compares false with everything), infinity most of them.
        raise ConfigError(f"{where} must be a finite number, not {_shown(value)}.")
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise ConfigError(f"{where} must be text, not {_shown(value)}.")
    return str(value).strip()


_TYPES = {"int": int, "float": float, "bool": bool, "str": str}


def _checked(model_type: str, name: str, value: Any, spec: dataclasses.Field[Any]) -> Any:
    """One setting's value in its field's type, within its choices and range; ``ConfigError`` says what is wrong."""
    kind = _TYPES[spec.type] if isinstance(spec.type, str) else spec.type
    coerced = _coerce(model_type, name, value, kind)
    meta = spec.metadata
    if meta["choices"] and coerced not in meta["choices"]:
        raise ConfigError(
            f"Setting {name!r} of the {model_type} model must be one of {', '.join(map(str, meta['choices']))}, not {_shown(coerced)}."
        )
    if meta["low"] is not None and coerced < meta["low"]:
        raise ConfigError(f"Setting {name!r} of the {model_type} model must be at least {meta['low']:g}, not {_shown(coerced)}.")
    if meta["high"] is not None and coerced > meta["high"]:
        raise ConfigError(f"Setting {name!r} of the {model_type} model must be at most {meta['high']:g}, not {_shown(coerced)}.")
    return coerced


def make_config(model_type: str, values: Mapping[str, Any] | None = None) -> AnyConfig:
    """Build and validate a configuration from plain values (missing keys keep their defaults).

    Every problem is reported at once: the ``ConfigError`` holds one sentence per bad setting.
    """
    cls = _config_class(model_type)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = dict(values or {})
    problems: list[str] = []
    unknown = sorted(set(values) - set(fields))
    if unknown:
        problems.append(
            f"Unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} for the {model_type} model; "
            f"known settings are: {', '.join(fields)}."
        )
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in fields:
            continue
        try:
            clean[name] = _checked(model_type, name, value, fields[name])
        except ConfigError as error:
            problems.append(str(error))
    if problems:
        raise ConfigError(" ".join(problems))
    config = cls(**clean)
    if config.weights:
        parse_weights_reference(config.weights)
    if isinstance(config, ClassifierConfig) and config.whole_image and model_type != "view":
        problems.append("Setting 'whole_image' only applies to the view model; the defect model always sees box crops.")
    if isinstance(config, ClassifierConfig) and config.shape_features and model_type != "defect":
        problems.append("Setting 'shape_features' only applies to the defect model; set it to false for the view model.")
    if isinstance(config, ClassifierConfig) and config.shape_weight > 0 and model_type != "defect":
        problems.append("Setting 'shape_weight' only applies to the defect model; set it to 0 for the view model.")
    if isinstance(config, ClassifierConfig) and config.view_scope != "all" and model_type == "view":
        # One view's pictures hold one class: the model would learn nothing, into a slot inspection never reads.
        problems.append(
            "Setting 'view_scope' only applies to the defect and detection models; the view model tells TOP from SIDE, "
            "so it must see both: set it to all."
        )
    if problems:
        raise ConfigError(" ".join(problems))
    return config


def parse_overrides(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["loss=focal", "epochs=5"]`` -> ``{"loss": "focal", "epochs": "5"}`` (typed later by the validator)."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"Override {_shown(pair)} must look like key=value, for example loss=focal.")
        result[key.strip()] = value
    return result


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML configuration file: a mapping of setting names to values."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"Cannot read the configuration file {path} ({error.strerror}).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"The configuration file {path} is not text; give a YAML file of settings (key: value).") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"The configuration file {path} is not valid YAML: {error}") from None
    except RecursionError:  # brackets nested thousands deep
        raise ConfigError(f"The configuration file {path} nests too deeply; write 'name: value' lines.") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"The configuration file {path} must hold a mapping of settings (key: value), not a {type(data).__name__}.")
    return data


def load_config(
    model_type: str,
    preset: str = "full",
    yaml_path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> AnyConfig:
    """Defaults, then the preset, then the YAML file, then the overrides; validated once at the end."""
    if preset not in PRESETS:
        raise ConfigError(f"Unknown preset {_shown(preset)}; choose one of {', '.join(PRESETS)}.")
    _config_class(model_type)
    values: dict[str, Any] = {"preset": preset, **PRESETS[preset][model_type]}
    if yaml_path is not None:
        values.update(load_yaml(yaml_path))
    values.update(overrides or {})
    return make_config(model_type, values)


def to_json(config: DetectionConfig | ClassifierConfig) -> dict[str, Any]:
    """The stored form: every setting plus the model type."""
    return {"model_type": config.model_type, **dataclasses.asdict(config)}


#: Settings added after runs were first stored, with the value that applied before they existed. A run stored without
#: one (queued, paused or interrupted before an upgrade) goes on as it started, not with today's default: a defect run
#: resumed with ``wire_frame`` on would train its last epochs on crops its first ones never saw.
ADDED_LATER: dict[str, dict[str, Any]] = {"defect": {"wire_frame": False}}


def from_json(data: Mapping[str, Any]) -> AnyConfig:
    values = dict(data)
    model_type = values.pop("model_type", None)
    if model_type is None:
        raise ConfigError("A stored configuration must name its model_type.")
    for name, before in ADDED_LATER.get(str(model_type), {}).items():
        values.setdefault(name, before)
    return make_config(model_type, values)


def dumps(config: DetectionConfig | ClassifierConfig) -> str:
    return json.dumps(to_json(config), indent=1, sort_keys=True)


def describe(model_type: str) -> list[dict[str, Any]]:
    """Every setting with its default, type, range and help text (for docs and the web form)."""
    rows = []
    for spec in dataclasses.fields(_config_class(model_type)):
        meta = spec.metadata
        rows.append(
            {
                "name": spec.name,
                "type": spec.type if isinstance(spec.type, str) else spec.type.__name__,
                "default": spec.default,
                "help": meta["help"],
                "low": meta["low"],
                "high": meta["high"],
                "choices": list(meta["choices"]),
            }
        )
    return rows
