"""Registry pages for engineers: list, compare, activate, roll back, delete, upload starting weights. Model files are never served."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import role_required
from annotations.choices import ModelType
from core.params import parse_id
from registry import versions as registry
from registry import weights_store
from registry.compare import COMPARE_MAX_VERSIONS, KEY_METRICS, compare, key_metrics
from registry.forms import ActivateForm, BundleForm, RollbackForm, WeightsUploadForm
from registry.models import ActivationEvent, ModelVersion, WeightsFile

HISTORY_LENGTH = 30
#: Versions listed per model type on one page of the Models page (months of training make hundreds).
VERSIONS_PER_PAGE = 50
#: (annotation id, revision) pairs the version page shows per split; a big library's run has tens of thousands (the download has them all).
LINEAGE_PAIRS_SHOWN = 20
LINEAGE_PAIRS_PER_CHUNK = 1000
BUNDLE_FIELDS = ("detection", "view", "defect")
#: What the Models page's address holds besides the ticks: each list's page, and the versions a refused bundle chose.
#: Every round trip of the page (a page turned, a comparison refused) brings them back.
KEPT_CHOICES = (*(f"{model_type}_page" for model_type in ModelType.values), *BUNDLE_FIELDS)


def _form_error(form: ActivateForm | RollbackForm) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _page_link(request: HttpRequest, parameter: str, number: int) -> str:
    """A page's address with one list on page ``number`` and every other choice kept."""
    query = request.GET.copy()
    query[parameter] = str(number)
    return f"?{query.urlencode()}"


def _turned_page(request: HttpRequest, choice: str) -> str:
    """Where a Newer/Older button of the Models page leads: ``choice`` is "<type>:<page>"; the ticks go along.

    The buttons submit the compare form to the list, so versions ticked on this page stay ticked on the next one, and
    the other types' pages (hidden fields of the form) stay where they were.
    """
    query = request.GET.copy()
    query.pop("go", None)
    model_type, _, number = choice.partition(":")
    if model_type in ModelType.values and parse_id(number) is not None:
        query[f"{model_type}_page"] = number
    else:
        model_type = ""
    address = f"{reverse('registry:index')}?{query.urlencode()}" if query else reverse("registry:index")
    return f"{address}#type-{model_type}" if model_type else address


@role_required("engineer")
def index(request: HttpRequest) -> HttpResponse:
    if (choice := request.GET.get("go")) is not None:
        return redirect(_turned_page(request, choice))
    sections = []
    bundle_chosen = {name: request.GET[name] for name in BUNDLE_FIELDS if parse_id(request.GET.get(name)) is not None}
    # Versions ticked to compare: on another page of a list before turning to this one, or by a refused comparison
    # (``_ticked_again``): ticked again, not to be ticked one by one.
    ticked = {pk for pk in map(parse_id, request.GET.getlist("v")) if pk is not None}
    shown: set[int] = set()
    for model_type, label in ModelType.choices:
        of_type = ModelVersion.objects.filter(model_type=model_type)
        # The run's dataset snapshot (a record of every picture it learned from) is not shown here, and weighs megabytes.
        listed = of_type.select_related("training_run").defer("training_run__dataset_snapshot")
        page_parameter = f"{model_type}_page"
        page = Paginator(listed, VERSIONS_PER_PAGE).get_page(request.GET.get(page_parameter))
        rows = [{"version": version, "metrics": key_metrics(version), "gate": registry.gate_problem(version)} for version in page]
        shown.update(version.pk for version in page)
        scopes = sorted(of_type.order_by().values_list("view_scope", flat=True).distinct())
        rollbacks = [(scope, registry.rollback_target(model_type, scope)) for scope in scopes]
        sections.append(
            {
                "type": model_type,
                "label": label,
                "headings": [heading for _, heading in KEY_METRICS[model_type]],
                "rows": rows,
                "page": page,
                # The live versions, named above the list: on a later page of it when they are older than the newest ones.
                "active": list(of_type.active().order_by("view_scope").only("name", "view_scope")),
                "previous_page": page.previous_page_number() if page.has_previous() else None,
                "next_page": page.next_page_number() if page.has_next() else None,
                "rollbacks": [(scope, target) for scope, target in rollbacks if target is not None],
            }
        )
    context = {
        "sections": sections,
        "history": ActivationEvent.objects.select_related("user")[:HISTORY_LENGTH],
        # The versions of a refused bundle (``_bundle_again``) stay chosen.
        "bundle_form": BundleForm(initial=bundle_chosen),
        # ... and go along, as the pages do, when a list's page is turned (the buttons send the compare form).
        "bundle_chosen": bundle_chosen.items(),
        "ticked": ticked,
        # Ticked on a page of a list not shown now: still ticked, and sent with the comparison.
        "ticked_elsewhere": ModelVersion.objects.filter(pk__in=ticked - shown).only("name", "model_type").order_by("pk"),
    }
    return render(request, "registry/index.html", context)


