"""The launch form: what to train, on which annotations, with which settings, and a data check first."""

from __future__ import annotations

import re
import uuid
from typing import Any

import yaml
from django import forms

from annotations.choices import VIEW_CHOICES
from annotations.models import Image
from core.data.dataset import InsufficientData, in_view_scope
from core.labels import MODEL_TYPES
from core.safepath import MAX_GROUP_LENGTH
from core.training.config import PRESETS, AnyConfig, ConfigError, DetectionConfig, describe, load_config, to_json
from training.jobs import SEQUENCE_ORDER
from training.weights_sources import WeightsUnavailable, starting_weights

ALL = "all"
MODEL_CHOICES = [
    (ALL, "Train all (view, then detection, then defect)"),
    ("view", "View classifier (ResNet18)"),
    ("detection", "Detection (YOLOv8)"),
    ("defect", "Defect classifier (EfficientNet-B0)"),
]
LAUNCH_TOKEN = re.compile(r"[0-9a-f]{32}")
DEVICE_CHOICES = [("auto", "Automatic (GPU when present)"), ("cpu", "CPU"), ("cuda", "GPU (CUDA)")]


def preset_text(model_type: str, preset: str) -> str:
    """Every setting of a model type with the preset's value, as the YAML the form shows."""
    values = {row["name"]: row["default"] for row in describe(model_type)}
    values.update(PRESETS[preset][model_type])
    values.pop("preset", None)
    values.pop("device", None)
    return yaml.safe_dump(values, sort_keys=False, allow_unicode=True)


def presets() -> dict[str, dict[str, str]]:
    """All presets' texts for the page's script, which refills the boxes when the preset changes."""
    return {preset: {model_type: preset_text(model_type, preset) for model_type in MODEL_TYPES} for preset in PRESETS}


