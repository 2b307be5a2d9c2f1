"""Report library pictures whose files are missing and files no picture names; ``--rebuild`` and ``--remove`` fix
what can be fixed."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.libraryfiles import UNCLAIMED_GRACE_SECONDS, check_library, rebuild_copies


class Command(BaseCommand):
    help = (
        "Find library pictures whose files are missing from media/ (after a restore from backups of different days, or a "
        "full disk) and files under media/images, media/display and media/thumbs that no picture names. --rebuild makes "
        "lost display copies and thumbnails again from the originals; --remove deletes the files no picture names."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="Make missing display copies and thumbnails again from the originals.")
        parser.add_argument("--remove", action="store_true", help="Delete the files no picture names (older than an hour).")

    def handle(self, *args: Any, rebuild: bool = False, remove: bool = False, **options: Any) -> None:
        check = check_library()
        if not check:
            self.stdout.write("The library is whole: every picture has its files and every file under media/ has its picture.")
            return
        for image in check.without_original:
            self.stdout.write(
                f'picture "{image.original_name}" (id {image.pk}{f", lot {image.wire_group}" if image.wire_group else ""}): '
                f"its original media/{image.file.name} is missing; copy it back from the backup, or delete the picture in the library"
            )
        failed: list[str] = []
        for image, names in check.rebuildable:
            missing = ", ".join(f"media/{name}" for name in names if name) or "its display copy or thumbnail"
            if not rebuild:
                self.stdout.write(f'picture "{image.original_name}" (id {image.pk}): {missing} missing, can be rebuilt from its original')
            elif problem := rebuild_copies(image):
                failed.append(f'picture "{image.original_name}" (id {image.pk}): {problem}.')
            else:
                self.stdout.write(f'rebuilt for picture "{image.original_name}" (id {image.pk}): {missing}')
        for name in check.unclaimed:
            if remove:
                default_storage.delete(name)
                self.stdout.write(f"removed file no picture names: media/{name}")
            else:
                self.stdout.write(f"file no picture names: media/{name}")
        for name in check.unclaimed_recent:
            self.stdout.write(
                f"file no picture names, written in the last {UNCLAIMED_GRACE_SECONDS // 60} minutes (an upload may still be "
                f"storing it): media/{name}; left alone"
            )
        for name in check.being_stored:
            self.stdout.write(
                f"file an import still running has stored (its picture is saved when the import ends): media/{name}; left alone"
            )
        hints = []
        if check.rebuildable and not rebuild:
            hints.append("--rebuild to make the missing display copies and thumbnails again")
        if check.unclaimed and not remove:
            hints.append("--remove to delete the files no picture names")
        if hints:
            self.stdout.write(f"Run again with {' and '.join(hints)}.")
        if failed:  # the library is not whole: a script must not take this run for a success
            raise CommandError(f"{len(failed)} picture{'s' if len(failed) != 1 else ''} could not be rebuilt: {' '.join(failed)}")
