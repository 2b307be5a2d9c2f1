"""What a run folder holds, named once: the trainer writes it, the web app reads it."""

from __future__ import annotations

#: The TensorBoard event files (embedded on the run page).
TENSORBOARD_DIR = "tensorboard"
#: The run's result: checkpoints, metrics contract, report path, device.
RESULT_FILE = "result.json"
#: The evaluation report (``report.json``, ``report.html`` and figures).
REPORT_DIR = "report"
#: Classifier checkpoints (``best.pt``, ``last.pt``).
WEIGHTS_DIR = "weights"
