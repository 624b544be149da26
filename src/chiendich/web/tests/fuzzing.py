"""What the input fuzzer (test_fuzz_inputs.py) sends to the pages, and where: every
page of the URL map with the parameters it reads, and the values, from plausible to
hostile. (The API's parameters come from its OpenAPI schema, in the test itself.)

What a page reads is found, not listed by hand. Each page is opened; its HTML forms
name their fields (and their options and hidden values are plausible values); while
the view runs, the request's query dicts record every key it reads. Two more passes
send plausible values for what was read, which opens the branches behind them (a
household's page and its outcome form; the communication form reads its counts only
once the unit and the day are valid). So a new page, form or parameter is fuzzed
without a change here.
"""

from __future__ import annotations

import datetime as dt
import string
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from hypothesis import strategies as st

# Not fuzzed: the admin (superusers only, Django's own forms), the API (walked from its
# schema instead) and signing out (it would end the session the next example needs).
SKIP_NAMESPACES = {"admin", "api"}
SKIP_NAMES = {"logout"}

# Values meant to break a parser, an int() or a column: the cases of issue 16 and their kin.
HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "²",  # str.isdigit() says yes, int() says no
    "٣",  # int() says 3
    "１２",
    "2147483648",  # PostgreSQL integer + 1
    "9223372036854775808",  # 64-bit + 1
    "99999999999999999999999",
    "1e309",
    "NaN",
    "-0",
    "0001-01-01",
    "9999-12-31",
    "31/12/9999",
    "01/01/0001",
    "29/02/2023",
    "2023-02-30",
    "45170",  # an Excel serial day
    "2958466",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "a\x00b",  # PostgreSQL refuses NUL in text
    "x" * 3000,
    "9" * 5000,  # beyond Python's int() digit limit
]

_printable = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40
)

# Swept through every key of every page before the random examples: the values that
# broke a page in issue 16 (a non-ASCII digit, a number past 64 bits, the calendar's
# ends), a negative number, and a NUL character (PostgreSQL refuses it in text).
SHARPEST = ["²", "99999999999999999999999", "0001-01-01", "9999-12-31", "-1", "a\x00b"]

_HOSTILE = st.sampled_from(HOSTILE)
VALUE = st.one_of(
    # The known troublemakers often (one_of picks a branch uniformly), the rest for news.
    _HOSTILE,
    _HOSTILE,
    _HOSTILE,
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.dates().map(dt.date.isoformat),
    st.dates().map(lambda d: f"{d.day:02d}/{d.month:02d}/{d.year:04d}"),
    _printable,
    st.text(alphabet=string.digits + "./-", max_size=12),
)


@dataclass
class Target:
    """One request to fuzz: a URL, a method, the keys it reads and plausible values."""

    url: str
    method: str  # "get" or "post"
    keys: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    plausible: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def __repr__(self) -> str:
        return f"{self.method.upper()} {self.url} {sorted(self.keys)}"


