"""PDF helpers: a font with every Vietnamese glyph, embedded, for printable documents.

ReportLab's built-in fonts are Latin-1 only, so Vietnamese ("Ấp Đạo Ninh",
"Nguyễn Thị Ự") needs a TrueType font. DejaVu Sans ships with the package
(src/chiendich/core/fonts, Bitstream Vera licence) so a fresh machine needs
nothing from the system.

Official documents (Decree 30/2020/NĐ-CP, appendix I) are set in Times New Roman;
Liberation Serif has the same metrics and every Vietnamese glyph, and ships here
too (SIL Open Font License 1.1, LICENSE-Liberation.txt).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
SERIF, SERIF_BOLD, SERIF_ITALIC = (
    "LiberationSerif",
    "LiberationSerif-Bold",
    "LiberationSerif-Italic",
)


@cache
def register_fonts() -> tuple[str, str]:
    """Register the Vietnamese-capable fonts once; returns (regular, bold) names."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
    return REGULAR, BOLD


@cache
def register_serif_fonts() -> tuple[str, str, str]:
    """Register the Times-compatible serif once; returns (regular, bold, italic) names."""
    files = {SERIF: "Regular", SERIF_BOLD: "Bold", SERIF_ITALIC: "Italic"}
    for name, style in files.items():
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"LiberationSerif-{style}.ttf")))
    pdfmetrics.registerFontFamily(SERIF, normal=SERIF, bold=SERIF_BOLD, italic=SERIF_ITALIC)
    return SERIF, SERIF_BOLD, SERIF_ITALIC
