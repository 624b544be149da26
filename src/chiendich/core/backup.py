"""Backup and restore of a whole campaign: the database, the digitized result files and
the uploaded import files, in one tar archive with a SHA-256 manifest.

The database is snapshotted first and consistently while the site runs: SQLite's
online backup API copies every page in one step (a read transaction, so writers in
WAL mode go on), PostgreSQL's `pg_dump` reads in one repeatable-read snapshot. The
files are copied after it: result files are named by their SHA-256 and never
rewritten, and an upload is on disk before its job row commits, so every file the
snapshot names is in the archive (a file added later is an unused extra).

Restoring verifies every member against the manifest before anything is touched,
then replaces the database in one transaction (SQLite's backup API into the live
connection; `pg_restore --single-transaction`), then swaps the file folders in by
renaming; folders that held files are kept beside them as `<name>.replaced-<time>`.
A database that already holds campaign data is replaced only when forced. No model.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

FORMAT = "chiendich-backup"
VERSION = 1
MANIFEST = "manifest.json"
BLOCK = 1 << 20
DB_MEMBER = {"sqlite": "database/chiendich.sqlite3", "postgresql": "database/chiendich.pgdump"}
# Outcomes at the door accepted while the database was busy (field.inbox), not yet written.
INBOX_MEMBER = "database/field-inbox.sqlite3"


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why, in Vietnamese."""


@dataclass
class Summary:
    """What a backup wrote or a restore read: the archive, its members, and times."""

    path: Path
    vendor: str
    files: int = 0
    bytes: int = 0
    database_bytes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    replaced: list[Path] = field(default_factory=list)


def file_folders() -> dict[str, Path]:
    """The folders of files a campaign owns, by their name in the archive."""
    from chiendich.imports.models import imports_dir

    if "results" in settings.STORAGES:
        raise BackupError(
            "Kho kết quả dùng STORAGES['results'] (không phải thư mục trên máy): sao lưu tệp "
            "kết quả bằng công cụ của kho đó; lệnh này chỉ sao lưu thư mục CHIENDICH_RESULTS_DIR."
        )
    return {"results": Path(settings.RESULTS_STORAGE_DIR), "imports": imports_dir()}


def _vendor() -> str:
    if connection.vendor not in DB_MEMBER:
        raise BackupError(f"Không hỗ trợ sao lưu cơ sở dữ liệu {connection.vendor}.")
    return connection.vendor


def _applied_migrations() -> list[str]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.applied_migrations)


# --- PostgreSQL client tools ---------------------------------------------------------------


