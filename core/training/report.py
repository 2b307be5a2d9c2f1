"""The evaluation report of a run: JSON for programs, a page and pictures for people.

``report.json`` holds every number; ``report.html`` shows the per-class table
(PASS first), the confusion matrix, the one-vs-rest ROC and precision-recall
curves and the validation pictures the model got wrong.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

from core.evaluation.contract import ModelMetrics  # noqa: E402
from core.evaluation.metrics import Evaluation, roc_curves  # noqa: E402


def confusion_figure(evaluation: Evaluation) -> Figure:
    """Counts with the row-normalised share as colour: rare classes stay readable."""
    matrix = np.array(evaluation.confusion, dtype=float)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    n = len(evaluation.classes)
    figure, axis = plt.subplots(figsize=(1.3 * n + 1.5, 1.2 * n + 1))
    axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(n), evaluation.classes)
    axis.set_yticks(range(n), evaluation.classes)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            axis.text(j, i, f"{int(matrix[i, j])}", ha="center", va="center", color="white" if shares[i, j] > 0.5 else "black")
    axis.set_title(f"accuracy {evaluation.accuracy:.3f}, balanced {evaluation.balanced_accuracy:.3f}")
    figure.tight_layout()
    return figure


def sample_grid(pictures: Sequence[np.ndarray], truth: Sequence[str], predicted: Sequence[str], columns: int = 4) -> Figure:
    """Pictures titled ``true -> predicted``, red where the model was wrong."""
    count = max(len(pictures), 1)
    rows = (count + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 2.2 * rows), squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < len(pictures):
            axis.imshow(pictures[index], cmap="gray")
            wrong = truth[index] != predicted[index]
            axis.set_title(f"{truth[index]} -> {predicted[index]}", color="red" if wrong else "black", fontsize=9)
    figure.tight_layout()
    return figure


def _save(figure: Figure, path: Path) -> str:
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path.name


def _curves_figure(truth: np.ndarray, probabilities: np.ndarray, classes: Sequence[str], kind: str) -> Figure:
    figure, axis = plt.subplots(figsize=(5, 4))
    if kind == "roc":
        for name, (fpr, tpr) in roc_curves(truth, probabilities, classes).items():
            axis.plot(fpr, tpr, label=name)
        axis.plot([0, 1], [0, 1], color="grey", linestyle=":")
        axis.set_xlabel("false positive rate")
        axis.set_ylabel("true positive rate")
    else:
        for k, name in enumerate(classes):
            positive = truth == k
            if positive.any():
                precision, recall, _ = precision_recall_curve(positive, probabilities[:, k])
                axis.plot(recall, precision, label=name)
        axis.set_xlabel("recall")
        axis.set_ylabel("precision")
    axis.set_title("one-vs-rest " + ("ROC" if kind == "roc" else "precision-recall"))
    if axis.get_legend_handles_labels()[0]:
        axis.legend()
    figure.tight_layout()
    return figure


def write_classifier_report(
    out_dir: Path,
    evaluation: Evaluation,
    truth: np.ndarray,
    probabilities: np.ndarray,
    paths: Sequence[str],
    extra: Mapping[str, Any],
    max_mistakes: int = 16,
) -> Path:
    """Write report.json, report.html and the pictures; returns the JSON path."""
    from PIL import Image

    out_dir.mkdir(parents=True, exist_ok=True)
    predicted = probabilities.argmax(axis=1) if len(probabilities) else np.zeros(0, int)
    figures = {
        "confusion_matrix": _save(confusion_figure(evaluation), out_dir / "confusion_matrix.png"),
        "roc": _save(_curves_figure(truth, probabilities, evaluation.classes, "roc"), out_dir / "roc.png"),
        "precision_recall": _save(_curves_figure(truth, probabilities, evaluation.classes, "pr"), out_dir / "precision_recall.png"),
    }
    wrong = [i for i in range(len(truth)) if predicted[i] != truth[i]]
    wrong.sort(key=lambda i: -probabilities[i, predicted[i]])  # the most confident mistakes first
    mistakes = [
        {
            "path": paths[i],
            "truth": evaluation.classes[truth[i]],
            "predicted": evaluation.classes[predicted[i]],
            "confidence": float(probabilities[i, predicted[i]]),
        }
        for i in wrong[:max_mistakes]
    ]
    if mistakes:
        pictures = [np.asarray(Image.open(m["path"]).convert("L")) for m in mistakes]
        grid = sample_grid(pictures, [m["truth"] for m in mistakes], [m["predicted"] for m in mistakes])
        figures["mistakes"] = _save(grid, out_dir / "mistakes.png")
    # "metrics" is the contract the registry stores; "evaluation" adds the AUCs and the sample count.
    metrics = ModelMetrics.from_evaluation(evaluation).to_json()
    report = {**extra, "metrics": metrics, "evaluation": evaluation.as_dict(), "figures": figures, "mistakes": mistakes}
    path = out_dir / "report.json"
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    _write_html(out_dir / "report.html", report)
    return path


def write_detection_report(out_dir: Path, metrics: Mapping[str, float], figures: Mapping[str, str], extra: Mapping[str, Any]) -> Path:
    """Detection numbers come from Ultralytics' validator; its plots are linked as they are."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {**extra, "metrics": dict(metrics), "figures": dict(figures)}
    path = out_dir / "report.json"
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    _write_html(out_dir / "report.html", report)
    return path


def _write_html(path: Path, report: Mapping[str, Any]) -> None:
    esc = html.escape
    title = esc(str(report.get("model_type", "")))
    parts = [f"<!doctype html><meta charset='utf-8'><title>Evaluation report</title><h1>{title} model</h1>"]
    evaluation = report.get("evaluation")
    if evaluation:
        parts.append(
            f"<p>accuracy {evaluation['accuracy']:.3f}, balanced accuracy {evaluation['balanced_accuracy']:.3f}, "
            f"{evaluation['count']} validation samples</p>"
        )
        parts.append("<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>AUC</th></tr>")
        for row in evaluation["per_class"]:
            auc = "-" if row["auc"] is None else f"{row['auc']:.3f}"
            parts.append(
                f"<tr><td>{esc(row['name'])}</td><td>{row['precision']:.3f}</td><td>{row['recall']:.3f}</td>"
                f"<td>{row['f1']:.3f}</td><td>{row['support']}</td><td>{auc}</td></tr>"
            )
        parts.append("</table>")
    scalars = ModelMetrics.from_json(report.get("metrics")).scalars
    if scalars:
        parts.append("<table>" + "".join(f"<tr><td>{esc(k)}</td><td>{v:.4f}</td></tr>" for k, v in scalars.items()) + "</table>")
    for name, file in report.get("figures", {}).items():
        parts.append(f"<h2>{esc(name.replace('_', ' '))}</h2><img src='{esc(file)}' alt='{esc(name)}'>")
    path.write_text("\n".join(parts), encoding="utf-8")
