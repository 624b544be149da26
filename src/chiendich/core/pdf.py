"""PDF helpers: a font with every Vietnamese glyph, embedded, for printable documents.

ReportLab's built-in fonts are Latin-1 only, so Vietnamese ("Ấp Đạo Ninh",
"Nguyễn Thị Ự") needs a TrueType font. DejaVu Sans ships with the package
(src/chiendich/core/fonts, Bitstream Vera licence) so a fresh machine needs
nothing from the system.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"


@cache
def register_fonts() -> tuple[str, str]:
    """Register the Vietnamese-capable fonts once; returns (regular, bold) names."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
    return REGULAR, BOLD
