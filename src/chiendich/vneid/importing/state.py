"""What an import remembers of the rows before, held in columns instead of Python objects.

A police list of ten million rows remembers each ID number's first row and each
household's place: as Python dicts of ints and tuples that took about 100 to 200
bytes a row (2 GiB at 10 M rows). A ColumnMap keeps the same map in a few sorted
polars frames ("runs", the way a log-structured merge tree does): 12 bytes per ID
number (an Int64 and an Int32) and a few tens of bytes per household. Looking up a
frame's keys is one binary search (search_sorted) per run; new keys become a new
run, and runs of about the same size are merged, so there are never more than
about log2(keys / frame) of them and each key is copied about log2 times in all.

Most keys a frame looks up are new (ID numbers do not repeat): a Bloom filter of
the keys held (8 to 16 bits a key, two set by each, grown as the map grows) sends only
the few that may be held to the binary searches, which start with the largest run
and drop each key once found. A map's memory is then its columns and that filter.

The bulk calls (`lookup`, `add`, `put`, `missing`, `frame`) are what the frame
check and the writer use. The dict calls (`get`, `setdefault`, `[key]`, `in`,
`len`, `items`, `==`) serve the row-by-row check (RowChecker.check) and the tests;
their keys go to a small dict buffer first, turned into a run when it grows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import polars as pl

BUFFER = 50_000  # keys set one at a time before they become a run
# Runs stop merging at this size: a merge then copies at most this many keys at once,
# and the filter spares the searches of the many runs of a long list.
MAX_RUN = 1 << 20
FILTER_BITS = 1 << 16  # the Bloom filter's first size; doubled to keep 8 to 16 bits a key
_BIT_MASKS = pl.Series([1 << b for b in range(8)], dtype=pl.UInt8)
KEY = "key"
_MISSING = object()


class ColumnMap:
    """A map from keys (Int64 or String) to one value or a tuple of values, in columns.

    `values` names the value columns and their types: one column gives plain values,
    several give tuples (in that order). Keys are never removed.
    """

    def __init__(self, key: Any, values: Mapping[str, Any]) -> None:
        self.names = list(values)
        self.schema: dict[str, Any] = {KEY: key, **values}
        self._runs: list[pl.DataFrame] = []
        self._buffer: dict[Any, Any] = {}
        self._bits = FILTER_BITS
        self._filter = pl.zeros(self._bits // 8, dtype=pl.UInt8, eager=True)

    # --- the bulk calls -------------------------------------------------------------

    def lookup(self, keys: pl.Series | list[Any]) -> pl.DataFrame:
        """One row per key given (in their order, repeats included): "key", the value
        columns (null where the key is absent) and "found"."""
        self._flush()
        asked = pl.DataFrame({KEY: keys}, schema={KEY: self.schema[KEY]})
        found = self._found(asked[KEY].unique().drop_nulls().sort())
        return (
            asked.join(found.drop("_run", "_at"), on=KEY, how="left", maintain_order="left")
            .with_columns(found=pl.col("_hit").fill_null(False))
            .drop("_hit")
        )

    def missing(self, keys: Iterable[Any]) -> list[Any]:
        """The distinct keys among `keys` that are not in the map, sorted."""
        wanted = pl.Series(KEY, list(set(keys)), dtype=self.schema[KEY]).sort()
        if not len(wanted):
            return []
        self._flush()
        if not self._runs:
            return wanted.to_list()
        hit = self._found(wanted)[KEY]
        return wanted.filter(~wanted.is_in(hit.implode())).to_list()

    def add(self, frame: pl.DataFrame) -> None:
        """Add the rows of `frame` ("key" and the value columns): keys not yet in the map,
        each once."""
        if not len(frame):
            return
        self._flush()
        self._push(frame.select(list(self.schema)).cast(self.schema).sort(KEY))  # type: ignore[arg-type]

    def put(self, frame: pl.DataFrame) -> None:
        """Set the values of the rows of `frame` ("key" and the value columns, each key
        once), adding the keys not yet in the map."""
        if not len(frame):
            return
        self._flush()
        frame = frame.select(list(self.schema)).cast(self.schema)  # type: ignore[arg-type]
        found = self._found(frame[KEY].sort()).select(KEY, "_run", "_at")
        if len(found):
            changed = frame.join(found, on=KEY, how="inner")
            for (run,), rows in changed.group_by("_run"):
                self._replace(int(run), rows)  # type: ignore[call-overload]
            frame = frame.filter(~pl.col(KEY).is_in(found[KEY].implode()))
        if len(frame):
            self._push(frame.sort(KEY))

    def frame(self) -> pl.DataFrame:
        """Every key and its values, sorted by key."""
        self._flush()
        if not self._runs:
            return pl.DataFrame(schema=self.schema)
        return pl.concat(self._runs).sort(KEY)

    def entries(self) -> int:
        """How many keys are held."""
        return len(self._buffer) + sum(run.height for run in self._runs)

    def nbytes(self) -> int:
        """The bytes the runs and the filter hold (the buffer not counted: at most BUFFER
        keys)."""
        return int(sum(run.estimated_size() for run in self._runs)) + len(self._filter)

    # --- the dict calls ----------------------------------------------------------------

    def get(self, key: Any, default: Any = None) -> Any:
        found = self._buffer.get(key, _MISSING)
        if found is not _MISSING:
            return found
        for run in self._runs:
            keys = run[KEY]
            at = keys.search_sorted(key)
            if isinstance(at, int) and at < len(keys) and keys[at] == key:
                return self._value(run.row(at))
        return default

    def __getitem__(self, key: Any) -> Any:
        found = self.get(key, _MISSING)
        if found is _MISSING:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def setdefault(self, key: Any, value: Any) -> Any:
        found = self.get(key, _MISSING)
        if found is _MISSING:
            self[key] = value
            return value
        return found

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self._buffer and self._runs and key in self:
            self.put(self._rows([(key, value)]))
            return
        self._buffer[key] = value
        if len(self._buffer) >= BUFFER:
            self._flush()

    def update(self, pairs: Iterable[tuple[Any, Any]]) -> None:
        for key, value in pairs:
            self[key] = value

    def __len__(self) -> int:
        return self.entries()

    def items(self) -> Iterator[tuple[Any, Any]]:
        for run in self._runs:
            for row in run.iter_rows():
                yield row[0], self._value(row)
        yield from self._buffer.items()

    def keys(self) -> Iterator[Any]:
        return (key for key, _ in self.items())

    def values(self) -> Iterator[Any]:
        return (value for _, value in self.items())

    def __iter__(self) -> Iterator[Any]:
        return self.keys()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ColumnMap | Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ColumnMap({self.entries()} keys in {len(self._runs)} runs)"

    # --- inside ------------------------------------------------------------------------

    def _value(self, row: tuple[Any, ...]) -> Any:
        return row[1] if len(row) == 2 else tuple(row[1:])  # noqa: PLR2004

    def _rows(self, pairs: Iterable[tuple[Any, Any]]) -> pl.DataFrame:
        if len(self.names) == 1:
            data = [(key, value) for key, value in pairs]
        else:
            data = [(key, *value) for key, value in pairs]
        return pl.DataFrame(data, schema=self.schema, orient="row")

    def _flush(self) -> None:
        if self._buffer:
            rows = self._rows(self._buffer.items())
            self._buffer = {}
            self._push(rows.sort(KEY))

    def _push(self, run: pl.DataFrame) -> None:
        """Append a sorted run of new keys; merge the last runs while the one before is
        not more than twice as large (sizes then at least double down the list) and
        together they stay within MAX_RUN."""
        self._runs.append(run.set_sorted(KEY))
        if self.entries() * 8 > self._bits:
            # Fewer than 8 bits a key: a filter twice as large (or more), of every key.
            while self.entries() * 8 > self._bits:
                self._bits *= 2
            self._filter = pl.zeros(self._bits // 8, dtype=pl.UInt8, eager=True)
            for held in self._runs:
                self._mark(held[KEY])
        else:
            self._mark(run[KEY])
        while (
            len(self._runs) >= 2  # noqa: PLR2004
            and self._runs[-2].height <= 2 * self._runs[-1].height
            and self._runs[-2].height + self._runs[-1].height <= MAX_RUN
        ):
            last = self._runs.pop()
            before = self._runs.pop()
            self._runs.append(before.merge_sorted(last, KEY).set_sorted(KEY))

    def _places(self, keys: pl.Series) -> list[tuple[pl.Series, pl.Series]]:
        """The filter's two bits of each key: (byte, mask) twice."""
        h = keys.hash(seed=15)
        places = []
        for p in (h % self._bits, (h // self._bits) % self._bits):
            places.append(((p // 8).cast(pl.UInt32), _BIT_MASKS.gather(p % 8)))
        return places

    def _mark(self, keys: pl.Series) -> None:
        for byte, mask in self._places(keys):
            # Keys sharing a byte: the last one written wins, the others' bits are set
            # again (rarely more than one more time).
            while len(byte):
                self._filter = self._filter.scatter(byte, self._filter.gather(byte) | mask)
                lost = (self._filter.gather(byte) & mask) == 0
                byte, mask = byte.filter(lost), mask.filter(lost)

    def _maybe(self, keys: pl.Series) -> pl.Series:
        """False for a key surely not held; true for one that may be."""
        (byte1, mask1), (byte2, mask2) = self._places(keys)
        return ((self._filter.gather(byte1) & mask1) != 0) & (
            (self._filter.gather(byte2) & mask2) != 0
        )

    def _found(self, wanted: pl.Series) -> pl.DataFrame:
        """The rows of the runs whose keys are in `wanted` (distinct, sorted), with
        "_run" and "_at" (where each is) and "_hit" (true)."""
        parts = []
        if self._runs and len(wanted):
            wanted = wanted.filter(self._maybe(wanted))
        for number, run in enumerate(self._runs):  # the largest first
            if not len(wanted):
                break
            keys = run[KEY]
            at = keys.search_sorted(wanted, side="left").clip(0, len(keys) - 1)
            rows = run.select(pl.all().gather(at)).with_columns(
                _run=pl.lit(number, dtype=pl.Int32), _at=at.cast(pl.Int64), _hit=pl.lit(True)
            )
            hit = rows[KEY] == wanted
            if hit.any():
                parts.append(rows.filter(hit))
                wanted = wanted.filter(~hit)
        if not parts:
            return pl.DataFrame(
                schema={**self.schema, "_run": pl.Int32, "_at": pl.Int64, "_hit": pl.Boolean}
            )
        return pl.concat(parts)

    def _replace(self, number: int, rows: pl.DataFrame) -> None:
        """Set the values of run `number` at the rows' "_at"."""
        run = self._runs[number]
        at = rows["_at"]
        columns = []
        for name in self.names:
            column = run[name].clone()
            column.scatter(at, rows[name])
            columns.append(column)
        self._runs[number] = run.with_columns(columns).set_sorted(KEY)
