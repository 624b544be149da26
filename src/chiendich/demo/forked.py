"""Generate simulated rows in a child process while this one writes them, or does
something else.

The demo's simulations are pure Python (drawing people, dossiers) followed by bulk
inserts: work that can run side by side on two cores. `Forked` runs a generator in
a forked child, which inherits everything it needs and never touches the database
connection it inherits (it leaves with os._exit, as multiprocessing's fork children
do), and hands its items over a pipe: the same items as without the fork, in the
same order. With `ahead`, the child makes every item before sending the first, so
the parent can do other work meanwhile (the demo rebuilds the VNeID counts while the
year's dossiers are drawn).
"""

from __future__ import annotations

import multiprocessing
import pickle
import threading
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection

# Below this many rows a fork costs more than it saves.
FORK_FROM = 50_000


def can_fork() -> bool:
    """Whether a fork is safe here: the platform forks, and no other thread runs (a thread
    holding a lock at the fork would leave the child's copy of it locked for ever)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _produce(pipe: Connection, make: Callable[[], Iterator[object]], ahead: bool) -> None:
    """In the child: send each item (pickled), then an empty message, or the error's text."""
    try:
        items = (pickle.dumps(item, pickle.HIGHEST_PROTOCOL) for item in make())
        for blob in list(items) if ahead else items:
            pipe.send_bytes(blob)
        pipe.send_bytes(b"")
    except BaseException:  # reported to the parent, which raises it
        pipe.send_bytes(b"!" + traceback.format_exc().encode())
    finally:
        pipe.close()


class Forked[T]:
    """The items of `make()`: made in a forked child process that starts at once, when
    `fork` (and can_fork()); else made here, one by one, as they are asked for."""

    def __init__(self, make: Callable[[], Iterator[T]], *, fork: bool, ahead: bool = False) -> None:
        self._local: Iterator[T] | None = None
        self._pipe: Connection | None = None
        if not (fork and can_fork()):
            self._local = make()
            return
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        self._child = context.Process(target=_produce, args=(send, make, ahead), daemon=True)
        self._child.start()
        send.close()
        self._pipe = receive

    def __iter__(self) -> Iterator[T]:
        if self._local is not None:
            yield from self._local
            return
        assert self._pipe is not None  # noqa: S101
        try:
            while True:
                blob = self._pipe.recv_bytes()
                if not blob:
                    break
                if blob.startswith(b"!"):
                    raise RuntimeError(f"the generating process failed:\n{blob[1:].decode()}")
                yield pickle.loads(blob)  # noqa: S301 - our own child's items
        finally:
            self.close()

    def close(self) -> None:
        """Stop the child (if any) and free the pipe; safe to call twice."""
        if self._pipe is None:
            return
        self._pipe.close()
        self._pipe = None
        self._child.join(timeout=10)
        if self._child.is_alive():
            self._child.terminate()


def generated[T](make: Callable[[], Iterator[T]], *, fork: bool) -> Iterator[T]:
    """The items of `make()`, streamed from a forked child process when `fork`."""
    return iter(Forked(make, fork=fork))
