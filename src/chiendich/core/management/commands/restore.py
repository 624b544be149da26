"""`chiendich restore FILE [--force] [--check]`: put a `chiendich backup` archive back.

Every file is checked against the archive's SHA-256 manifest before anything changes.
A database that already holds campaign data is replaced only with --force; stop the
web server and `db_worker` first. --check verifies the archive and changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chiendich.core.backup import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = (
        "Restore a backup archive (database, result files, uploads) after verifying its manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="an archive written by `chiendich backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds campaign data",
        )
        parser.add_argument(
            "--check", action="store_true", help="verify the archive only; change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Không có tệp {path}.")
        try:
            if options["check"]:
                manifest = backup_verify(path)
                self.stdout.write(
                    f"{path}: {len(manifest['members']):,} tệp khớp bảng kê SHA-256 "
                    f"(sao lưu lúc {manifest['created_at']}, {manifest['database']['vendor']})."
                )
                return
            summary = backup_restore(
                path, force=options["force"], progress=lambda m: self.stdout.write(f"  ✓ {m}")
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for kept in summary.replaced:
            self.stdout.write(f"  Thư mục cũ được giữ tại {kept}")
        seconds = sum(summary.seconds.values())
        self.stdout.write(
            f"Đã khôi phục {path}: cơ sở dữ liệu {summary.vendor} và {summary.files:,} tệp, "
            f"{seconds:.1f} giây. Khởi động lại máy chủ web và db_worker."
        )
