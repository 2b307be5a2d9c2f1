from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from training.models import EpochMetric, TrainingRun


class EpochInline(admin.TabularInline):
    model = EpochMetric
    extra = 0
    readonly_fields = ("epoch", "metrics", "learning_rate", "seconds", "eta_seconds")
    can_delete = False


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    """Runs are read here, never added or edited (a run's state belongs to the worker and its page).

    Deleting a run also removes its folder; a run that has not ended cannot be deleted (cancel it first, on its page).

    A queued, running, paused or interrupted run may still train, or be the model a "train all" waits for: deleted, its
    later models would stay "Queued" for ever (nothing queues them), and a worker would write into a run that is gone.
    """

    list_display = ("id", "model_type", "status", "device", "created_by", "created_at", "finished_at")
    list_filter = ("model_type", "status")
    list_select_related = ("created_by",)  # Django joins no foreign key that may be empty by itself: one query a row
    readonly_fields = ("config", "dataset_snapshot", "error", "traceback", "worker", "lease_expires_at", "heartbeat_at", "checkpoint")
    exclude = ("checkpoint_path",)  # shown as ``checkpoint``: inside the data folder, also for rows from before
    inlines = [EpochInline]

    @admin.display(description="Checkpoint (in the data folder)")
    def checkpoint(self, obj: TrainingRun) -> str:
        return obj.checkpoint_name

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs come from the launch page, which checks the data and queues them

    def has_change_permission(self, request: HttpRequest, obj: TrainingRun | None = None) -> bool:
        return False  # the worker and the run page's buttons own a run's state: a status typed in here would lie

    def has_delete_permission(self, request: HttpRequest, obj: TrainingRun | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_final)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, object] | None = None) -> HttpResponse:
        run = self.get_object(request, unquote(object_id))
        if run is not None and not run.is_final:  # say why, rather than Django's bare "403 Forbidden"
            self.message_user(
                request,
                f"Run #{run.pk} is {run.get_status_display().lower()}, so it is not deleted: cancel it on its page first "
                '(a "train all" cancels its later models with it), then delete it here.',
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:training_trainingrun_change", args=[run.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request: HttpRequest, obj: TrainingRun) -> None:
        obj.delete_with_folder()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TrainingRun]) -> None:
        for run in queryset:  # Django refuses the whole selection first when it holds a run that has not ended
            run.delete_with_folder()
