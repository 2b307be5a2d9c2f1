"""Forms of the registry pages: every write asks for a reason, recorded in the history."""

from __future__ import annotations

from django import forms

from annotations.choices import ModelType
from registry.models import ModelVersion, WeightsFile


class ActivateForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    override_gate = forms.BooleanField(required=False, label="Override the quality gate")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("override_gate") and not str(data.get("reason", "")).strip():
            self.add_error("reason", "Write why you override the quality gate; the reason is kept in the history.")
        return data


class RollbackForm(forms.Form):
    model_type = forms.ChoiceField(choices=ModelType.choices)
    view_scope = forms.CharField(required=False, max_length=4)
    reason = forms.CharField(required=False, max_length=2000)


class BundleForm(ActivateForm):
    """One version of each type, activated together."""

    detection = forms.ModelChoiceField(queryset=ModelVersion.objects.filter(model_type=ModelType.DETECTION))
    view = forms.ModelChoiceField(queryset=ModelVersion.objects.filter(model_type=ModelType.VIEW))
    defect = forms.ModelChoiceField(queryset=ModelVersion.objects.filter(model_type=ModelType.DEFECT))

    def versions(self) -> list[ModelVersion]:
        return [self.cleaned_data[name] for name in ("detection", "view", "defect")]


class WeightsUploadForm(forms.Form):
    """A starting-weights file for later runs; its checksum is recorded with the uploader."""

    file = forms.FileField(help_text="A .pt file: a state dict (torch.save(model.state_dict(), path)) or a YOLO best.pt.")
    kind = forms.ChoiceField(choices=WeightsFile.Kind.choices)
    note = forms.CharField(required=False, max_length=500, help_text="Where the weights come from, for the others.")