def _pg_env() -> dict[str, str]:
    """libpq's environment for the connection Django uses (the password never on argv)."""
    s = connection.settings_dict
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", s.get("HOST")),
        ("PGPORT", s.get("PORT")),
        ("PGUSER", s.get("USER")),
        ("PGPASSWORD", s.get("PASSWORD")),
        ("PGDATABASE", s.get("NAME")),
        ("PGSSLMODE", (s.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[key] = str(value)
    return env


def _pg_tool(tool: str, *args: str) -> None:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(
            f"Không tìm thấy {tool} (gói postgresql-client, cùng phiên bản chính với máy chủ)."
        )
    done = subprocess.run(  # noqa: S603 - the PostgreSQL client tool, fixed arguments
        [path, *args], env=_pg_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{tool} thất bại (mã {done.returncode}):\n{done.stderr.strip()}")


# --- backup ---------------------------------------------------------------------------------


def _snapshot(folder: Path, vendor: str) -> Path:
    """A consistent copy of the database in `folder`."""
    target = folder / PurePosixPath(DB_MEMBER[vendor]).name
    if vendor == "sqlite":
        connection.ensure_connection()
        source = connection.connection
        copy = sqlite3.connect(target)
        try:
            # pages=-1: every page in one step, inside one read transaction.
            source.backup(copy)
        finally:
            copy.close()
    else:
        _pg_tool("pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-f", str(target))
    return target


def _walk(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        for root, dirs, names in os.walk(folder):
            dirs.sort()
            for name in sorted(names):
                yield Path(root) / name


class _Hashing(io.RawIOBase):
    """Reads a file for tarfile while computing its SHA-256."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.sha = raw, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        self.sha.update(data)
        buffer[: len(data)] = data
        return len(data)


def _add(archive: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as raw:
        hashing = _Hashing(raw)
        archive.addfile(info, io.BufferedReader(hashing, BLOCK))
    return {"path": name, "size": info.size, "sha256": hashing.sha.hexdigest()}


def _open_for_writing(path: Path, final: Path) -> tarfile.TarFile:
    """gzip (level 1: result files are PDFs that barely compress) when `final` says so."""
    if final.name.endswith((".tar.gz", ".tgz")):
        return tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT, compresslevel=1)
    return tarfile.open(path, "w", format=tarfile.PAX_FORMAT)


def backup_create(path: Path, *, progress: Callable[[str], None] | None = None) -> Summary:
    """Write the campaign to the tar archive `path` (gzip when it ends in .tar.gz or .tgz).

    Written as `path`.partial and renamed at the end: an interrupted backup leaves no
    archive that looks whole.
    """
    from chiendich.field.inbox import inbox_snapshot

    say = progress or (lambda _msg: None)
    vendor = _vendor()
    folders = file_folders()
    summary = Summary(path=path, vendor=vendor)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    clock = timezone.now()
    with tempfile.TemporaryDirectory(prefix="chiendich-backup-", dir=path.parent) as tmp:
        started = dt.datetime.now(dt.UTC)
        # The field inbox first, then the database (see field.inbox.inbox_snapshot).
        inbox = Path(tmp) / PurePosixPath(INBOX_MEMBER).name
        has_inbox = inbox_snapshot(inbox)
        dump = _snapshot(Path(tmp), vendor)
        migrations = _applied_migrations()
        summary.seconds["database"] = (dt.datetime.now(dt.UTC) - started).total_seconds()
        say(f"Cơ sở dữ liệu ({vendor}): {dump.stat().st_size:,} byte")
        started = dt.datetime.now(dt.UTC)
        entries = []
        with _open_for_writing(partial, path) as tar:
            tar.copybufsize = BLOCK  # type: ignore[attr-defined]  # 1 MiB reads, not 16 KiB
            entries.append(_add(tar, dump, DB_MEMBER[vendor]))
            summary.database_bytes = entries[0]["size"]
            if has_inbox:
                entries.append(_add(tar, inbox, INBOX_MEMBER))
            for name, folder in folders.items():
                for file in _walk(folder):
                    member = f"{name}/{file.relative_to(folder).as_posix()}"
                    entries.append(_add(tar, file, member))
                    summary.files += 1
                    summary.bytes += entries[-1]["size"]
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": clock.isoformat(),
                "database": {"vendor": vendor, "member": DB_MEMBER[vendor]},
                "field_inbox": INBOX_MEMBER if has_inbox else None,
                "migrations": migrations,
                "folders": sorted(folders),
                "members": entries,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(clock.timestamp())
            tar.addfile(info, io.BytesIO(data))
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        partial.replace(path)
        summary.seconds["files"] = (dt.datetime.now(dt.UTC) - started).total_seconds()
    say(f"Tệp: {summary.files:,} ({summary.bytes:,} byte)")
    return summary


# --- restore --------------------------------------------------------------------------------


def _our_models() -> list[Any]:
    return [m for m in apps.get_models() if m.__module__.startswith("chiendich.")]


def database_has_data() -> bool:
    """Whether any table of ours holds a row (a database never migrated holds none)."""
    tables = set(connection.introspection.table_names())
    for model in _our_models():
        if model._meta.db_table in tables and model._default_manager.exists():
            return True
    return False


def _safe_member(name: str) -> PurePosixPath:
    member = PurePosixPath(name)
    if member.is_absolute() or ".." in member.parts or not member.parts:
        raise BackupError(f"Bản sao lưu có đường dẫn không hợp lệ: {name}")
    return member


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:*") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(member.read())
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{path}: không phải bản sao lưu chiendich đọc được ({exc}).") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"{path}: định dạng bản sao lưu không đúng ({manifest.get('format')}).")
    return manifest


def _extract_verified(path: Path, manifest: dict[str, Any], staging: dict[str, Path]) -> None:
    """Every member written under its staging folder, each checked against the manifest:
    same size, same SHA-256, none missing, none extra."""
    expected = {m["path"]: m for m in manifest["members"]}
    seen: set[str] = set()
    with tarfile.open(path, "r:*") as tar:
        for info in tar:
            if info.name == MANIFEST:
                continue
            member = _safe_member(info.name)
            entry = expected.get(info.name)
            if entry is None or not info.isfile():
                raise BackupError(f"{path}: '{info.name}' không có trong bảng kê (manifest).")
            target = staging[member.parts[0]].joinpath(*member.parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(info)
            assert source is not None  # noqa: S101 - a regular file, checked above
            sha, size = hashlib.sha256(), 0
            with target.open("wb") as out:
                while block := source.read(BLOCK):
                    sha.update(block)
                    size += len(block)
                    out.write(block)
            if size != entry["size"] or sha.hexdigest() != entry["sha256"]:
                raise BackupError(
                    f"{path}: '{info.name}' không khớp SHA-256 trong bảng kê: bản sao lưu "
                    "bị hỏng hoặc bị sửa; không khôi phục gì."
                )
            seen.add(info.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{path}: thiếu {len(missing)} tệp của bảng kê, ví dụ {missing[0]}.")


def _check_migrations(manifest: dict[str, Any]) -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = {f"{app}.{name}" for app, name in loader.disk_migrations}
    unknown = sorted(set(manifest["migrations"]) - known)
    if unknown:
        raise BackupError(
            f"Bản sao lưu từ một phiên bản chiendich mới hơn (migration {unknown[0]} chưa có "
            "ở đây): cập nhật chiendich rồi khôi phục."
        )


def _restore_database(vendor: str, dump: Path) -> None:
    connection.close()
    if vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(dump)
        try:
            # Replaces every page of the live database in one step, under its write lock.
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        _pg_tool(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            str(connection.settings_dict["NAME"]),
            str(dump),
        )
    connection.close()


def _swap_in(staged: Path, target: Path, stamp: str) -> Path | None:
    """Put the restored folder in place; a folder that held files is kept beside it."""
    kept = None
    if target.exists():
        if any(_walk(target)):
            kept = target.with_name(f"{target.name}.replaced-{stamp}")
            target.rename(kept)
        else:
            shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged.rename(target)
    return kept


def backup_verify(path: Path) -> dict[str, Any]:
    """Check every member of the archive against its manifest; change nothing."""
    manifest = _read_manifest(path)
    with tempfile.TemporaryDirectory(prefix="chiendich-verify-") as tmp:
        staging = {n: Path(tmp) / n for n in ["database", *manifest["folders"]]}
        _extract_verified(path, manifest, staging)
    return manifest


def backup_restore(
    path: Path, *, force: bool = False, progress: Callable[[str], None] | None = None
) -> Summary:
    """Restore the archive `path` into this installation's database and folders."""
    from chiendich.field.inbox import inbox_replace

    say = progress or (lambda _msg: None)
    manifest = _read_manifest(path)
    vendor = _vendor()
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"Bản sao lưu của cơ sở dữ liệu {manifest['database']['vendor']}, nơi khôi phục là "
            f"{vendor}: khôi phục vào cùng loại cơ sở dữ liệu."
        )
    _check_migrations(manifest)
    name = str(connection.settings_dict["NAME"])
    if vendor == "sqlite" and name != ":memory:" and "mode=memory" not in name:
        # A new machine: the data folder, and so the database file, may not exist yet.
        Path(name).parent.mkdir(parents=True, exist_ok=True)
    try:
        has_data = database_has_data()
    except DatabaseError as exc:
        raise BackupError(f"Không đọc được cơ sở dữ liệu đích: {exc}") from exc
    if has_data and not force:
        raise BackupError(
            "Cơ sở dữ liệu đích đã có dữ liệu chiến dịch: khôi phục sẽ thay toàn bộ. "
            "Dừng máy chủ web và db_worker, sao lưu dữ liệu hiện có nếu cần, rồi chạy lại "
            "với --force."
        )
    folders = file_folders()
    unknown = set(manifest["folders"]) - set(folders)
    if unknown:
        raise BackupError(f"Bản sao lưu có thư mục không biết: {sorted(unknown)}.")
    summary = Summary(path=path, vendor=vendor)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    # Staged beside where each part goes, so putting it in place is a rename.
    parents = {"database": Path(settings.DATA_DIR), **{n: f.parent for n, f in folders.items()}}
    staging_root: dict[str, Path] = {}
    try:
        for name, parent in parents.items():
            parent.mkdir(parents=True, exist_ok=True)
            staging_root[name] = Path(tempfile.mkdtemp(prefix=f".{name}.restore-", dir=parent))
        staging = {name: root / name for name, root in staging_root.items()}
        started = dt.datetime.now(dt.UTC)
        _extract_verified(path, manifest, staging)
        summary.seconds["verify"] = (dt.datetime.now(dt.UTC) - started).total_seconds()
        say("Bảng kê SHA-256: mọi tệp khớp")
        database_members = {manifest["database"]["member"], manifest.get("field_inbox")}
        members = [m for m in manifest["members"] if m["path"] not in database_members]
        summary.files = len(members)
        summary.bytes = sum(m["size"] for m in members)
        started = dt.datetime.now(dt.UTC)
        dump = staging["database"] / PurePosixPath(manifest["database"]["member"]).name
        summary.database_bytes = dump.stat().st_size
        _restore_database(vendor, dump)
        inbox = manifest.get("field_inbox")
        staged_inbox = staging["database"] / PurePosixPath(inbox).name if inbox else None
        kept_inbox = inbox_replace(staged_inbox, stamp)
        if kept_inbox is not None:
            summary.replaced.append(kept_inbox)
        summary.seconds["database"] = (dt.datetime.now(dt.UTC) - started).total_seconds()
        say(f"Cơ sở dữ liệu ({vendor}) đã khôi phục")
        started = dt.datetime.now(dt.UTC)
        for name, folder in folders.items():
            staged = staging[name]
            staged.mkdir(parents=True, exist_ok=True)
            kept = _swap_in(staged, folder, stamp)
            if kept is not None:
                summary.replaced.append(kept)
        summary.seconds["files"] = (dt.datetime.now(dt.UTC) - started).total_seconds()
    finally:
        for root in staging_root.values():
            shutil.rmtree(root, ignore_errors=True)
    # Cached dashboard figures belong to the data that was there before.
    cache.clear()
    return summary
