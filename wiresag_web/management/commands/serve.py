"""Run the web server (daphne) and the background worker (django-q2) together.

Ctrl+C (SIGINT) or SIGTERM stops both. If either dies, the other is stopped too,
so a half-running app never hides a crash.

Both children die with this process (parent-death signal, Linux). The worker runs in its own
process group, and every process of that group is killed when serve stops: a worker cluster
never outlives the command that started it, so a restart never runs two clusters.
"""

from __future__ import annotations

import errno
import functools
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.datafolder import DataFolderProblem, check_data_folder
from training.worker_processes import die_with_parent


class Command(BaseCommand):
    help = "Start the web server and the training worker; Ctrl+C stops both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="Start only the web server.")
        parser.add_argument(
            "--web-processes",
            type=int,
            default=None,
            help="Web server processes sharing the port (default WIRESAG_WEB_PROCESSES, 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            check_data_folder()
        except DataFolderProblem as problem:
            raise CommandError(str(problem)) from None
        python = sys.executable
        web_processes = settings.WEB_PROCESSES if options["web_processes"] is None else options["web_processes"]
        if web_processes < 1:
            raise CommandError("--web-processes must be 1 or more.")
        if not 1 <= options["port"] <= 65535:
            raise CommandError(f"--port {options['port']} is not a TCP port: give a number from 1 to 65535, for example 8000.")
        try:
            listener = listening_socket(options["host"], options["port"]) if web_processes > 1 else None
        except OSError as error:  # a port in use (a second serve), or a host name that does not resolve
            in_use = error.errno == errno.EADDRINUSE
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']} ({error.strerror or error}): "
                + (
                    "the port is in use, by another Wiresag or another program; stop it, or choose another --port."
                    if in_use
                    else "check --host (an address or a name of this machine) and --port."
                )
            ) from None
        commands: dict[str, list[str]] = {}
        for index in range(web_processes):
            where = ["--fd", str(listener.fileno())] if listener else ["-b", options["host"], "-p", str(options["port"])]
            commands[f"web-{index + 1}" if listener else "web"] = [
                python,
                "-m",
                "wiresag_web.server",
                *where,
                "wiresag_web.asgi:application",
            ]
        if not options["no_worker"]:
            commands["worker"] = [python, str(settings.BASE_DIR / "manage.py"), "worker"]
        tie_to_serve = functools.partial(die_with_parent, os.getpid())
        # One key for all: in development mode (no WIRESAG_SECRET_KEY) each process would make its own, and the worker
        # would drop every job the web server queued as wrongly signed ("Waiting for a worker." for ever).
        environment = {**os.environ, "WIRESAG_SECRET_KEY": settings.SECRET_KEY}
        processes = {
            # The worker gets a process group of its own (its id is the worker's pid), so it can be ended whole.
            name: subprocess.Popen(
                cmd,
                cwd=settings.BASE_DIR,
                env=environment,
                preexec_fn=tie_to_serve,
                process_group=0 if name == "worker" else None,
                pass_fds=(listener.fileno(),) if listener and name != "worker" else (),
            )
            for name, cmd in commands.items()
        }
        self.stdout.write(f"Wiresag is starting on http://{options['host']}:{options['port']}/ (Ctrl+C stops it).")
        if note := allowed_hosts_note(options["host"], settings.ALLOWED_HOSTS):
            self.stdout.write(self.style.WARNING(note))
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, process in processes.items():
                    code = process.poll()
                    if code is not None:
                        self.stderr.write(f"The {name} process stopped (exit code {code}); stopping Wiresag.")
                        exit_code = code or 1
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    # SIGTERM, not SIGINT: a process started in the background (nohup, a script's "&", some
                    # service managers) ignores SIGINT, and daphne then ran on until it was killed 20 s later.
                    process.terminate()
            deadline = time.monotonic() + 20
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
            if "worker" in processes:
                end_process_group(processes["worker"].pid)
        self.stdout.write("Wiresag stopped.")
        if exit_code:
            sys.exit(exit_code)


LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def allowed_hosts_note(host: str, allowed: list[str]) -> str:
    """What to set when serve listens for other machines but the app answers only to this one's names, or "".

    Django refuses a host name not in ALLOWED_HOSTS (400; the page names the setting, ``wiresag_web.views.bad_request``):
    an operator who started with ``WIRESAG_HOST=0.0.0.0`` so colleagues could reach it learns it only from them.
    """
    if host in LOOPBACK_NAMES or host.startswith("127.") or any(name not in LOOPBACK_NAMES for name in allowed):
        return ""
    return (
        f"Listening on {host}, but the app answers only to {', '.join(allowed) or 'no host name'} "
        '(WIRESAG_ALLOWED_HOSTS): other machines get "Request refused" (400). Set WIRESAG_ALLOWED_HOSTS to the names or '
        "addresses they use to reach this one (comma-separated, for example inspect.factory.local,10.0.0.5) and start again."
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """One listening socket the web processes share (daphne ``--fd``): the kernel spreads connections over them.

    Django runs synchronous views one at a time in each daphne process; several processes on the
    same port serve several requests at once (bench/bench_annotations.py --web-processes).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(256)
    listener.set_inheritable(True)
    return listener


def end_process_group(group_id: int) -> None:
    """SIGKILL what is left of a process group (a child the stopped cluster left behind)."""
    try:
        os.killpg(group_id, signal.SIGKILL)
    except ProcessLookupError:
        pass
