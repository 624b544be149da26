"""`chiendich backup FILE`: the campaign (database, result files, uploads) in one archive.

FILE.tar, or FILE.tar.gz for gzip (slower; result files are PDFs that barely compress).
Safe while the site runs: the database is read in one consistent snapshot
(core/backup.py). `chiendich restore FILE` puts it back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database, result files and uploads into one tar archive with a SHA-256 manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the archive to write (.tar or .tar.gz)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if path.exists():
            raise CommandError(f"{path} đã có: chọn tên khác (bản sao lưu không ghi đè).")
        try:
            summary = backup_create(path, progress=lambda m: self.stdout.write(f"  ✓ {m}"))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        seconds = sum(summary.seconds.values())
        self.stdout.write(
            f"Đã sao lưu vào {path}: cơ sở dữ liệu {summary.vendor} và {summary.files:,} tệp, "
            f"{path.stat().st_size:,} byte, {seconds:.1f} giây."
        )