@role_required("engineer")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    # The run's dataset snapshot (every picture learned from, megabytes on a large library): only its summary is shown.
    versions = ModelVersion.objects.select_related("training_run").defer("training_run__dataset_snapshot")
    version = get_object_or_404(versions, pk=pk)
    context = {
        "version": version,
        "gate": registry.gate_problem(version),
        "scores": version.scores,
        "labels": version.class_labels(),
        "confusion": version.scores.confusion_rows(),
        "lineage": registry.lineage_summary(version, LINEAGE_PAIRS_SHOWN),
        "pairs_shown": LINEAGE_PAIRS_SHOWN,
        "history": version.activations.select_related("user"),
        "form": ActivateForm(),
        "review": next(iter(ModelVersion.objects.filter(pk=version.pk).correction_rates()), None),
    }
    return render(request, "registry/detail.html", context)


def _lineage_json(name: str, lineage: dict[str, Any]) -> Iterator[str]:
    """The file ``JsonResponse`` writes for the version's name, seed and pairs, a thousand pairs at a time."""
    yield f'{{"version": {json.dumps(name)}, "seed": {json.dumps(lineage["seed"])}'
    for split in ("train", "val"):
        pairs = lineage[split]
        yield f', "{split}": ['
        for start in range(0, len(pairs), LINEAGE_PAIRS_PER_CHUNK):
            yield (", " if start else "") + ", ".join(json.dumps(pair) for pair in pairs[start : start + LINEAGE_PAIRS_PER_CHUNK])
        yield "]"
    yield "}"


@role_required("engineer")
@require_safe  # HEAD too, as every download: a download manager asks it for the size and the name
def lineage_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Every (annotation id, revision) pair the version learned from, as a JSON file (the page shows the first few)."""
    version = get_object_or_404(ModelVersion, pk=pk)
    try:
        lineage = registry.lineage(version)
    except registry.RegistryError as error:
        messages.error(request, str(error))
        return redirect("registry:detail", pk=pk)
    if not lineage:
        raise Http404(version.no_snapshot_sentence())
    response = StreamingHttpResponse(_lineage_json(version.name, lineage), content_type="application/json")
    response["Content-Disposition"] = content_disposition_header(True, f"{version.name}-lineage.json")
    return response


def _bundle_again(request: HttpRequest) -> HttpResponse:
    """The list of versions with the refused bundle's versions still chosen, so that ticking the override is all it takes."""
    chosen = [(name, pk) for name in BUNDLE_FIELDS if (pk := parse_id(request.POST.get(name))) is not None]
    return redirect(f"{reverse('registry:index')}?{urlencode(chosen)}#bundle" if chosen else reverse("registry:index"))


def _ticked_again(request: HttpRequest, ids: list[int]) -> HttpResponse:
    """The list of versions, with the ones a refused comparison had ticked still ticked, on the pages it was asked from
    and with the bundle's versions still chosen (the compare form carries both)."""
    kept = [(name, request.GET[name]) for name in KEPT_CHOICES if parse_id(request.GET.get(name)) is not None]
    query = [("v", pk) for pk in ids] + kept
    return redirect(f"{reverse('registry:index')}?{urlencode(query)}" if query else reverse("registry:index"))


def _gone_sentence(gone: list[int]) -> str:
    """Ticked versions that no longer exist (deleted by someone else or in another tab, or a typed id), or ""."""
    if not gone:
        return ""
    if len(gone) == 1:
        return f"The ticked version with id {gone[0]} no longer exists (deleted meanwhile, by someone else or in another tab). "
    ids = ", ".join(map(str, gone))
    return f"The ticked versions with ids {ids} no longer exist (deleted meanwhile, by someone else or in another tab). "


