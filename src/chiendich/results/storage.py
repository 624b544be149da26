"""Where result files live: a Django storage backend, never the database.

By default a FileSystemStorage at settings.RESULTS_STORAGE_DIR (env
CHIENDICH_RESULTS_DIR, else $CHIENDICH_DATA_DIR/results); a deployment that
wants S3 or another backend declares it as STORAGES["results"] and nothing
else changes. Names are content-addressed ("ab/cd/abcd…ef.pdf" from the
SHA-256), so storing the same bytes twice writes one file, and a file whose
bytes changed on disk no longer matches its own name (verify.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage, storages

STORAGE_ALIAS = "results"
BLOCK = 1 << 20


def result_storage() -> Storage:
    """The storage result files are written to (read settings each time, so tests can
    point it at a temporary folder with override_settings)."""
    if STORAGE_ALIAS in settings.STORAGES:
        return storages[STORAGE_ALIAS]
    return FileSystemStorage(location=settings.RESULTS_STORAGE_DIR)


EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
}


def sniff_content_type(head: bytes) -> str | None:
    """The type of a result file from its first bytes (PDF, JPEG, PNG, TIFF); None for
    anything else. The name's extension is not trusted: a renamed .docx is refused."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return None


def sha256_of(handle: IO[bytes]) -> str:
    """SHA-256 of an open binary file, read in 1 MiB blocks from the start."""
    handle.seek(0)
    digest = hashlib.sha256()
    while block := handle.read(BLOCK):
        digest.update(block)
    handle.seek(0)
    return digest.hexdigest()


def name_for(sha256: str, content_type: str) -> str:
    """The content-addressed name of a file: two levels of folders keep each one small."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{EXTENSIONS.get(content_type, '')}"


def file_put(content: bytes, sha256: str, content_type: str) -> tuple[str, bool]:
    """Write `content` under its content address unless a file is already there.

    Returns (name, written). An existing file is left untouched (same address, same
    bytes: an earlier import that failed may have left it). Raises if the storage
    renamed the file, which would break the address.
    """
    storage = result_storage()
    name = name_for(sha256, content_type)
    if storage.exists(name):
        return name, False
    saved = storage.save(name, ContentFile(content))
    if saved != name:  # a race with another writer of the same bytes
        storage.delete(saved)
    return name, True


def file_delete(name: str) -> None:
    """Remove a file this process wrote for a transaction that rolled back."""
    storage = result_storage()
    if storage.exists(name):
        storage.delete(name)


def file_open(name: str) -> File:  # type: ignore[type-arg]
    return result_storage().open(name, "rb")


def stored_sha256(name: str) -> str | None:
    """SHA-256 of the stored file `name` as it is now; None when it is missing."""
    storage = result_storage()
    if not storage.exists(name):
        return None
    with storage.open(name, "rb") as handle:
        digest = hashlib.sha256()
        for chunk in _chunks(handle):
            digest.update(chunk)
    return digest.hexdigest()


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while block := handle.read(BLOCK):
        yield block
