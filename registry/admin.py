from __future__ import annotations

from django.contrib import admin

from registry.models import ActivationEvent, ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "model_type", "view_scope", "is_active", "dataset_size", "created_at")
    list_filter = ("model_type", "is_active")
    readonly_fields = ("sha256", "file_path", "metrics", "config", "training_run", "is_active")


@admin.register(ActivationEvent)
class ActivationEventAdmin(admin.ModelAdmin):
    list_display = ("version_name", "model_type", "action", "user", "at", "gate_override")
    list_filter = ("model_type", "action")