@role_required("engineer")
def compare_view(request: HttpRequest) -> HttpResponse:
    ids = list(dict.fromkeys(pk for pk in map(parse_id, request.GET.getlist("v")) if pk is not None))
    gone: list[int] = []
    if len(ids) > COMPARE_MAX_VERSIONS:
        # Only versions that still exist count against the limit: ticks outlive a page and a colleague's delete.
        existing = set(ModelVersion.objects.filter(pk__in=ids).values_list("pk", flat=True))
        gone, ids = [pk for pk in ids if pk not in existing], [pk for pk in ids if pk in existing]
        if len(ids) > COMPARE_MAX_VERSIONS:
            messages.error(
                request, f"{_gone_sentence(gone)}Tick at most {COMPARE_MAX_VERSIONS} versions to compare them ({len(ids)} are ticked)."
            )
            return _ticked_again(request, ids)
    # The comparison reads each run's (annotation id, revision) pairs by themselves, never the records of every picture.
    versions = ModelVersion.objects.filter(pk__in=ids).select_related("training_run").defer("training_run__dataset_snapshot")
    chosen = {version.pk: version for version in versions}
    ordered = [chosen[pk] for pk in ids if pk in chosen]
    # Ticks outlive a page of the list (and can be typed into the address): a version may be gone by the time they are sent.
    gone += [pk for pk in ids if pk not in chosen]
    if len(ordered) < 2:
        messages.error(request, f"{_gone_sentence(gone)}Tick two or more versions to compare them.")
        return _ticked_again(request, [version.pk for version in ordered])
    if gone:
        messages.warning(request, f"{_gone_sentence(gone)}The comparison leaves {'it' if len(gone) == 1 else 'them'} out.")
    try:
        comparison = compare(ordered)
    except registry.RegistryError as error:
        messages.error(request, str(error))
        return _ticked_again(request, [version.pk for version in ordered])
    return render(request, "registry/compare.html", {"comparison": comparison})


@require_POST
@role_required("engineer")
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, pk=pk)
    form = ActivateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("registry:detail", pk=pk)
    try:
        registry.activate(version, request.user, form.cleaned_data["reason"], form.cleaned_data["override_gate"])
    except registry.RegistryError as error:
        messages.error(request, str(error))
        return redirect("registry:detail", pk=pk)
    messages.success(request, f"{version.name} is now the active {registry.slot_key(version.model_type, version.view_scope)} model.")
    return redirect("registry:index")


@require_POST
@role_required("engineer")
def activate_bundle(request: HttpRequest) -> HttpResponse:
    form = BundleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form) or "Choose one version of each type.")
        return _bundle_again(request)
    try:
        registry.activate_bundle(form.versions(), request.user, form.cleaned_data["reason"], form.cleaned_data["override_gate"])
    except registry.RegistryError as error:
        messages.error(request, str(error))
        return _bundle_again(request)
    messages.success(request, "Activated together: " + ", ".join(version.name for version in form.versions()) + ".")
    return redirect("registry:index")


@require_POST
@role_required("engineer")
def rollback(request: HttpRequest) -> HttpResponse:
    form = RollbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error(form))
        return redirect("registry:index")
    data = form.cleaned_data
    try:
        event = registry.rollback(data["model_type"], request.user, data["reason"], view_scope=data["view_scope"])
    except registry.RegistryError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Rolled back: {event.version_name} is active again.")
    return redirect("registry:index")


@role_required("engineer")
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes the row, then the file after the commit."""
    version = get_object_or_404(ModelVersion, pk=pk)
    if request.method == "GET":
        return render(
            request, "registry/confirm_delete.html", {"version": version, "file_kept": registry.file_kept_reason(version, ahead=True)}
        )
    if request.method != "POST":
        raise Http404("Use the delete button.")
    try:
        done = registry.delete_version(version, request.user)
    except registry.RegistryError as error:
        messages.error(request, str(error))
        return redirect("registry:detail", pk=pk)
    messages.success(request, done)
    return redirect("registry:index")


@role_required("engineer")
def weights(request: HttpRequest) -> HttpResponse:
    """The starting weights a run may name: uploads (GET lists them, POST adds one) and registered versions."""
    form = WeightsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            upload = weights_store.store_upload(data["file"], data["kind"], request.user, data["note"])
        except registry.RegistryError as error:
            form.add_error("file", str(error))
        else:
            messages.success(
                request, f"Stored {upload.original_name} as {upload.reference}; write 'weights: {upload.reference}' in a run's settings."
            )
            return redirect("registry:weights")
    # Months of training make hundreds of versions: paged as on the Models page, only the columns shown read.
    versions = Paginator(ModelVersion.objects.only("name", "model_type"), VERSIONS_PER_PAGE).get_page(request.GET.get("versions_page"))
    context = {
        "form": form,
        "uploads": WeightsFile.objects.select_related("uploaded_by"),
        "versions": versions,
        "previous_page": _page_link(request, "versions_page", versions.previous_page_number()) if versions.has_previous() else "",
        "next_page": _page_link(request, "versions_page", versions.next_page_number()) if versions.has_next() else "",
    }
    return render(request, "registry/weights.html", context)
