"""Starting weights come from the app's store only and are loaded after their checksum matches; never a free path."""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from pathlib import Path

import pytest
import torch

from core.training.config import ConfigError, load_config
from core.training.detection import train_detection
from core.training.events import RecordingSink
from core.training.networks import build_model, build_network
from core.training.startweights import DETECTION_COPY, StartingWeights, WeightsRefused, load_state_dict, own_file, verified_copy


class MarkerOnLoad:
    """Unpickling this object creates the marker file: the stand-in for code run by a planted pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path]:
    """A pickle an annotator could leave in an unpacked import folder, and the marker it would create."""
    marker = tmp_path / "code-ran"
    pickle_file = tmp_path / "import" / "unpacked" / "weights.pt"
    pickle_file.parent.mkdir(parents=True)
    torch.save({"model": MarkerOnLoad(marker)}, pickle_file)
    assert not marker.exists()
    return pickle_file, marker


def stored(path: Path, reference: str = "upload:1") -> StartingWeights:
    return StartingWeights(reference, path, hashlib.sha256(path.read_bytes()).hexdigest(), path.name)


@pytest.mark.parametrize("model_type", ["detection", "view", "defect"])
def test_a_server_path_as_weights_is_refused_with_a_sentence(model_type: str, planted: tuple[Path, Path]) -> None:
    pickle_file, marker = planted
    with pytest.raises(ConfigError, match="must name a file of the app's weights store, such as version:12 or upload:3"):
        load_config(model_type, "cpu-quick", overrides={"weights": str(pickle_file)})
    assert not marker.exists()


@pytest.mark.parametrize("reference", ["upload:3", "version:12"])
def test_store_references_are_accepted(reference: str) -> None:
    assert load_config("view", overrides={"weights": reference}).weights == reference


def test_the_detection_architecture_is_a_known_file_not_a_path(planted: tuple[Path, Path]) -> None:
    pickle_file, marker = planted
    with pytest.raises(ConfigError, match="'model' of the detection model must be one of yolov8n.yaml"):
        load_config("detection", overrides={"model": str(pickle_file)})
    assert not marker.exists()


def test_a_classifier_told_a_path_without_a_store_file_loads_nothing(planted: tuple[Path, Path]) -> None:
    pickle_file, marker = planted
    config = dataclasses.replace(load_config("view", overrides={"architecture": "resnet18"}), weights=str(pickle_file))
    with pytest.raises(ValueError):
        build_model(config, 2)
    assert not marker.exists()


def test_a_detector_told_a_path_without_a_store_file_loads_nothing(planted: tuple[Path, Path], tmp_path: Path) -> None:
    pickle_file, marker = planted
    config = dataclasses.replace(load_config("detection", "cpu-quick"), weights=str(pickle_file))
    with pytest.raises(ValueError):
        train_detection(config, tmp_path / "data.yaml", tmp_path / "run", RecordingSink(), torch.device("cpu"))
    assert not marker.exists()


def test_a_store_pickle_is_refused_by_weights_only_loading(planted: tuple[Path, Path]) -> None:
    pickle_file, marker = planted
    config = load_config("view", overrides={"architecture": "resnet18", "weights": "upload:1"})
    with pytest.raises(WeightsRefused, match="not a plain state dict of tensors"):
        build_model(config, 2, stored(pickle_file))
    assert not marker.exists()


def test_a_store_file_whose_bytes_changed_is_refused_before_loading(planted: tuple[Path, Path], tmp_path: Path) -> None:
    pickle_file, marker = planted
    honest = tmp_path / "honest.pt"
    torch.save(build_network("resnet18", 2).state_dict(), honest)
    weights = stored(honest)
    honest.write_bytes(pickle_file.read_bytes())  # swapped after upload
    config = load_config("view", overrides={"architecture": "resnet18", "weights": "upload:1"})
    with pytest.raises(WeightsRefused, match="do not match the checksum recorded"):
        build_model(config, 2, weights)
    detection = load_config("detection", "cpu-quick", overrides={"weights": "upload:1"})
    with pytest.raises(WeightsRefused, match="do not match the checksum recorded"):
        train_detection(detection, tmp_path / "data.yaml", tmp_path / "run", RecordingSink(), torch.device("cpu"), starting_weights=weights)
    assert not marker.exists() and not (tmp_path / "run" / DETECTION_COPY).exists()


def test_starting_weights_must_be_the_ones_the_setting_names(tmp_path: Path) -> None:
    path = tmp_path / "state.pt"
    torch.save(build_network("resnet18", 2).state_dict(), path)
    config = load_config("view", overrides={"architecture": "resnet18", "weights": "upload:2"})
    with pytest.raises(WeightsRefused, match="not resolved from the app's weights store"):
        build_model(config, 2, stored(path, "upload:1"))


def test_a_classifier_starts_from_a_stored_state_dict_or_checkpoint(tmp_path: Path) -> None:
    source = build_network("resnet18", 4)
    plain, checkpoint = tmp_path / "plain.pt", tmp_path / "checkpoint.pt"
    torch.save(source.state_dict(), plain)
    torch.save({"model": source.state_dict(), "classes": ["A", "B", "C", "D"]}, checkpoint)
    config = load_config("view", overrides={"architecture": "resnet18", "weights": "version:7"})
    for path in (plain, checkpoint):
        model = build_model(config, 2, stored(path, "version:7"))
        assert torch.equal(model.state_dict()["conv1.weight"], source.state_dict()["conv1.weight"])
        # The head has another number of classes, so it keeps its fresh weights.
        assert model.state_dict()["fc.weight"].shape == (2, 512)


def test_a_shape_hybrid_starts_from_the_backbone_of_a_defect_checkpoint(tmp_path: Path) -> None:
    source = build_network("efficientnet_b0", 4, shape_inputs_count=10)
    path = tmp_path / "defect.pt"
    torch.save({"model": source.state_dict()}, path)
    config = load_config("view", overrides={"architecture": "efficientnet_b0", "weights": "version:1"})
    model = build_model(config, 2, stored(path, "version:1"))
    assert torch.equal(model.state_dict()["conv_stem.weight"], source.state_dict()["backbone.conv_stem.weight"])


def test_a_detector_loads_its_starting_weights_from_a_verified_copy_in_the_run_folder(tmp_path: Path) -> None:
    path = tmp_path / "store" / "detector.pt"
    path.parent.mkdir()
    path.write_bytes(b"weights of a detector")
    copy = verified_copy(stored(path), tmp_path / "run")
    assert copy == tmp_path / "run" / DETECTION_COPY and copy.read_bytes() == path.read_bytes()
    assert [p.name for p in copy.parent.iterdir()] == [DETECTION_COPY]  # no temporary file left behind


def test_a_resume_loads_only_the_runs_own_files(tmp_path: Path, planted: tuple[Path, Path]) -> None:
    pickle_file, _ = planted
    run = tmp_path / "run"
    (run / "yolo" / "weights").mkdir(parents=True)
    own = run / "yolo" / "weights" / "last.pt"
    own.write_bytes(b"checkpoint")
    assert own_file(own, run) == own.resolve()
    linked = run / "yolo" / "weights" / "linked.pt"
    linked.symlink_to(pickle_file)
    with pytest.raises(WeightsRefused, match="not a file the run wrote into its own folder"):
        own_file(linked, run)


def test_a_stored_state_dict_loads_as_tensors(tmp_path: Path) -> None:
    path = tmp_path / "state.pt"
    torch.save(build_network("resnet18", 2).state_dict(), path)
    assert set(load_state_dict(stored(path))) == set(build_network("resnet18", 2).state_dict())


def yolo_checkpoint(path: Path) -> Path:
    """A detector file as Ultralytics writes one: the network object itself, pickled with its layers."""
    from core.offline import import_yolo

    model = import_yolo()("yolov8n.yaml").model
    torch.save({"epoch": -1, "model": model, "ema": None, "train_args": {"imgsz": 64}, "date": "2026-12-06"}, path)
    return path


@pytest.mark.parametrize("planted_as", ["model", "ema", "train_args", "hook"])
def test_a_planted_pickle_as_a_detector_is_refused_before_ultralytics_opens_it(planted_as: str, tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    path = tmp_path / "store" / "best.pt"
    path.parent.mkdir()
    checkpoint: dict = {"model": None, "ema": None}
    if planted_as == "hook":  # a real network, with the planted object hidden among its attributes
        from core.offline import import_yolo

        network = import_yolo()("yolov8n.yaml").model
        network._forward_hooks[0] = MarkerOnLoad(marker)
        checkpoint["model"] = network
    else:
        checkpoint[planted_as] = MarkerOnLoad(marker)
    torch.save(checkpoint, path)
    config = load_config("detection", "cpu-quick", overrides={"weights": "upload:1"})
    with pytest.raises(WeightsRefused, match=r"best.pt \(upload:1\) cannot be loaded safely: it refers to __builtin__\.getattr"):
        train_detection(
            config, tmp_path / "data.yaml", tmp_path / "run", RecordingSink(), torch.device("cpu"), starting_weights=stored(path)
        )
    assert not marker.exists()


def test_a_detector_may_not_call_its_layers_or_name_functions_beside_them(tmp_path: Path) -> None:
    import pickle

    from core.training.startweights import check_detector

    class CallsALayer:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (torch.nn.Conv2d, (1, 1, 1))  # runs __init__, which a genuine file never does

    class NamesAFunction:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (torch.load, (str(tmp_path / "other.pt"),))  # lower case under torch, like a dtype

    for planted, reason in [
        (CallsALayer(), "calls the layer torch.nn.modules.conv.Conv2d"),
        (NamesAFunction(), "refers to torch.serialization.load"),
    ]:
        path = tmp_path / "best.pt"
        torch.save({"model": planted}, path)
        with pytest.raises(WeightsRefused, match=reason):
            check_detector(path, "best.pt")
    (tmp_path / "old.pt").write_bytes(pickle.dumps({"model": 1}))  # not torch's zip format
    with pytest.raises(WeightsRefused, match="old.pt is not a PyTorch .pt file"):
        check_detector(tmp_path / "old.pt", "old.pt")
    with zipfile.ZipFile(tmp_path / "empty.pt", "w") as archive:
        archive.writestr("best/other.bin", b"")
    with pytest.raises(WeightsRefused, match="empty.pt cannot be loaded safely: it holds no single data.pkl"):
        check_detector(tmp_path / "empty.pt", "empty.pt")


def test_a_genuine_detector_passes_the_check_and_loads(tmp_path: Path) -> None:
    from core.offline import import_yolo
    from core.training.startweights import check_detector

    path = yolo_checkpoint(tmp_path / "best.pt")
    check_detector(path, "best.pt")
    assert type(import_yolo()(str(path)).model).__name__ == "DetectionModel"
