from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from training.models import EpochMetric, RunStatus, TrainingRun


class EpochInline(admin.TabularInline):
    model = EpochMetric
    extra = 0
    readonly_fields = ("epoch", "metrics", "learning_rate", "seconds", "eta_seconds")
    can_delete = False


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    """Deleting a run also removes its folder; a running run cannot be deleted (cancel it first, on its page)."""

    list_display = ("id", "model_type", "status", "device", "created_by", "created_at", "finished_at")
    list_filter = ("model_type", "status")
    readonly_fields = ("config", "dataset_snapshot", "error", "traceback", "worker", "lease_expires_at", "heartbeat_at")
    inlines = [EpochInline]

    def has_delete_permission(self, request: HttpRequest, obj: TrainingRun | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.status != RunStatus.RUNNING)

    def delete_model(self, request: HttpRequest, obj: TrainingRun) -> None:
        obj.delete_with_folder()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TrainingRun]) -> None:
        for run in queryset:  # Django refuses the whole selection first when it holds a running run
            run.delete_with_folder()
