"""Customer journeys for multi-touch attribution: built in DuckDB, held as flat arrays.

A journey is one lead's touchpoints ordered by time, up to and including its close date
(the data end while open); converted = the lead was won; revenue = the sum of its ``new``
deals (``sql/journeys.sql`` states the grain). Non-converting journeys are kept: the
Markov and Shapley models need them. :class:`Journeys` holds them in the two shapes the
credit models use (distinct chain rows, and converting journeys one by one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics.access import Scope
from analytics.attribution._common import sql_text
from analytics.facts import data_end
from analytics.filters import Filters, where
from analytics.store import Store


@dataclass(frozen=True)
class Journeys:
    """Journeys of a selection, in the two shapes the models need.

    *Chain rows* are the distinct (path, converted) pairs after merging consecutive repeats of
    a channel (A > A > B -> A > B, which changes no chain probability: a self-loop cancels out
    of the absorption equations): ``row_offsets`` (R + 1) index ``row_touches`` (channel index
    of each step), ``row_converted`` (bool), ``row_journeys`` (how many journeys). Converting
    rows come first.

    *Converting journeys* are kept one by one, sorted by chain row: ``conv_row``,
    ``conv_value`` (revenue, CNY), and their full paths ``conv_touches`` with ``conv_days``
    (days from each touch to the close), both indexed by ``conv_offsets``.
    """

    channels: tuple[str, ...]
    row_offsets: np.ndarray
    row_touches: np.ndarray
    row_converted: np.ndarray
    row_journeys: np.ndarray
    conv_row: np.ndarray
    conv_value: np.ndarray
    conv_offsets: np.ndarray
    conv_touches: np.ndarray
    conv_days: np.ndarray
    touches: int

    @property
    def n_journeys(self) -> int:
        """Number of journeys."""
        return int(self.row_journeys.sum())

    @property
    def n_conversions(self) -> int:
        """Number of converting journeys."""
        return len(self.conv_row)

    @property
    def revenue(self) -> float:
        """Revenue of the converting journeys (CNY)."""
        return float(self.conv_value.sum())


def _list_column(table: pa.Table, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(lengths, flat values) of a list column (null lists have length 0)."""
    col = table.column(name).combine_chunks()
    lengths = col.value_lengths().fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = col.flatten().to_numpy(zero_copy_only=False) if len(col) else np.zeros(0)
    return lengths, flat.astype(np.int64)


