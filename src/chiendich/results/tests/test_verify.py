"""`chiendich results verify` finds files altered on disk or missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from chiendich.accounts.models import AuditEvent
from chiendich.results.verify import results_verify

from .conftest import StoreFn

pytestmark = pytest.mark.django_db


def test_verify_reports_an_altered_and_a_missing_file(
    store: StoreFn, results_dir: Path, capsys
) -> None:
    intact, altered, missing = store(), store(), store()
    assert results_verify().ok
    path = results_dir / altered.file_name
    path.write_bytes(path.read_bytes().replace(b"%%EOF", b"%%EOF\n% edited"))
    (results_dir / missing.file_name).unlink()
    report = results_verify()
    assert report.checked == 3
    assert [p.result_id for p in report.altered] == [altered.pk]
    assert [p.result_id for p in report.missing] == [missing.pk]
    assert intact.pk not in {p.result_id for p in report.altered + report.missing}
    with pytest.raises(CommandError, match="1 tệp bị mất, 1 tệp bị thay đổi"):
        call_command("results", "verify")
    out = capsys.readouterr().out
    assert altered.number_symbol in out and missing.number_symbol in out
    assert AuditEvent.objects.filter(type=AuditEvent.Type.RESULTS_VERIFIED).count() == 3
