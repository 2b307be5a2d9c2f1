"""A real training job for the benchmarks to run beside the web: a defect model on synthetic pictures.

    python bench/_trainer.py --nice N --threads T --folder DIR   # trains in DIR until killed; prints "training" once started

It yields to the web exactly as ``manage.py worker`` does (``yield_to_the_web``: the nice value and
the math threads), before torch is imported. Synthetic data only: this measures CPU contention, not
model quality. It is killed, never stopped, so whoever starts it removes ``DIR`` (``bench._server.trainer``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.worker_processes import yield_to_the_web  # noqa: E402  (stdlib only; no Django)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nice", type=int, default=0)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True, help="where it writes its pictures and runs")
    args = parser.parse_args()
    yield_to_the_web(args.nice, args.threads)

    from core.data.dataset import records_from_synthetic, split_records
    from core.data.synthetic import generate, scaled_plan
    from core.training.config import load_config
    from core.training.events import EpochEvent, RecordingSink
    from core.training.runner import train

    class Announce(RecordingSink):
        announced = False

        def on_epoch(self, event: EpochEvent) -> None:
            super().on_epoch(event)
            if not self.announced:
                print("training", flush=True)
                self.announced = True

    base = args.folder
    samples = generate(base / "pictures", scaled_plan(24), image_size=320)
    snapshot = split_records(records_from_synthetic(samples), seed=0, min_samples_per_class=1)
    config = load_config("defect", "cpu-quick", overrides={"epochs": 10_000, "patience": 0, "image_size": 128, "device": "cpu"})
    train("defect", config, snapshot, base / "run", Announce(), datasets_dir=base / "datasets", data_dir=base)


if __name__ == "__main__":
    main()
