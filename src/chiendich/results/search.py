"""The full-text index of results, on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Both index `Result.search_text`, which is already folded (lower case, no
diacritics, đ -> d) and reduced to words of [0-9a-z] (documents.search_text):
the database then needs no Vietnamese knowledge, and "quyet dinh dat dai duc
hoa" matches "Quyết định ... đất đai ... Đức Hòa" on both.

- SQLite: an FTS5 external-content table over results_result (unicode61,
  remove_diacritics 2 for any text that reaches it unfolded), kept in step by
  triggers. Django rebuilds a SQLite table to alter it, which drops its
  triggers, so `search_index_ensure` runs after every migrate (apps.py) and
  recreates what is missing; `chiendich results reindex` rebuilds the index.
- PostgreSQL: the `unaccent` extension and a text search configuration
  `chiendich_vi` (a copy of `simple` whose word mappings go through unaccent,
  so a query written with diacritics still matches), a stored generated
  tsvector column and a GIN index on it.
"""

# ruff: noqa: S608 - SQL built from our own table names; every value is a parameter

from __future__ import annotations

from typing import Any

from django.db import connection as default_connection

from .documents import query_terms, scope_token

TABLE = "results_result"
FTS = "results_result_fts"
PG_CONFIG = "chiendich_vi"

_SQLITE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(search_text,"
    f" content='{TABLE}', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON {TABLE} BEGIN"
    f" INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON {TABLE} BEGIN"
    f" INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    " END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE OF search_text ON {TABLE} BEGIN"
    f" INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    f" INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END",
]

_POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "DO $$ BEGIN"
    f" IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{PG_CONFIG}') THEN"
    f" CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = simple);"
    f" ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG}"
    " ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;"
    " END IF; END $$",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS"
    f" (to_tsvector('{PG_CONFIG}'::regconfig, search_text)) STORED",
    f"CREATE INDEX IF NOT EXISTS results_result_search ON {TABLE} USING gin (search_vector)",
]


def search_index_ensure(connection: Any = None) -> None:
    """Create whatever part of the index is missing (idempotent; after every migrate)."""
    connection = connection or default_connection
    statements = {"sqlite": _SQLITE, "postgresql": _POSTGRES}.get(connection.vendor)
    if statements is None:
        return
    with connection.cursor() as cursor:
        for sql in statements:
            # Even "IF NOT EXISTS" takes the table's lock, which fails inside a transaction
            # with pending constraint checks: ask the catalogue first.
            if "ADD COLUMN" in sql:
                cursor.execute(
                    "SELECT 1 FROM information_schema.columns"
                    " WHERE table_name = %s AND column_name = 'search_vector'",
                    [TABLE],
                )
                if cursor.fetchone():
                    continue
            if "CREATE INDEX" in sql:
                cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'results_result_search'")
                if cursor.fetchone():
                    continue
            cursor.execute(sql)


def search_index_rebuild(connection: Any = None) -> None:
    """Rebuild the index from the table: SQLite's FTS5 'rebuild'. PostgreSQL computes
    the generated column and its index with every write, so only missing parts are made."""
    connection = connection or default_connection
    search_index_ensure(connection)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")


def search_index_drop(connection: Any = None) -> None:
    """Undo search_index_ensure (the migration's reverse)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS}")
        elif connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS results_result_search")
            cursor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS search_vector")


def match_condition(query: str, connection: Any = None) -> tuple[str, list[str]] | None:
    """A WHERE condition on results_result matching every word of `query` (folded), with
    its parameters; None when the query has no word to search for."""
    terms = query_terms(query)
    if not terms:
        return None
    connection = connection or default_connection
    if connection.vendor == "postgresql":
        return f"{TABLE}.search_vector @@ to_tsquery('{PG_CONFIG}', %s)", [" & ".join(terms)]
    if connection.vendor == "sqlite":
        # Terms are [0-9a-z]+ only, so quoting each one is the whole escaping needed.
        return (
            f"{TABLE}.id IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)",  # noqa: S608
            [" ".join(f'"{t}"' for t in terms)],
        )
    # Any other database: a LIKE per word on the folded column (slow, but correct).
    return (
        " AND ".join([f"{TABLE}.search_text LIKE %s"] * len(terms)),
        [f"%{t}%" for t in terms],
    )


def matching_ids(
    query: str,
    *,
    below: int | None = None,
    limit: int = 200,
    scope: list[str] | None = None,
    connection: Any = None,
) -> list[int] | None:
    """Ids of results matching every word of `query`, newest first, `limit` of them,
    all below `below` when given (the next page). None when the query has no word.

    `scope`: unit codes; only results issued under one of them (their words from
    documents.unit_tokens) are candidates, so a district officer's search is narrowed
    inside the index. This is a speed-up only: the caller still applies restrict().

    Both engines hand ids over newest first and stop at `limit`. PostgreSQL's GIN
    index cannot return ids in order: for a common word it would collect every match
    (90,000 of 1 million) before sorting, so the newest rows are tried first by
    primary key and the index is asked only for what is left below them."""
    terms = query_terms(query)
    if not terms:
        return None
    connection = connection or default_connection
    tokens = [scope_token(code) for code in scope or []]
    if connection.vendor == "postgresql":
        return _pg_ids(terms, tokens, below, limit, connection)
    params: list[Any]
    if connection.vendor == "sqlite":
        match = " AND ".join(f'"{t}"' for t in terms)
        if tokens:
            match += " AND (" + " OR ".join(f'"{t}"' for t in tokens) + ")"
        sql, params, column = f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s", [match], "rowid"
    else:
        where, found = match_condition(query, connection) or ("1 = 1", [])
        sql, column, params = f"SELECT id FROM {TABLE} WHERE {where}", "id", list(found)
    if below is not None:
        sql += f" AND {column} < %s"
        params.append(below)
    sql += f" ORDER BY {column} DESC LIMIT %s"
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


PG_WINDOW = 20  # newest rows tried per id wanted, before the GIN index is asked


def _pg_ids(
    terms: list[str], tokens: list[str], below: int | None, limit: int, connection: Any
) -> list[int]:
    tsquery = " & ".join(terms)
    if tokens:
        tsquery += " & (" + " | ".join(tokens) + ")"
    match = f"search_vector @@ to_tsquery('{PG_CONFIG}', %s)"
    window = max(limit * PG_WINDOW, 2_000)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {match} FROM {TABLE}"
            + (" WHERE id < %s" if below is not None else "")
            + " ORDER BY id DESC LIMIT %s",
            [tsquery, *([below] if below is not None else []), window],
        )
        seen = cursor.fetchall()
        ids = [pk for pk, hit in seen if hit][:limit]
        if len(ids) >= limit or len(seen) < window:
            return ids
        cursor.execute(
            f"SELECT id FROM {TABLE} WHERE {match} AND id < %s ORDER BY id DESC LIMIT %s",
            [tsquery, seen[-1][0], limit - len(ids)],
        )
        return ids + [row[0] for row in cursor.fetchall()]
