"""The Vietnamese catalogue is complete and its compiled .mo is up to date."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
_ENTRY = re.compile(r'^(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', re.M)


def po_entries(path: Path) -> dict[str, str]:
    def join(block: str) -> str:
        return (
            "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block))
            .encode()
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8")
        )

    def key(match: re.Match[str]) -> str:
        # A message with a context is stored as "context\x04message", as gettext looks it up.
        context = match.group(1)
        return (join(context) + "\x04" if context else "") + join(match.group(2))

    text = path.read_text(encoding="utf-8")
    return {key(m): join(m.group(3)) for m in _ENTRY.finditer(text) if join(m.group(2))}


def test_every_message_has_a_vietnamese_translation() -> None:
    po = LOCALE / "vi" / "LC_MESSAGES" / "django.po"
    assert "#, fuzzy" not in po.read_text(encoding="utf-8")
    untranslated = [k for k, v in po_entries(po).items() if not v]
    assert not untranslated


@pytest.mark.parametrize("language", ["vi"])
def test_compiled_catalogue_matches_the_po_file(language: str) -> None:
    base = LOCALE / language / "LC_MESSAGES"
    with (base / "django.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    stale = {k: v for k, v in po_entries(base / "django.po").items() if compiled.gettext(k) != v}
    assert not stale, "run `chiendich compilemessages` (cd src/chiendich)"


def test_text_is_stored_as_nfc() -> None:
    import unicodedata

    from chiendich.core.text import clean, fold

    decomposed = unicodedata.normalize("NFD", "Thị trấn Chợ Gạo")
    assert clean(decomposed) == "Thị trấn Chợ Gạo"
    assert fold("Đồng Tháp") == fold("dong thap") == "dong thap"
