"""Ids are never localized (issue 14, "Broken links"): with USE_THOUSAND_SEPARATOR on, an
integer written as {{ item.pk }} becomes "1.000" once the table passes a thousand rows, and
a link built from it answers 404 (?thay-the=1.000). `{% url %}` is safe (it writes str());
every id written with {{ }} must pass through |unlocalize (or |stringformat:"d").

This test reads every template of the project; test_crawl checks the pages themselves."""

from __future__ import annotations

import re
from pathlib import Path

from django.template import Context, Template
from django.test import override_settings

import chiendich

TEMPLATES = sorted(Path(chiendich.__file__).parent.glob("**/templates/**/*.html"))
VARIABLE = re.compile(r"\{\{\s*(?P<expr>[^}]+?)\s*\}\}")
# The last name of a variable that holds a database id or a page number.
ID_NAME = re.compile(r"(?:^|[._])(?:pk|id|page_number)$|_(?:pk|id)$")
SAFE_FILTERS = ("unlocalize", "stringformat")
# Names that end like an id but hold text: an HTML element's id, a citizen's masked ID
# number (a string of digits and asterisks).
TEXT_NAMES = {"table_id", "subject_id"}


def id_variables_written_localized(text: str) -> list[str]:
    found = []
    for match in VARIABLE.finditer(text):
        variable, *filters = (part.strip() for part in match.group("expr").split("|"))
        last = variable.rsplit(".", 1)[-1]
        if last in TEXT_NAMES or not ID_NAME.search(variable):
            continue
        if not any(f.startswith(SAFE_FILTERS) for f in filters):
            found.append(match.group(0))
    return found


def test_the_check_sees_an_id_written_through_number_formatting() -> None:
    assert id_variables_written_localized('href="?thay-the={{ item.pk }}"') == ["{{ item.pk }}"]
    assert id_variables_written_localized("{{ r.result_id|default:'' }}") == [
        "{{ r.result_id|default:'' }}"
    ]
    assert id_variables_written_localized("{{ item.pk|unlocalize }}") == []
    assert id_variables_written_localized("{{ page.next_page_number|stringformat:'d' }}") == []
    assert id_variables_written_localized("{{ unit.name }} {{ table_id }}") == []


def test_no_template_writes_an_id_through_number_formatting() -> None:
    assert len(TEMPLATES) > 30
    found = {
        str(path.relative_to(Path(chiendich.__file__).parent)): bad
        for path in TEMPLATES
        if (bad := id_variables_written_localized(path.read_text(encoding="utf-8")))
    }
    assert not found, found


@override_settings(USE_THOUSAND_SEPARATOR=True, LANGUAGE_CODE="vi")
def test_why_unlocalize_an_id_of_1000() -> None:
    from django.utils import translation

    with translation.override("vi"):
        written = Template("{% load l10n %}{{ pk }} {{ pk|unlocalize }}").render(
            Context({"pk": 1000})
        )
    assert written == "1.000 1000"