def _collapse(offsets: np.ndarray, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge consecutive repeats in every path: (new offsets, new flat)."""
    owner, pos, _ = touch_layout(offsets)
    keep = (pos == 0) | (flat != np.r_[-1, flat[:-1]])
    lengths = np.bincount(owner[keep], minlength=len(offsets) - 1)
    return np.r_[0, np.cumsum(lengths)], flat[keep]


def journeys_from_paths(
    paths: list[list[str]] | list[tuple[str, ...]],
    converted: list[bool],
    *,
    revenue: list[float] | None = None,
    days: list[list[int]] | None = None,
) -> Journeys:
    """Build :class:`Journeys` from plain lists, one entry per journey (tests, small examples).

    Channels are indexed in sorted order. ``revenue`` defaults to 1 per conversion; ``days``
    (days from each touch to the close, only used by ``time_decay``) to zeros.
    """
    channels = tuple(sorted({c for p in paths for c in p}))
    index = {c: i for i, c in enumerate(channels)}
    lengths = np.array([len(p) for p in paths], dtype=np.int64)
    if (lengths == 0).any():
        raise ValueError("Every journey needs at least one touch.")
    flat = np.array([index[c] for p in paths for c in p], dtype=np.int64)
    conv = np.asarray(converted, bool)
    rev = np.asarray(revenue if revenue is not None else conv.astype(float), float)
    day_lists = days if days is not None else [[0] * len(p) for p in paths]
    flat_days = np.array([d for i, ds in enumerate(day_lists) if conv[i] for d in ds], dtype=np.int64)
    day_lengths = np.where(conv, lengths, 0)
    offsets = np.r_[0, np.cumsum(lengths)]
    c_off, c_flat = _collapse(offsets, flat)
    keys = [
        ("c:" if conv[i] else "n:") + ",".join(map(str, c_flat[c_off[i] : c_off[i + 1]])) for i in range(len(paths))
    ]
    return _build(
        channels,
        lengths,
        flat,
        conv,
        np.ones(len(paths), np.int64),
        rev,
        np.asarray(keys, object),
        day_lengths,
        flat_days,
        int(lengths.sum()),
    )


def _gather(offsets: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Flat positions of the segments ``idx`` of a flat array split at ``offsets``, in order."""
    lengths = offsets[idx + 1] - offsets[idx]
    out_off = np.r_[0, np.cumsum(lengths)]
    return (np.repeat(offsets[idx] - out_off[:-1], lengths) + np.arange(out_off[-1])).astype(np.int64)


def _build(
    channels: tuple[str, ...],
    lengths: np.ndarray,
    flat: np.ndarray,
    converted: np.ndarray,
    journeys: np.ndarray,
    revenue: np.ndarray,
    keys: np.ndarray,
    day_lengths: np.ndarray,
    flat_days: np.ndarray,
    touches: int,
) -> Journeys:
    """Assemble :class:`Journeys` from input rows.

    Each input row is one converting journey (full path, ``journeys`` = 1, its revenue and
    days) or non-converting journeys with a common path (``journeys`` = their count).
    ``keys`` name each row's chain row: converted flag plus the path with repeats merged;
    ``touches`` is the number of touches before merging.
    """
    offsets = np.r_[0, np.cumsum(lengths)]
    # chain rows: converting keys first
    order = np.argsort(~converted, kind="stable")
    codes_sorted, _ = pd.factorize(keys[order], sort=False)
    codes = np.empty(len(keys), dtype=np.int64)
    codes[order] = codes_sorted
    n_rows = int(codes.max()) + 1 if len(codes) else 0
    first = np.full(n_rows, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    c_off, c_flat = _collapse(offsets, flat)
    row_touches = c_flat[_gather(c_off, first)]
    row_offsets = np.r_[0, np.cumsum(c_off[first + 1] - c_off[first])]
    row_converted = converted[first] if n_rows else np.zeros(0, bool)
    row_journeys = np.bincount(codes, weights=journeys, minlength=n_rows).astype(np.int64)
    # converting journeys, sorted by chain row
    conv_idx = np.flatnonzero(converted)
    conv_src = conv_idx[np.argsort(codes[conv_idx], kind="stable")]
    conv_touches = flat[_gather(offsets, conv_src)]
    conv_offsets = np.r_[0, np.cumsum(lengths[conv_src])]
    d_off = np.r_[0, np.cumsum(day_lengths)]
    conv_days = flat_days[_gather(d_off, conv_src)].astype(float)
    # keep only the channels that occur
    present = np.unique(row_touches)
    remap = np.full(len(channels), -1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    return Journeys(
        channels=tuple(channels[i] for i in present),
        row_offsets=row_offsets,
        row_touches=remap[row_touches],
        row_converted=row_converted,
        row_journeys=row_journeys,
        conv_row=codes[conv_src],
        conv_value=revenue[conv_src].astype(float),
        conv_offsets=conv_offsets,
        conv_touches=remap[conv_touches],
        conv_days=conv_days,
        touches=touches,
    )


def build_journeys(store: Store, filters: Filters, scope: Scope) -> Journeys:
    """Journeys of the leads created in the filter window (scoped), from DuckDB.

    See the module docstring and ``sql/journeys.sql`` for the definition.
    """
    vocab = store.query("SELECT DISTINCT channel FROM touchpoints ORDER BY channel")["channel"].tolist()
    w_sql, w_params = where(filters, scope, "created_at", alias="l")
    end = data_end(store)
    table = store.query_arrow(sql_text("journeys").format(where=w_sql), [*w_params, vocab, end, end])
    lengths, flat = _list_column(table, "path")
    day_lengths, flat_days = _list_column(table, "days")
    return _build(
        tuple(vocab),
        lengths,
        flat,
        table.column("converted").to_numpy().astype(bool),
        table.column("journeys").to_numpy().astype(np.int64),
        table.column("revenue").to_numpy().astype(float),
        table.column("chain_key").to_numpy(zero_copy_only=False),
        day_lengths,
        flat_days,
        int(pc.sum(table.column("touches")).as_py() or 0),
    )


def touch_layout(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the flat touches of paths split at ``offsets``: owning path, position in the path, path length."""
    lengths = np.diff(offsets)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    pos = np.arange(offsets[-1]) - offsets[owner]
    return owner, pos, lengths[owner]