def page_patterns() -> Iterator[tuple[str, list[str]]]:
    """(url name, its argument names) of every page in the URL map."""

    def walk(patterns: Any, prefix: str) -> Iterator[tuple[str, list[str]]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in SKIP_NAMESPACES:
                    continue
                ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
                yield from walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name and p.name not in SKIP_NAMES:
                yield f"{prefix}{p.name}", list(p.pattern.converters)

    yield from walk(get_resolver().url_patterns, "")


def page_urls(arguments: dict[str, tuple[str, ...]]) -> list[str]:
    """Every page, once for each value of its argument (a page with several arguments
    takes the first value of the others)."""
    urls = []
    for name, args in page_patterns():
        missing = [a for a in args if a not in arguments]
        assert not missing, f"page {name} takes {missing}: add values to ARGUMENTS"
        if not args:
            urls.append(reverse(name))
            continue
        for arg in args:
            for value in arguments[arg]:
                kwargs = {a: arguments[a][0] for a in args} | {arg: value}
                try:
                    urls.append(reverse(name, kwargs=kwargs))
                except NoReverseMatch:  # e.g. a download format this page does not take
                    continue
    return sorted(set(urls))


class _Forms(HTMLParser):
    """The forms of a page: method, action, and each field's name and values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "method": (a.get("method") or "get").lower(),
                    "action": a.get("action", ""),
                    "fields": defaultdict(set),
                    "files": set(),
                }
            )
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "select":
            self._select = name
        if tag == "option" and self._select:
            form["fields"][self._select].add(a.get("value", ""))
        if tag in ("input", "textarea", "select", "button") and name:
            if a.get("type") == "file":
                form["files"].add(name)
            else:
                form["fields"][name].add(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


@contextmanager
def recorded_reads() -> Iterator[dict[int, set[str]]]:
    """While inside, every key read from any QueryDict, by the dict's id()."""
    seen: dict[int, set[str]] = defaultdict(set)

    def recording(name: str) -> Any:
        original = getattr(QueryDict, name)

        def method(self: QueryDict, key: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(key, str):
                seen[id(self)].add(key)
            return original(self, key, *args, **kwargs)

        return method

    names = ("get", "getlist", "__getitem__", "__contains__")
    with mock.patch.multiple(QueryDict, **{n: recording(n) for n in names}):
        yield seen


def _target(targets: dict[tuple[str, str], Target], url: str, method: str) -> Target:
    return targets.setdefault((url, method), Target(url, method))


def _page_of(url: str, action: str) -> str | None:
    """The path a form posts to, if it is one of the fuzzed pages."""
    path = urlsplit(action).path or url
    try:
        match = resolve(path)
    except Exception:  # noqa: BLE001 - any address that is not a page
        return None
    if match.namespace in SKIP_NAMESPACES or match.url_name in SKIP_NAMES:
        return None
    return path


def discover(client: Client, urls: list[str], plausible: dict[str, str]) -> list[Target]:
    """The GET parameters and POST fields each page reads (see the module docstring)."""
    targets: dict[tuple[str, str], Target] = {}

    def visit(url: str, method: str, data: dict[str, str]) -> None:
        with recorded_reads() as seen:
            response = getattr(client, method)(url, data)
        request = response.wsgi_request
        _target(targets, url, "get").keys |= seen.get(id(request.GET), set())
        if method == "post":
            _target(targets, url, "post").keys |= seen.get(id(request.POST), set())
        if "html" not in response.get("Content-Type", ""):
            return
        parser = _Forms()
        parser.feed(response.content.decode(errors="replace"))
        for form in parser.forms:
            path = _page_of(url, form["action"])
            if path is None:
                continue
            target = _target(targets, path, "post" if form["method"] == "post" else "get")
            target.files |= form["files"]
            for name, values in form["fields"].items():
                if name != "csrfmiddlewaretoken":
                    target.keys.add(name)
                    target.plausible[name] |= {v for v in values if v}

    for url in urls:
        visit(url, "get", {})
    # Plausible values for what was read open the branches behind them: a household's
    # page (?ho=) and its outcome form, the counts read once the unit and day are valid.
    for _round in range(2):
        for target in list(targets.values()):
            if target.keys:
                data = {k: _first(target, k, plausible) for k in target.keys}
                visit(target.url, target.method, data)
    return sorted(targets.values(), key=lambda t: (t.url, t.method))


def _first(target: Target, key: str, plausible: dict[str, str]) -> str:
    if key in plausible:
        return plausible[key]
    return sorted(target.plausible.get(key) or {"1"})[0]


FILE_NAMES = ["ds.csv", "ds.xlsx", "kq.pdf", "kq.zip", "x", "ảnh.png"]


@st.composite
def request_data(draw: Any, target: Target, plausible: dict[str, str]) -> dict[str, Any]:
    """Mostly: one key hostile and the others plausible, which gets past the first checks
    and into the branch that reads it (the counts of the communication form are read
    only with a valid unit and day). Sometimes: every key absent, plausible or hostile.
    Files: a few bytes of anything, under a name that may or may not fit."""
    data: dict[str, Any] = {}
    for name in sorted(target.files):
        if draw(st.booleans()):
            data[name] = SimpleUploadedFile(
                draw(st.sampled_from(FILE_NAMES)), draw(st.binary(max_size=64))
            )
    keys = sorted(target.keys)
    if not keys:
        return data
    if draw(st.integers(min_value=0, max_value=3)) > 0:
        hostile = draw(st.sampled_from(keys))
        for key in keys:
            data[key] = draw(VALUE) if key == hostile else _first(target, key, plausible)
        return data
    for key in keys:
        choice = draw(st.sampled_from(["absent", "plausible", "seen", "hostile"]))
        if choice == "plausible":
            data[key] = _first(target, key, plausible)
        elif choice == "seen":
            data[key] = draw(st.sampled_from(sorted(target.plausible.get(key) or {"1"})))
        elif choice == "hostile":
            data[key] = draw(VALUE)
    return data


def sweep(targets: list[Target], plausible: dict[str, str]) -> list[tuple[Any, ...]]:
    """(role, target, params): each key of each page, once with each SHARPEST value and
    the other keys plausible; one URL per page and method (the others differ only by the
    object in the address)."""
    seen: set[tuple[str, str]] = set()
    cases: list[tuple[Any, ...]] = []
    for target in targets:
        page = (resolve(urlsplit(target.url).path).view_name, target.method)
        if page in seen:
            continue
        seen.add(page)
        base = {k: _first(target, k, plausible) for k in target.keys}
        for key in sorted(target.keys):
            for value in SHARPEST:
                cases.append(("province_admin", target, base | {key: value}))
    return cases
