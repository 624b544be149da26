"""The demo command builds a small population in tests (the full province takes a minute)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def small_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIENDICH_DEMO_SCALE", "0.002")
