"""A bounded crawler for the page tests: from a signed-in user's home, follow every internal
link and submit every GET form (with its default values), and report what a user would trip
on: a server error, a 404 behind a link the page offered, template syntax or "None" leaking
into the page, an id written with a thousands separator in a URL.

Pages are grouped by pattern (digits in the path become N, the query keeps its keys only), so
a list of a thousand objects costs a few requests, not a thousand.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit

import pytest

# Not crawled: leaving the session, Django's admin (its own tested pages), the API (JSON,
# checked by its schema tests), static files, the language switch (a POST anyway).
SKIP_PREFIXES = ("/dang-xuat/", "/admin/", "/api/", "/static/", "/i18n/", "/media/")
# A number of four digits or more grouped with "." or "," (1.000, 12,345): an id that went
# through number formatting. Dates (2023-09-01, 01/09/2023), decimals (0.5) and dotted keys
# (tthc_batch_4.822.20231110: a schedule, a unit code, a day) do not match.
GROUPED = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,\u00a0 ]\d{3})+(?!\w|[.,]\d)")
LEAKS = (
    ("{{", re.compile(r"\{\{")),
    ("{%", re.compile(r"\{%")),
    ("None", re.compile(r">\s*None\s*<")),
    ("N/A", re.compile(r"\bN/A\b")),
)


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def pattern(url: str) -> str:
    """The page's pattern: /ket-qua/1234/?thay-the=5 -> /ket-qua/N/?thay-the, an
    agency's code (82-STTTT) -> N-X, an import job's uuid -> uuid."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    path = re.sub(UUID, "uuid", parts.path)
    path = re.sub(r"\d+", "N", re.sub(r"[A-Z]+", "X", path))
    return f"{path}?{'&'.join(keys)}" if keys else path


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    selects: dict[str, str | None] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    current_select: str | None = None


class PageParser(HTMLParser):
    """Collects links, GET forms with their default values, and every URL-ish attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.urls: list[str] = []  # href, action, src: every URL the page writes
        self.form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("href", "action", "src", "formaction"):
            if key in a:
                self.urls.append(a[key])
        if tag == "a" and "href" in a and "download" not in a:
            self.links.append(a["href"])
        elif tag == "form":
            self.form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self.form)
        elif tag == "option" and self.form is not None and self.form.current_select:
            name = self.form.current_select
            self.form.options.setdefault(name, []).append(a.get("value", ""))
            if self.form.selects.get(name) is None or "selected" in a:
                self.form.selects[name] = a.get("value", "")
        elif self.form is None or "name" not in a or "disabled" in a:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.form.current_select = a["name"]
            self.form.selects.setdefault(a["name"], None)
        elif tag == "textarea":
            self.form.fields.append((a["name"], ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select" and self.form is not None:
            self.form.current_select = None


def parse(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def form_url(form: Form, page_url: str, chosen: dict[str, str] | None = None) -> str:
    selects = {**form.selects, **(chosen or {})}
    values = list(form.fields) + [(k, v) for k, v in selects.items() if v is not None]
    action = urljoin(page_url, form.action or page_url)
    base = action.split("?", 1)[0]
    return f"{base}?{urlencode(values)}" if values else base


def form_urls(form: Form, page_url: str) -> list[tuple[str, str]]:
    """The form as it comes, then once with each list's first other choice (a search that
    shows nothing until a filter is chosen still leads to its results): (URL, the list
    chosen, "" for the form as it comes)."""
    urls = [(form_url(form, page_url), "")]
    for name, options in form.options.items():
        other = next((o for o in options if o and o != form.selects.get(name)), None)
        if other is not None:
            urls.append((form_url(form, page_url, {name: other}), name))
    return urls


def grouped_ids(url: str) -> list[str]:
    """Numbers written with a thousands separator in a URL's path or query values."""
    parts = urlsplit(unquote(url))
    found = GROUPED.findall(parts.path)
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        # A free-text search box may hold anything; everything else is an id, a page, a date.
        if key not in ("q", "tim"):
            found += GROUPED.findall(value)
    return found


@dataclass
class Problem:
    url: str
    found_on: str
    what: str

    def __str__(self) -> str:
        return f"{self.what}: {self.url} (linked from {self.found_on})"


@dataclass
class Crawl:
    visited: dict[str, int] = field(default_factory=dict)  # url -> status
    problems: list[Problem] = field(default_factory=list)
    html_pages: dict[str, str] = field(default_factory=dict)  # pattern -> first URL (200 HTML)


REDIRECT = "redirect"  # client_get's content type for a 3xx: its body is the Location


