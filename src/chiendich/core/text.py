"""Vietnamese text helpers shared by imports, search and matching.

Unicode does not decompose đ/Đ (they are letters, not d + a mark), so folding
maps them explicitly; everything else loses its combining marks after NFD.
"""

import re
import unicodedata

_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})
_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return `text` in NFC, the form we store all Vietnamese text in."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case, diacritic-free, single-spaced form of `text` for matching.

    >>> fold("  Thị   trấn Chợ Gạo ")
    'thi tran cho gao'
    >>> fold("ĐỒNG THÁP")
    'dong thap'
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped).strip().lower()


def clean(text: str) -> str:
    """NFC with runs of whitespace collapsed and the ends trimmed: how names are stored."""
    return _SPACES.sub(" ", nfc(text)).strip()
