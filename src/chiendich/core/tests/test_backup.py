"""`chiendich backup` and `chiendich restore` on a small demo campaign (SQLite, and
PostgreSQL when DATABASE_URL names one): every dashboard figure is the same after a
restore into an empty database, a damaged archive restores nothing, and data is
replaced only with --force."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from chiendich.accounts.models import User
from chiendich.core.backup import MANIFEST, database_has_data
from chiendich.results.models import Result
from chiendich.units.models import Unit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaign(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo at 0.2% of the people, with its result files and an upload on disk."""
    monkeypatch.setenv("CHIENDICH_DEMO_SCALE", "0.002")
    settings.DATA_DIR = tmp_path / "var"
    settings.RESULTS_STORAGE_DIR = tmp_path / "var" / "results"
    call_command("demo", "--no-serve", stdout=StringIO())
    upload = settings.DATA_DIR / "imports" / "0f1e2d3c" / "danh-sach.csv"
    upload.parent.mkdir(parents=True)
    upload.write_text("Số định danh cá nhân,Họ và tên\n", encoding="utf-8")
    return Path(settings.DATA_DIR)


def cli(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def figures() -> dict[str, str]:
    """Every figure the province's dashboard, commands and API show."""
    cache.clear()
    chairman = Client()
    chairman.force_login(User.objects.get(username="chutich"))
    page = chairman.get("/don-vi/82/").content.decode()
    commune = chairman.get("/don-vi/28597/?ngay=2023-09-15").content.decode()
    xlsx = chairman.get("/don-vi/82/bang-chi-so.xlsx")
    csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    return {
        "page": csrf.sub("", page),
        "commune page": csrf.sub("", commune),
        "xlsx rows": str(len(xlsx.content) > 0),
        "progress": cli("progress", "--unit", "82", "--date", "2023-10-18", "--format", "json"),
        "kpi": cli(
            "kpi", "--unit", "82", "--from", "2023-09-01", "--to", "2023-10-30", "--format", "json"
        ),
        "completeness": cli("reports", "completeness", "--date", "2023-10-18", "--format", "json"),
        "api progress": chairman.get("/api/units/82/progress/?date=2023-10-18").content.decode(),
        "results": json.dumps(sorted(Result.objects.values_list("sha256", flat=True))),
        "units": str(Unit.objects.count()),
    }


def damage(archive: Path, target: Path) -> None:
    """A copy of `archive` with one byte of one result file changed, its manifest kept."""
    with tarfile.open(archive) as src, tarfile.open(target, "w") as dst:
        changed = False
        for info in src:
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name.startswith("results/") and not changed:
                data = bytes([data[0] ^ 1]) + data[1:]
                changed = True
            dst.addfile(info, io.BytesIO(data))
    assert changed


def empty(campaign: Path) -> None:
    """An empty database and no files: as on a new machine."""
    call_command("flush", interactive=False, verbosity=0)
    for folder in ("results", "imports"):
        for p in sorted((campaign / folder).rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
    assert not database_has_data()


# One demo build (the slow part) for the whole cycle.
def test_backup_and_restore(campaign: Path, tmp_path: Path) -> None:
    before = figures()
    assert '"activated"' in before["progress"] and json.loads(before["results"])
    archive = tmp_path / "sao-luu.tar"
    assert "Đã sao lưu" in cli("backup", str(archive))

    # The manifest names every file of the folders, each with its SHA-256.
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        names = set(tar.getnames())
        for entry in manifest["members"]:
            data = tar.extractfile(entry["path"]).read()  # type: ignore[union-attr]
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    stored = {p.relative_to(campaign).as_posix() for p in campaign.rglob("*") if p.is_file()}
    for folder in ("results", "imports"):
        assert {n for n in names if n.startswith(f"{folder}/")} == {
            s for s in stored if s.startswith(f"{folder}/")
        }
    assert "imports/0f1e2d3c/danh-sach.csv" in names
    assert "khớp bảng kê" in cli("restore", str(archive), "--check")

    # Over data: refused without --force, nothing changed.
    with pytest.raises(CommandError, match="--force"):
        cli("restore", str(archive))
    assert figures() == before

    # A damaged archive restores nothing, even into an empty database.
    damaged = tmp_path / "hong.tar"
    damage(archive, damaged)
    with pytest.raises(CommandError, match="SHA-256"):
        cli("restore", str(damaged), "--check")
    empty(campaign)
    with pytest.raises(CommandError, match="SHA-256"):
        cli("restore", str(damaged))
    assert not database_has_data()
    assert not any((campaign / "results").rglob("*.pdf"))

    # Into an empty database: every figure as before, every file back and intact.
    assert "Đã khôi phục" in cli("restore", str(archive))
    assert figures() == before
    assert "Mọi tệp đều khớp mã băm SHA-256." in cli("results", "verify")
    assert (campaign / "imports" / "0f1e2d3c" / "danh-sach.csv").read_text(encoding="utf-8")

    # Over changed data with --force: the backup's state again; old files kept aside.
    Unit.objects.filter(code="28597").update(name="Đổi tên sau sao lưu")
    gz = tmp_path / "sao-luu.tar.gz"
    cli("backup", str(gz))
    Unit.objects.filter(code="28597").update(name="Đổi lần nữa")
    out = cli("restore", str(gz), "--force")
    assert "Thư mục cũ được giữ" in out and list(campaign.glob("results.replaced-*"))
    assert Unit.objects.get(code="28597").name == "Đổi tên sau sao lưu"
    Unit.objects.filter(code="28597").update(name="Xã Trung Hòa")
    assert figures() == before


def test_restore_on_a_new_machine(campaign: Path, tmp_path: Path) -> None:
    """`chiendich restore` into a data folder that does not exist yet (SQLite), or an empty
    PostgreSQL database never migrated."""
    if connection.vendor != "sqlite":
        pytest.skip("a new SQLite data folder; PostgreSQL's empty database is tested above")
    archive = tmp_path / "sao-luu.tar"
    cli("backup", str(archive))
    progress = cli("progress", "--unit", "82", "--date", "2023-10-18", "--format", "json")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["CHIENDICH_DATA_DIR"] = str(tmp_path / "may-moi" / "var")
    env.pop("CHIENDICH_RESULTS_DIR", None)

    def chiendich(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 - our own interpreter and package
            [sys.executable, "-m", "chiendich", *args],
            env=env, capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "Đã khôi phục" in chiendich("restore", str(archive))
    restored = chiendich("progress", "--unit", "82", "--date", "2023-10-18", "--format", "json")
    assert json.loads(restored) == json.loads(progress)
    assert "Mọi tệp đều khớp mã băm SHA-256." in chiendich("results", "verify")


def test_backup_refuses_to_overwrite(tmp_path: Path) -> None:
    archive = tmp_path / "sao-luu.tar"
    archive.write_bytes(b"")
    with pytest.raises(CommandError, match="đã có"):
        cli("backup", str(archive))
