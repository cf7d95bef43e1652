"""The talk-track analysis's data: closed leads of the period with covariates and tag flags."""

from __future__ import annotations

import math

import pandas as pd

from analytics.access import Scope
from analytics.facts import quarter_label_sql
from analytics.filters import Filters, where
from analytics.store import Store

#: Deal-size bands by the segment's typical (median) new-deal amount, CNY: below the first
#: bound "small", below the second "medium", else "large".
DEAL_SIZE_BOUNDS = (50_000.0, 200_000.0)
#: Resolution of the hash sample: a lead is kept when ``hash(lead_id, SAMPLE_SALT) %
#: SAMPLE_BUCKETS`` is below the sample share times this.
SAMPLE_BUCKETS = 1 << 20
#: Salt of the sample hash. Without it the sample keeps only leads whose plain ``hash(lead_id)``
#: has small low bits, which are the bits DuckDB's join hash tables use to pick a slot: the
#: kept leads crowd into a few slots and joining them to their calls took 580 s instead of 3 s
#: on 1.5M leads.
SAMPLE_SALT = "talk-track sample"


def closed_leads(store: Store, filters: Filters, scope: Scope) -> int:
    """Closed leads created in the period (filters and scope applied)."""
    w_sql, w_params = where(filters, scope, "created_at")
    return int(store.scalar(f"SELECT count(*) FROM v_leads WHERE status <> 'open' AND {w_sql}", w_params))  # noqa: S608


def lead_table(
    store: Store, filters: Filters, scope: Scope, *, sample_share: float = 1.0
) -> tuple[pd.DataFrame, list[str], int]:
    """Closed leads created in the period with their covariates and tag flags.

    Returns ``(frame, tags, n_open)``. Grain of ``frame``: one row per closed lead created
    in the period (filters and scope applied). Columns: ``lead_id, rep_id, source,
    segment, region_id, created_quarter, deal_size_band, converted`` (bool) and one bool
    column ``t_<i>`` per tag in ``tags`` (sorted): at least one call of the lead up to its
    close date used ``tags[i]``. ``n_open`` counts the period's leads still open.

    With ``sample_share`` below 1 each closed lead is kept with that probability, decided by
    a salted hash of its id (:data:`SAMPLE_BUCKETS`, :data:`SAMPLE_SALT`): the same leads on every run, whatever their
    calls or outcome. ``n_open`` is never sampled.
    """
    if not 0 < sample_share <= 1:
        raise ValueError(f"sample_share {sample_share} must be above 0 and at most 1.")
    o_sql, o_params = where(filters, scope, "created_at")  # the period's leads, never sampled
    w_sql, w_params = o_sql, o_params
    if sample_share < 1:
        w_sql = f"({o_sql}) AND hash(lead_id, ?) % {SAMPLE_BUCKETS} < ?"
        w_params = [*o_params, SAMPLE_SALT, math.ceil(sample_share * SAMPLE_BUCKETS)]
    tags_df = store.query(
        f"""SELECT DISTINCT tag FROM (
                SELECT unnest(c.talk_tracks) AS tag
                FROM calls AS c JOIN (SELECT lead_id, closed_at FROM v_leads WHERE status <> 'open' AND {w_sql}) AS l
                  USING (lead_id)
                WHERE CAST(c.called_at AS DATE) <= l.closed_at)
            WHERE tag IS NOT NULL AND tag <> '' ORDER BY tag""",  # noqa: S608 - predicate from fixed names
        w_params,
    )
    tags = [str(t) for t in tags_df["tag"]]
    flags = ", ".join(f"coalesce(bool_or(list_contains(c.talk_tracks, ?)), FALSE) AS t_{i}" for i in range(len(tags)))
    flag_sql = f", {flags}" if tags else ""
    size = store.query(
        f"""SELECT segment, median(amount)::DOUBLE AS typical FROM v_deals
            WHERE deal_type = 'new' AND segment IS NOT NULL AND {scope.clause()[0]} GROUP BY segment""",  # noqa: S608
        scope.clause()[1],
    )
    frame = store.query(
        f"""WITH base AS (
                SELECT lead_id, rep_id, source, segment, region_id, created_at, closed_at, status = 'won' AS converted
                FROM v_leads WHERE status <> 'open' AND {w_sql})
            SELECT b.lead_id, b.rep_id, b.source, b.segment, b.region_id,
                   {quarter_label_sql("b.created_at")} AS created_quarter,
                   b.converted {flag_sql}
            FROM base AS b LEFT JOIN calls AS c
              ON c.lead_id = b.lead_id AND CAST(c.called_at AS DATE) <= b.closed_at
            GROUP BY ALL ORDER BY b.lead_id""",  # noqa: S608 - predicate and aliases from fixed names
        [*w_params, *tags],
    )
    typical = dict(zip(size["segment"], size["typical"], strict=True))
    lo, hi = DEAL_SIZE_BOUNDS
    bands = {s: ("small" if v < lo else "medium" if v < hi else "large") for s, v in typical.items()}
    frame["deal_size_band"] = frame["segment"].map(bands).fillna("unknown")
    n_open = int(store.scalar(f"SELECT count(*) FROM v_leads WHERE status = 'open' AND {o_sql}", o_params))  # noqa: S608
    return frame, tags, n_open
