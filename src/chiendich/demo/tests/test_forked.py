"""demo.forked: a generator run in a child process gives the same items, and its errors."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator

import pytest

from chiendich.demo.forked import Forked, can_fork, generated


def _squares(n: int) -> Iterator[tuple[int, list[int]]]:
    for i in range(n):
        yield i, [i * i] * 1_000


def _broken() -> Iterator[tuple[int, int]]:
    yield 1, 1
    raise ValueError("không đọc được")


def _where() -> Iterator[int]:
    yield os.getpid()


def test_the_same_items_in_the_same_order_either_way() -> None:
    assert list(generated(lambda: _squares(50), fork=True)) == list(_squares(50))
    made = Forked(lambda: _squares(50), fork=True, ahead=True)
    busy = sum(range(100_000))  # this process's own work meanwhile
    assert busy and list(made) == list(_squares(50))


def test_an_error_in_the_generator_is_raised_here() -> None:
    items = generated(_broken, fork=True)
    assert next(items) == (1, 1)
    with pytest.raises((RuntimeError, ValueError), match="không đọc được"):
        next(items)
    with pytest.raises((RuntimeError, ValueError), match="không đọc được"):
        list(Forked(_broken, fork=True, ahead=True))  # fails before sending anything


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="this platform does not fork"
)
def test_made_in_a_child_unless_another_thread_runs() -> None:
    if threading.active_count() > 1:
        pytest.skip("an earlier test left a thread running in this process")
    assert can_fork()
    assert list(Forked(_where, fork=True)) != [os.getpid()]
    assert list(Forked(_where, fork=False)) == [os.getpid()]
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not can_fork()
        assert list(Forked(_where, fork=True)) == [os.getpid()]  # made here instead
    finally:
        release.set()
        thread.join()
