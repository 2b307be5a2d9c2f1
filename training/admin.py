from __future__ import annotations

from django.contrib import admin

from training.models import EpochMetric, TrainingRun


class EpochInline(admin.TabularInline):
    model = EpochMetric
    extra = 0
    readonly_fields = ("epoch", "metrics", "learning_rate", "seconds", "eta_seconds")
    can_delete = False


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ("id", "model_type", "status", "device", "created_by", "created_at", "finished_at")
    list_filter = ("model_type", "status")
    readonly_fields = ("config", "dataset_snapshot", "error", "traceback", "worker", "lease_expires_at", "heartbeat_at")
    inlines = [EpochInline]
