"""No broken link, for any role (issue 14, item 4): on a small demo whose ids all start at
1000, every demo user's pages are crawled from their home with the Django test client."""

from __future__ import annotations

import pytest
from django.test import Client

from chiendich.web.tests.crawling import (
    client_get,
    crawl,
    grouped_ids,
    parse,
    pattern,
)

pytestmark = pytest.mark.django_db(transaction=False)
# --- the crawler's own pieces -------------------------------------------------------------------


def test_pattern_groups_pages_by_shape() -> None:
    assert pattern("/ket-qua/1234/?thay-the=5&a=") == "/ket-qua/N/?a&thay-the"
    assert pattern("/bao-cao/") == "/bao-cao/"
    assert pattern("/don-vi/82-STTTT/") == "/don-vi/N-X/"
    assert pattern("/nhap/0b7c6f3e-9a1d-4c1e-8f00-1234567890ab/") == "/nhap/uuid/"


def test_grouped_ids_finds_an_id_formatted_as_a_number() -> None:
    assert grouped_ids("/ket-qua/tai-len/?thay-the=1.000") == ["1.000"]
    assert grouped_ids("/ket-qua/1.234.567/") == ["1.234.567"]
    assert grouped_ids("/ket-qua/tai-len/?thay-the=1000&ngay=2023-09-01&d=01/09/2023") == []
    assert grouped_ids("/ket-qua/?q=1.000") == []  # what a user typed in a search box


def test_parse_reads_links_and_get_forms_with_their_defaults() -> None:
    page = parse(
        '<a href="/x/">x</a><form method="get" action="/f/"><input name="a" value="1">'
        '<select name="s"><option value="p">p</option><option value="q" selected>q</option>'
        '</select><input type="checkbox" name="c"><button>go</button></form>'
        '<form method="post" action="/p/"><input name="z"></form>'
    )
    assert page.links == ["/x/"]
    get_form = page.forms[0]
    assert get_form.method == "get" and get_form.fields == [("a", "1")]
    assert get_form.selects == {"s": "q"}
    assert page.forms[1].method == "post"


# --- every role on the demo --------------------------------------------------------------------


def test_every_role_crawls_without_a_broken_link(demo_from_1000) -> None:
    problems: list[str] = []
    crawled = 0
    patterns: set[str] = set()
    for user in demo_from_1000:
        client = Client()
        client.force_login(user)
        result = crawl(client_get(client), max_pages=150, per_pattern=2)
        crawled += len(result.visited)
        patterns |= {pattern(u) for u in result.visited}
        assert len(result.html_pages) >= 2, f"{user.username} reached only {result.visited}"
        problems += [f"{user.username}: {p}" for p in result.problems]
    assert crawled >= 9 * 10
    # The pages the issue names were reached: a stored result (id >= 1000) and its
    # amendment link, an import job, a report.
    for reached in ("/ket-qua/N/", "/ket-qua/tai-len/?thay-the", "/nhap/uuid/", "/bao-cao/"):
        assert reached in patterns, sorted(patterns)
    assert not problems, "\n".join(problems)
