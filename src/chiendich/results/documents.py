"""What is read out of a result and how it is made searchable.

Text comes only from PDFs that carry a text layer (born-digital, or scanned and
already OCRed by the scanner), through pypdfium2; a scan without one is
flagged for an officer to check its metadata: we make no OCR promise.

Matching ignores case and diacritics and folds đ/Đ to d explicitly (core.text.fold):
Unicode does not decompose đ, and neither SQLite FTS5's remove_diacritics nor
PostgreSQL's unaccent can be relied on to treat it the same in the index and
in a query, so the folded text is what gets indexed, and queries are folded
the same way before they reach the database.
"""

from __future__ import annotations

import re

from chiendich.core.text import fold, nfc

# Fewer letters than this is a scan: at most a page number or a scanner's stamp.
MIN_TEXT_CHARS = 16
# Text kept per result: a decision's first pages say what it is about.
MAX_TEXT_CHARS = 20_000
_NUMBER_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[0-9a-z]+")


def number_key(number_symbol: str) -> str:
    """The exact-lookup form of a number and symbol: "123/QĐ-UBND" -> "123/qd-ubnd"
    (folded, spaces dropped: officers type "123 / QĐ - UBND" too)."""
    return _NUMBER_SPACES.sub("", fold(number_symbol))


def looks_like_number(query: str) -> bool:
    """A query an officer typed as a document number ("123/QĐ-UBND", "45/2023/GCN")."""
    return "/" in query and any(c.isdigit() for c in query) and len(query.split()) <= 3


def pdf_text(content: bytes) -> str:
    """The text layer of a PDF in NFC (empty when it has none, or cannot be read)."""
    import pypdfium2 as pdfium

    parts: list[str] = []
    size = 0
    try:
        pdf = pdfium.PdfDocument(content)
    except pdfium.PdfiumError:
        return ""
    try:
        for page in pdf:
            textpage = page.get_textpage()
            try:
                text = textpage.get_text_bounded()
            finally:
                textpage.close()
                page.close()
            parts.append(text)
            size += len(text)
            if size >= MAX_TEXT_CHARS:
                break
    finally:
        pdf.close()
    return nfc(" ".join(" ".join(parts).split()))[:MAX_TEXT_CHARS]


def has_text_layer(text: str) -> bool:
    return sum(c.isalpha() for c in text) >= MIN_TEXT_CHARS


def search_text(*parts: str) -> str:
    """The folded words the full-text index reads: metadata first, then the file's text.
    Only [0-9a-z] words separated by spaces, so both databases' tokenizers split it the
    same way ("123/QĐ-UBND" -> "123 qd ubnd", not PostgreSQL's one "file" token)."""
    return " ".join(query_terms(" ".join(p for p in parts if p)))


SCOPE_PREFIX = "donvi"


def scope_token(unit_code: str) -> str:
    """The word a unit's code becomes in the index ("82-STP" -> "donvi82stp"): no
    Vietnamese word or number starts so, and the tokenizers keep it whole."""
    return SCOPE_PREFIX + "".join(query_terms(unit_code))


def unit_tokens(path: str) -> str:
    """Words for a result's issuing unit and every unit above it ("82/822/28597/"), so
    a scoped search narrows its candidates inside the index (see selectors)."""
    return " ".join(scope_token(code) for code in path.strip("/").split("/") if code)


def query_terms(query: str) -> list[str]:
    """The words of a search, folded: "Quyết định đất đai Đức Hòa" ->
    ["quyet", "dinh", "dat", "dai", "duc", "hoa"]. Punctuation separates words, as
    both full-text tokenizers do."""
    return _WORD.findall(fold(query))
