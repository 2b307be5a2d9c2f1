"""What training tells the floors above it.

``run_succeeded`` is sent in the worker once a run has trained and evaluated, before the run
is marked succeeded: the registry registers the model version (``registry.signals``). A
receiver that raises fails the run, with its sentence in the run's log. Receivers return a
sentence for the run's log (for example the registered version's name).
"""

from __future__ import annotations

from django.dispatch import Signal

#: Sent with ``run`` (the TrainingRun) and ``result`` (``core.training.runner.TrainResult``).
run_succeeded = Signal()
