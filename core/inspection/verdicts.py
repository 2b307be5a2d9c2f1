"""What the models said about each picture, and one verdict per wire from its two views.

Plain data, no torch: the Django side, the report writers and the tests use it
without loading a model.

Combining rules (``worst`` is the default):

* ``worst``: the more severe defect wins (PASS < SWEEP < WOBBLE < TOUCH). When
  both views say the same class, the more confident view decides.
* ``confidence``: the more confident view wins. When both are equally
  confident, the more severe defect wins (a tie never hides a defect).
* ``evidence``: both views' class probabilities are multiplied (their
  log-probabilities summed) and renormalised; the most probable class wins,
  a tie going to the more severe one. Each view is partial evidence about one
  wire, so this is the rule that uses both (on the synthetic benchmark it is
  the only one reaching the quality target); within one picture the box is
  still picked by ``worst``. A view without probabilities (an old report)
  falls back to ``worst``.

A remaining tie (same class, same confidence) is decided by the SIDE view, which
carries more of the defect signal than TOP (see ../shared/DOMAIN.md). The same
rules pick one finding among several boxes of one picture.

A wire with only one view still gets a verdict from that view, marked
incomplete with a note saying which picture to add. A wire whose pictures all
failed (unreadable, nothing detected) gets no verdict and a note.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from core.labels import DEFECTS, SEVERITY, VIEWS

Rule = Literal["worst", "confidence", "evidence"]
RULES: tuple[str, ...] = ("evidence", "worst", "confidence")
#: Chosen by grouped cross-validation on real wires (bench/bench_realdata.py, docs/training.md): both
#: views' probabilities multiplied beat the worst case of the two views' verdicts.
DEFAULT_RULE: Rule = "evidence"
#: What each rule means, in the words the Inspect page shows.
RULE_LABELS: dict[str, str] = {
    "evidence": "both views' evidence combined",
    "worst": "worst case of the two views",
    "confidence": "the more confident view",
}
#: Probabilities are floored here before taking logs, so one view's 0 cannot veto the other's evidence outright.
_PROBABILITY_FLOOR = 1e-4

#: Tie-break order of the views: later wins (SIDE carries more signal).
_VIEW_PRIORITY = {"TOP": 0, "SIDE": 1}


@dataclass(frozen=True)
class BoxPrediction:
    """One detected wire loop: the box in pixels (corners) and both classifications."""

    x1: float
    y1: float
    x2: float
    y2: float
    detection_confidence: float
    view: str
    view_confidence: float
    defect: str
    defect_confidence: float
    #: Defect probabilities in DEFECTS order (for review risk and reports).
    defect_probabilities: tuple[float, ...] = ()

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1


@dataclass(frozen=True)
class PictureResult:
    """Everything the pipeline found in one picture, or why it could not look at it."""

    image_name: str
    wire_id: str
    #: The picture's view: from its file name, else from its most confident box.
    view: str | None
    boxes: tuple[BoxPrediction, ...] = ()
    error: str = ""
    #: The caller's own handle on the picture (e.g. a database id); never interpreted here.
    ref: Any = None

    @property
    def success(self) -> bool:
        return not self.error

    def finding(self, rule: Rule = DEFAULT_RULE) -> Finding | None:
        """The one box that speaks for this picture under ``rule`` (None without boxes)."""
        if not self.boxes or self.view is None:
            return None
        candidates = [
            Finding(self.view, box.defect, box.defect_confidence, self.image_name, box.defect_probabilities) for box in self.boxes
        ]
        return decide(candidates, rule)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("ref")
        data["success"] = self.success
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PictureResult:
        boxes = tuple(
            BoxPrediction(**{**box, "defect_probabilities": tuple(box.get("defect_probabilities", ()))}) for box in data.get("boxes", ())
        )
        return cls(data["image_name"], data["wire_id"], data.get("view"), boxes, data.get("error", ""))


@dataclass(frozen=True)
class Finding:
    """One view's say about a wire: its class and how sure the model was."""

    view: str
    defect: str
    confidence: float
    image_name: str = ""
    #: Class probabilities in DEFECTS order, for the ``evidence`` rule (empty when unknown).
    probabilities: tuple[float, ...] = ()


