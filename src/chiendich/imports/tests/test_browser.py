"""In Debian's Chromium: a commune officer uploads a police list with one bad row,
reads that row's error, confirms, and sees the commune's numbers move; and a job's
progress bar follows the worker and survives a reload.

The live server's test database is SQLite in memory, which a worker process
cannot open, so these run the tasks on the immediate backend (conftest); the
database backend and its worker process are proven in test_worker.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from chiendich.conftest import COMMUNE_A, SCREENSHOTS, require_chromium
from chiendich.imports.models import ImportJob, JobState
from chiendich.imports.progress import ProgressFile

from .conftest import BAD_FUTURE, GOOD_1, GOOD_3, PASSWORD, police_csv, upload

require_chromium()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/dang-nhap/?next=/nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button.primary")


def activated_of_eligible(page: Any) -> tuple[int, int]:
    """The dashboard's VNeID card: "activated / eligible" under the rate."""
    card = page.locator("#ind-vneid_activation_rate").inner_text()
    found = re.search(r"(\d[\d.]*) / (\d[\d.]*)", card)
    assert found, card
    return int(found[1].replace(".", "")), int(found[2].replace(".", ""))


def test_upload_with_a_bad_row_then_confirm_moves_the_numbers(
    browser, live_server, officer, counted, plan_383
) -> None:
    page = browser.new_page()
    base = live_server.url
    sign_in(page, base, officer.username)
    page.goto(f"{base}/don-vi/{COMMUNE_A}/")
    assert activated_of_eligible(page) == (0, 1)

    page.goto(f"{base}/nhap/")
    page.select_option("#id_kind", "citizens")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "ds-phuong-5.csv",
                "mimeType": "text/csv",
                "buffer": police_csv(GOOD_1, BAD_FUTURE, GOOD_3),
            }
        ],
    )
    with page.expect_navigation():
        page.click("#upload button.primary")
    assert page.get_attribute("#job", "data-state") == "checked"
    # The bad row (row 3 of the sheet) with its column and problem.
    bad = page.locator('#check-errors tr[data-row="3"]')
    assert bad.count() == 1
    assert "Ngày sinh" in bad.inner_text() and "ngày sinh ở tương lai" in bad.inner_text()
    assert page.locator("#check-errors tbody tr").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "imports-checked.png"), full_page=True)

    with page.expect_navigation():
        page.click("#confirm button.primary")
    assert page.get_attribute("#job", "data-state") == "done"
    page.screenshot(path=str(SCREENSHOTS / "imports-done.png"), full_page=True)
    with page.expect_navigation():
        page.click("#see-numbers")
    assert page.url.endswith(f"/don-vi/{COMMUNE_A}/")
    # The two good rows are in the commune's numbers; the bad one is not.
    assert activated_of_eligible(page) == (2, 3)
    page.close()


def test_the_progress_bar_follows_the_worker_and_survives_a_reload(
    browser, live_server, officer, monkeypatch
) -> None:
    monkeypatch.setattr("chiendich.imports.progress.EVERY_SECONDS", 0)
    job = upload(officer, police_csv(GOOD_1))
    ImportJob.objects.filter(pk=job.pk).update(state=JobState.IMPORTING)
    job.refresh_from_db()
    bar = ProgressFile(job.folder, JobState.IMPORTING, 1_000_000)
    bar(250_000)

    page = browser.new_page()
    sign_in(page, live_server.url, officer.username)
    page.goto(f"{live_server.url}/nhap/{job.uuid}/")
    assert page.get_attribute("#bar", "value") == "250000"
    assert page.text_content("#done") == "250.000"

    bar(600_000)
    # A selector, not wait_for_function("…"): Playwright evaluates that string with eval,
    # which the Content-Security-Policy refuses (no 'unsafe-eval').
    page.wait_for_selector("#bar[value='600000']", timeout=10_000)
    assert page.text_content("#done") == "600.000"
    page.reload()
    assert page.get_attribute("#bar", "value") == "600000"

    # The worker finishes: the page notices on its next poll and shows the result.
    with page.expect_navigation(timeout=10_000):
        ImportJob.objects.filter(pk=job.pk).update(state=JobState.DONE, rows_done=1, rows_total=1)
    assert page.get_attribute("#job", "data-state") == "done"
    assert page.locator("#bar").count() == 0
    page.close()
