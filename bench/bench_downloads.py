"""Benchmark a big download (a library export, an inspection zip) from daphne on loopback.

The web process's memory peak (``VmHWM``) while one client downloads a file of ``--megabytes``, the
time to its first byte and the whole time, for the app as it is and, in the same run, for the same
app without ``wiresag_web.middleware.DownloadsInPieces`` (Django alone, whose ASGI handler reads a
file response whole into a list before sending any of it). The client reads as fast as it can; a
slower client leaves more in daphne's send buffer (it has no back-pressure) in both cases.
Run: ``.venv/bin/python bench/bench_downloads.py [--megabytes 256]`` (uses a throwaway data folder).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=256, help="size of the file downloaded")
    return parser.parse_args()


ARGS = arguments() if __name__ == "__main__" else argparse.Namespace(megabytes=1)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._scratch import throwaway_folder  # noqa: E402
from bench._server import daphne, free_port, production_environment  # noqa: E402

DATA_DIR = throwaway_folder("wiresag-bench-")
os.environ.update(production_environment(DATA_DIR))

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.users import create_user_with_role  # noqa: E402

PASSWORD = "bench password 123"
#: Settings of the same app without the middleware: the baseline, Django's own handling.
PLAIN_SETTINGS = """from wiresag_web.settings import *  # noqa: F403
MIDDLEWARE = [m for m in MIDDLEWARE if m != "wiresag_web.middleware.DownloadsInPieces"]  # noqa: F405
"""


def memory_peak_mb(pid: int) -> float:
    """The process's resident memory peak so far (``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc: this benchmark needs Linux")


def measure(path: str) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with daphne(port) as server:
        session = requests.Session()
        session.get(f"{base}/login/")
        form = {"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
        session.post(f"{base}/login/", data=form).raise_for_status()
        session.get(f"{base}/library/").raise_for_status()  # the app warmed up before its memory is read
        before = memory_peak_mb(server.pid)
        start = time.perf_counter()
        received, first = 0, 0.0
        with session.get(f"{base}{path}", stream=True) as response:
            response.raise_for_status()
            for piece in response.iter_content(chunk_size=1024 * 1024):
                first = first or time.perf_counter() - start
                received += len(piece)
        whole = time.perf_counter() - start
        return {"received": received / 1e6, "first": first, "whole": whole, "peak": memory_peak_mb(server.pid) - before}


def main() -> None:
    call_command("migrate", verbosity=0)
    create_user_with_role("bench", PASSWORD, "engineer")
    folder = Path(settings.MEDIA_ROOT) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    piece = os.urandom(1024 * 1024)
    with (folder / "big.bin").open("wb") as out:
        for _ in range(ARGS.megabytes):
            out.write(piece)
    (Path(DATA_DIR) / "plain_settings.py").write_text(PLAIN_SETTINGS)
    results = {"Wiresag (DownloadsInPieces)": measure("/media/exports/big.bin")}
    os.environ.update({"DJANGO_SETTINGS_MODULE": "plain_settings", "PYTHONPATH": DATA_DIR})
    results["Django alone (baseline)"] = measure("/media/exports/big.bin")
    base = results["Django alone (baseline)"]
    print(f"one client downloading a {ARGS.megabytes} MiB file from daphne on loopback:")
    for name, r in results.items():
        print(
            f"  {name:28s} web process memory +{r['peak']:7.1f} MB ({r['peak'] / base['peak']:.2f}x baseline), "
            f"first byte {r['first']:6.2f} s ({r['first'] / base['first']:.2f}x), whole {r['whole']:6.2f} s "
            f"({r['whole'] / base['whole']:.2f}x), {r['received']:.0f} MB received"
        )


if __name__ == "__main__":
    main()