class LaunchForm(forms.Form):
    # One model by default: "train all" includes the long detection run, which a user should choose knowingly.
    model_type = forms.ChoiceField(choices=MODEL_CHOICES, initial="defect")
    preset = forms.ChoiceField(choices=[(name, name) for name in PRESETS], initial="cpu-quick")
    device = forms.ChoiceField(choices=DEVICE_CHOICES, initial="auto")
    wire_group = forms.CharField(
        # As long as a group the library accepts: a shorter field cut a pasted group, which then matched no picture.
        required=False,
        max_length=MAX_GROUP_LENGTH,
        help_text="Only pictures of this wire group (folder, lot or batch); empty for all.",
    )
    view = forms.ChoiceField(choices=[("", "Both views"), *VIEW_CHOICES], required=False, help_text="Only pictures of one view.")
    group_by_lot = forms.BooleanField(
        required=False, initial=False, help_text="Keep each wire group wholly in training or wholly in validation."
    )
    folds = forms.IntegerField(
        required=False,
        min_value=3,
        max_value=10,
        label="Cross-validate in",
        help_text=(
            "Folds (3-10), empty to train one model. Trains these settings once per fold of wires and predicts every wire "
            "with a model that never saw it: a steadier estimate than one validation split when there are few wires. "
            "Then trains the final model on the usual split of all wires and registers it as a new model version, with "
            "the out-of-fold table beside its scores. View or defect model only."
        ),
    )
    #: A new random value each time the form is shown, so sending the same form twice queues its runs once.
    launch_token = forms.CharField(widget=forms.HiddenInput, required=False)
    view_settings = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), required=False, label="View model settings")
    detection_settings = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), required=False, label="Detection model settings")
    defect_settings = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), required=False, label="Defect model settings")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        preset = self.fields["preset"].initial
        self.fields["launch_token"].initial = uuid.uuid4().hex
        for model_type in MODEL_TYPES:
            self.fields[f"{model_type}_settings"].initial = preset_text(model_type, preset)
        self.warnings: list[str] = []
        #: Some chosen pictures have no file: the page links the library's Files missing filter.
        self.files_missing = False
        self._configs: dict[str, dict[str, Any]] = {}
        self._snapshots: dict[str, dict[str, Any]] = {}

    def model_types(self) -> list[str]:
        chosen = self.cleaned_data["model_type"]
        return list(SEQUENCE_ORDER) if chosen == ALL else [chosen]

    def configs(self) -> dict[str, dict[str, Any]]:
        return self._configs

    def snapshots(self) -> dict[str, dict[str, Any]]:
        return self._snapshots

    def clean_launch_token(self) -> str:
        """The form's own token, or "" (no protection) for anything else a hand-made request sends."""
        token = self.cleaned_data["launch_token"]
        return token if LAUNCH_TOKEN.fullmatch(token) else ""

    def _settings(self, model_type: str) -> dict[str, Any]:
        text = self.cleaned_data.get(f"{model_type}_settings") or ""
        try:
            values = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise forms.ValidationError(f"The {model_type} settings are not valid YAML ({error}); write 'name: value' lines.") from None
        except RecursionError:  # brackets nested thousands deep
            raise forms.ValidationError(f"The {model_type} settings nest too deeply; write 'name: value' lines.") from None
        if not isinstance(values, dict):
            raise forms.ValidationError(f"The {model_type} settings must be 'name: value' lines.")
        return values

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean returns; its stub allows None for overrides
        if self.errors:
            return cleaned
        if cleaned.get("folds") and cleaned["model_type"] not in ("view", "defect"):
            self.add_error("folds", "Cross-validation checks the settings of one classifier: choose the view or the defect model.")
            return cleaned
        if problem := Image.objects.wire_group_problem(cleaned["wire_group"].strip()):
            self.add_error(None, problem)
            return cleaned
        for model_type in self.model_types():
            try:
                values = self._settings(model_type)
                values["device"] = cleaned["device"]
                config = load_config(model_type, preset=cleaned["preset"], overrides=values)
            except ConfigError as error:
                self.add_error(f"{model_type}_settings", str(error))
                continue
            except forms.ValidationError as error:
                self.add_error(f"{model_type}_settings", error)
                continue
            if config.weights and not self._check_weights(model_type, config):
                continue
            self._configs[model_type] = to_json(config)
            self._check_data(model_type, config)
        return cleaned

    def _check_weights(self, model_type: str, config: AnyConfig) -> bool:
        """The starting weights must be a file of the app's store that fits the model; the worker checks the checksum."""
        try:
            weights = starting_weights(config.weights, model_type)
        except WeightsUnavailable as error:
            self.add_error(f"{model_type}_settings", str(error))
            return False
        # A version's settings name its network: one of another architecture would fail in the worker, after its wait.
        setting, built = ("model", config.model) if isinstance(config, DetectionConfig) else ("architecture", config.architecture)
        if weights.architecture and weights.architecture != built:
            self.add_error(
                f"{model_type}_settings",
                f"{weights.label} is a {weights.architecture}, but these {model_type} settings build a {built}, which its weights "
                f"do not fit; set '{setting}: {weights.architecture}' or choose a version made for {built}.",
            )
            return False
        return True

    def _check_data(self, model_type: str, config: AnyConfig) -> None:
        """Split the chosen annotations now: missing data is said before anything is queued."""
        from training.snapshot import build_snapshot, missing_files_problem, snapshot_run_json

        images = Image.objects.all()
        if self.cleaned_data["wire_group"].strip():
            images = images.filter(wire_group=self.cleaned_data["wire_group"].strip())
        if self.cleaned_data["view"]:
            images = images.filter(view=self.cleaned_data["view"])
        try:
            snapshot = build_snapshot(
                images,
                val_fraction=config.val_fraction,
                seed=config.seed,
                group_by_lot=self.cleaned_data["group_by_lot"],
                model_type=model_type,  # the detector checks no class, the view model its views, the defect model its defects
            )
        except InsufficientData as problem:
            self.add_error(None, f"Not enough data for the {model_type} model: {problem}")
            return
        if not snapshot.train:
            self.add_error(None, f"No annotated picture matches these filters, so the {model_type} model has nothing to learn from.")
            return
        if missing := missing_files_problem(snapshot):  # else the worker fails the queued run on them
            if missing not in self.non_field_errors():  # "train all": the same pictures, said once
                self.add_error(None, missing)
            self.files_missing = True  # a link under the errors; the sentence names pictures (annotators' text): plain
            return
        scope = config.view_scope
        if scope != "all" and not (in_view_scope(snapshot.train, scope) and in_view_scope(snapshot.val, scope)):
            # The trainer keeps only the pictures of its view from the split: it needs some on both sides.
            self.add_error(
                None,
                f"The per-view {model_type} model (view_scope: {scope}) learns from {scope} pictures, and these filters leave "
                f"too few of them to train and validate on; choose pictures with {scope} boxes, or set view_scope: all.",
            )
            return
        if self.cleaned_data.get("folds"):
            from core.crossval import grouped_folds

            records = in_view_scope([*snapshot.train, *snapshot.val], config.view_scope)
            try:
                grouped_folds(records, self.cleaned_data["folds"], config.seed)
            except InsufficientData as problem:
                self.add_error("folds", str(problem))
                return
        self._snapshots[model_type] = snapshot_run_json(snapshot)
        self.warnings.extend(f"{model_type}: {warning}" for warning in snapshot.warnings)