@dataclass(frozen=True)
class WireVerdict:
    """The verdict for one wire and the view that decided it."""

    wire_id: str
    verdict: str | None
    deciding_view: str | None
    confidence: float | None
    rule: str
    #: True when both views were looked at.
    complete: bool
    note: str = ""
    findings: dict[str, Finding] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["findings"] = {view: asdict(finding) for view, finding in self.findings.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WireVerdict:
        findings = {
            view: Finding(**{**finding, "probabilities": tuple(finding.get("probabilities", ()))})
            for view, finding in data.get("findings", {}).items()
        }
        return cls(**{**data, "findings": findings})


def _key(finding: Finding, rule: Rule) -> tuple[float, float, int]:
    severity = SEVERITY[finding.defect]
    priority = _VIEW_PRIORITY.get(finding.view, -1)
    if rule in ("worst", "evidence"):
        return (severity, finding.confidence, priority)
    return (finding.confidence, severity, priority)


def verdict_rule(name: str) -> Rule:
    """``name`` as a verdict rule; a ValueError, saying the choices, for anything else."""
    if name == "worst":
        return "worst"
    if name == "confidence":
        return "confidence"
    if name == "evidence":
        return "evidence"
    raise ValueError(f"Unknown verdict rule {name!r}; use one of {', '.join(RULES)}.")


def decide(findings: Sequence[Finding], rule: Rule = DEFAULT_RULE) -> Finding:
    """The finding that decides under ``rule`` (see the module docstring for ties)."""
    if rule not in RULES:
        raise ValueError(f"Unknown verdict rule {rule!r}; use one of {', '.join(RULES)}.")
    if not findings:
        raise ValueError("There is nothing to decide from: no view produced a finding.")
    return max(findings, key=lambda finding: _key(finding, rule))


def combine_evidence(rows: Sequence[Sequence[float]]) -> list[float]:
    """Several views' class probabilities as one distribution: their product, renormalised (in log space)."""
    if not rows:
        raise ValueError("There is no evidence to combine: no view gave class probabilities.")
    logs = [sum(math.log(max(float(row[k]), _PROBABILITY_FLOOR)) for row in rows) for k in range(len(rows[0]))]
    top = max(logs)
    weights = [math.exp(value - top) for value in logs]
    total = sum(weights)
    return [weight / total for weight in weights]


def _evidence_verdict(findings: Sequence[Finding]) -> tuple[str, float, str]:
    """Class, its combined probability and the view that gave it the most probability."""
    combined = combine_evidence([finding.probabilities for finding in findings])
    best = max(range(len(DEFECTS)), key=lambda k: (round(combined[k], 12), SEVERITY[DEFECTS[k]]))
    deciding = max(findings, key=lambda finding: (finding.probabilities[best], _VIEW_PRIORITY.get(finding.view, -1)))
    return DEFECTS[best], combined[best], deciding.view


def wire_verdict(wire_id: str, pictures: Sequence[PictureResult], rule: Rule = DEFAULT_RULE) -> WireVerdict:
    """Combine the pictures of one wire (normally its TOP and its SIDE) into one verdict."""
    per_view: dict[str, Finding] = {}
    problems: list[str] = []
    for picture in pictures:
        if picture.error:
            problems.append(f"{picture.image_name}: {picture.error}")
            continue
        finding = picture.finding(rule)
        if finding is None:
            problems.append(f"{picture.image_name}: no wire loop was found.")
            continue
        previous = per_view.get(finding.view)
        per_view[finding.view] = finding if previous is None else decide([previous, finding], rule)
    if not per_view:
        note = " ".join(problems) or "No picture of this wire could be inspected."
        return WireVerdict(wire_id, None, None, None, rule, complete=False, note=note)
    notes = list(problems)
    chosen = decide(list(per_view.values()), rule)
    verdict, deciding_view, confidence = chosen.defect, chosen.view, chosen.confidence
    if rule == "evidence":
        if all(len(finding.probabilities) == len(DEFECTS) for finding in per_view.values()):
            verdict, confidence, deciding_view = _evidence_verdict(list(per_view.values()))
        else:
            notes.append("Class probabilities are missing for a view, so the views were combined by the worst case.")
    missing = [view for view in VIEWS if view not in per_view]
    # A view whose picture was given but gave nothing (no loop, unreadable) is named in a problem above: asking to add
    # that picture would send the inspector looking for a file already inspected.
    absent = [view for view in missing if not any(picture.view == view for picture in pictures)]
    if absent:
        notes.append(
            f"Only the {', '.join(sorted(per_view))} view was inspected; the verdict rests on one view. "
            f"Add the {' and '.join(absent)} picture ({wire_id}_{absent[0]}.png) for a two-view verdict."
        )
    elif missing:
        notes.append(f"The verdict rests on the {', '.join(sorted(per_view))} view only.")
    return WireVerdict(
        wire_id,
        verdict,
        deciding_view,
        confidence,
        rule,
        complete=not missing,
        note=" ".join(notes),
        findings=dict(sorted(per_view.items())),
    )


def wire_verdicts(pictures: Iterable[PictureResult], rule: Rule = DEFAULT_RULE) -> list[WireVerdict]:
    """One verdict per wire id, in the order the wires first appear."""
    groups: dict[str, list[PictureResult]] = {}
    for picture in pictures:
        groups.setdefault(picture.wire_id, []).append(picture)
    return [wire_verdict(wire_id, group, rule) for wire_id, group in groups.items()]
