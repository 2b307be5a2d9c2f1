"""Keep Ultralytics, albumentations and matplotlib off the network.

Each of these libraries was observed making network calls at import or at
training time (see ../shared/MACHINE-NOTES.md). ``configure_offline`` must run
before any of them is imported; it is idempotent and cheap.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

_FONT_NAMES = ("Arial.ttf", "Arial.Unicode.ttf")


def configure_offline(data_dir: Path) -> None:
    """Point every cache and settings folder into ``data_dir`` and switch off downloads."""
    config_dir = data_dir / "config"
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "0"
    os.environ["YOLO_VERBOSE"] = os.environ.get("YOLO_VERBOSE", "False")
    os.environ["NO_ALBUMENTATIONS_UPDATE"] = "1"
    os.environ.setdefault("YOLO_CONFIG_DIR", str(config_dir))
    os.environ.setdefault("MPLCONFIGDIR", str(config_dir / "matplotlib"))
    os.environ.setdefault("TORCH_HOME", str(config_dir / "torch"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def install_fonts() -> None:
    """Place the fonts Ultralytics would otherwise download into its config folder.

    Ultralytics fetches ``Arial.ttf`` when it checks a dataset or plots, whatever
    ``YOLO_OFFLINE`` says; matplotlib ships DejaVuSans, which serves instead.
    """
    import matplotlib

    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    target_dir = Path(os.environ["YOLO_CONFIG_DIR"]) / "Ultralytics"
    target_dir.mkdir(parents=True, exist_ok=True)
    for name in _FONT_NAMES:
        target = target_dir / name
        if not target.exists():
            shutil.copyfile(source, target)


def import_yolo() -> Any:
    """Ultralytics' ``YOLO`` class, with Pillow's own ``Image.open`` put back.

    Importing Ultralytics replaces ``PIL.Image.open`` process-wide with a wrapper
    that, for a file Pillow cannot identify, tries to install ``pi-heif``; offline
    that raises ``ModuleNotFoundError`` instead of Pillow's error, so an
    unreadable upload handled in the same process would crash instead of being
    reported. We read no HEIC pictures, so Pillow's original comes back.
    """
    install_fonts()
    from PIL import Image as PILImage
    from ultralytics import YOLO
    from ultralytics.utils import patches

    PILImage.open = getattr(patches, "_image_open", PILImage.open)
    return YOLO
