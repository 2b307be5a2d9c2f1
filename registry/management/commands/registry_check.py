"""Report model files without rows and rows without files; ``--remove`` cleans them up."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry import versions as registry


class Command(BaseCommand):
    help = "Find model files no version points to, and versions whose file is gone (--remove deletes both)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--remove", action="store_true", help="Delete the orphan files and the rows without files.")

    def handle(self, *args: Any, remove: bool = False, **options: Any) -> None:
        orphans = registry.find_orphans()
        if not orphans:
            self.stdout.write("No orphans: every model file has a version and every version has its file.")
            return
        for path in orphans.files_without_rows:
            if remove:
                path.unlink(missing_ok=True)
                self.stdout.write(f"removed file without a version: {path}")
            else:
                self.stdout.write(f"file without a version: {path}")
        kept = []
        for version in orphans.rows_without_files:
            if not remove:
                self.stdout.write(f"version without a file: {version.name} ({version.file_path})")
                continue
            try:
                registry.delete_version(version, None)
            except registry.RegistryError as error:
                kept.append(str(error))
            else:
                self.stdout.write(f"removed version without a file: {version.name}")
        if not remove:
            self.stdout.write("Run again with --remove to delete them.")
        if kept:  # the store is not clean: a script must not take this run for a success
            versions = "version without a file was" if len(kept) == 1 else "versions without a file were"
            raise CommandError(f"{len(kept)} {versions} kept: {' '.join(kept)}")
