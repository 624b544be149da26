"""Helpers for management commands: output as JSON or as a readable table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.management.base import CommandError
from rich.console import Console
from rich.table import Table

from .tabular import TabularError


def print_table(
    title: str, columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]], stdout: Any
) -> None:
    """Print `rows` as a table; `columns` pairs each row key with its heading."""
    table = Table(title=title, title_justify="left")
    for _, heading in columns:
        table.add_column(heading)
    for row in rows:
        table.add_row(*("" if row.get(k) is None else str(row.get(k)) for k, _ in columns))
    Console(file=stdout, width=160, force_terminal=False).print(table)


def print_json(data: Any, stdout: Any) -> None:
    stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def tabular_command_error(exc: TabularError) -> CommandError:
    return CommandError(f"Không ghi gì vào cơ sở dữ liệu; {len(exc.errors)} lỗi:\n{exc}")