def _local(absolute: str) -> str | None:
    """The path and query of a URL of this site; None for another site's."""
    parts = urlsplit(absolute)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(
    get: Callable[[str], tuple[int, str, str]],
    start: str = "/",
    *,
    max_pages: int = 250,
    per_pattern: int = 2,
) -> Crawl:
    """Breadth-first from `start`. `get(url)` returns (status, content type, body); a
    redirect comes back as (3xx, REDIRECT, its Location) and is followed."""
    result = Crawl()
    # (URL, the page that offered it, the list a form variant chose: its own pattern)
    queue: deque[tuple[str, str, str]] = deque([(start, "(home)", "")])
    seen: set[str] = {start}
    per: Counter[str] = Counter()
    while queue and len(result.visited) < max_pages:
        url, found_on, chosen = queue.popleft()
        key = pattern(url) + (f"#{chosen}" if chosen else "")
        if per[key] >= per_pattern:
            continue
        per[key] += 1
        status, content_type, body = get(url)
        result.visited[url] = status
        if status >= 500:
            result.problems.append(Problem(url, found_on, f"server error {status}"))
            continue
        if status == 404:
            result.problems.append(Problem(url, found_on, "404 behind an offered link"))
            continue
        if content_type == REDIRECT:  # a page that sends the user on (a role's home): follow
            local = _local(urljoin(url, body))
            if local is not None and not local.startswith(SKIP_PREFIXES) and local not in seen:
                seen.add(local)
                queue.append((local, url, chosen))
            continue
        if status != 200 or "text/html" not in content_type:
            continue
        result.html_pages.setdefault(key, url)
        for name, leak in LEAKS:
            if leak.search(body):
                at = leak.search(body)
                assert at is not None
                context = body[max(0, at.start() - 80) : at.end() + 40].replace("\n", " ")
                result.problems.append(Problem(url, found_on, f"{name!r} in the page: …{context}…"))
        page = parse(body)
        for written in page.urls:
            for grouped in grouped_ids(written):
                result.problems.append(
                    Problem(written, url, f"number {grouped} written with a separator")
                )
        targets = [(link, "") for link in page.links]
        targets += [t for f in page.forms if f.method == "get" for t in form_urls(f, url)]
        for target, chosen_list in targets:
            local = _local(urljoin(url, target))
            if local is None or local.startswith(SKIP_PREFIXES) or local in seen:
                continue
            seen.add(local)
            queue.append((local, url, chosen_list))
    return result


# --- the demo the crawls run on --------------------------------------------------------------

FIRST_ID = 1000


def ids_start_at(first: int) -> None:
    """Every table of the project numbers its rows from `first`: an id that goes through
    number formatting (1.000) shows on every page, not only on a big database."""
    from django.apps import apps
    from django.db import connection

    tables = [
        (m._meta.db_table, m._meta.pk.column)
        for m in apps.get_models()
        if m.__module__.startswith("chiendich.")
        if m._meta.pk is not None and m._meta.pk.get_internal_type().endswith("AutoField")
    ]
    with connection.cursor() as cursor:
        for table, column in tables:
            if connection.vendor == "sqlite":
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, first]
                )
            elif connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, column, first]
                )


# A police list uploaded by the commune officer: one good row, one of another commune, one
# with an 11-digit ID, so the job page shows its error table.
JOB_CSV = (
    "\ufeffSố định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Mã xã,Ấp/Khu phố,Mã hộ,"
    "Số điện thoại,Trạng thái,Ngày cập nhật\n"
    "082190101991,Nguyễn Văn Một,01/02/1990,Nam,28597,,H1,0912345678,Đã kích hoạt mức 2,01/09/2023\n"
    "082190101992,Trần Văn Hai,01/02/1990,Nam,28249,,H1,,Đã kích hoạt mức 1,01/09/2023\n"
    "82190101993,Lê Văn Ba,01/02/1990,Nam,28597,,H2,,Đã kích hoạt mức 1,01/09/2023\n"
)


@pytest.fixture
def demo_from_1000(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The small demo (0.2% of the people), every id from 1000, with a checked import job."""
    from django.core.management import call_command
    from django.db import connection

    from chiendich.accounts.models import User
    from chiendich.imports.services import job_upload

    monkeypatch.setenv("CHIENDICH_DEMO_SCALE", "0.002")
    settings.DATA_DIR = tmp_path
    ids_start_at(FIRST_ID)
    call_command("demo", "--no-serve", stdout=StringIO())
    if connection.vendor == "postgresql":
        # The demo was written inside this test's transaction, unseen by autovacuum:
        # without statistics the planner picks nested loops over every table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    job_upload(
        acting_user=User.objects.get(username="xa.trunghoa"),
        kind="citizens",
        file_name="ds-cong-an.csv",
        chunks=[JOB_CSV.encode()],
    )
    from chiendich.imports.models import ImportJob
    from chiendich.results.models import Result

    for model in (User, Result, ImportJob):
        first = model.objects.order_by("pk").values_list("pk", flat=True).first()
        assert first is not None and first > FIRST_ID, (model, first)  # noqa: S101
    return User.objects.order_by("username")


def client_get(client: Any) -> Callable[[str], tuple[int, str, str]]:
    def get(url: str) -> tuple[int, str, str]:
        response = client.get(url)
        if 300 <= response.status_code < 400 and response.has_header("Location"):
            return response.status_code, REDIRECT, response["Location"]
        content_type = response.get("Content-Type", "")
        body = response.content.decode() if "text/html" in content_type else ""
        return response.status_code, content_type, body

    return get
