"""What moved inside one unit around one week: weekly aggregates by lead source or rep, and
the behaviour changes (talk-track use, needs-discovery score) against the baseline weeks.

Both read the store with bound filter predicates; :mod:`analytics.anomalies.explain` feeds
the first to the shift-share decomposition and lists the second next to it.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.access import Scope
from analytics.anomalies.metrics import NO_SEGMENT, TOTAL
from analytics.filters import Filters, where
from analytics.store import Store

#: Key columns of the decomposition dimensions (fixed names; never user input).
DIMENSIONS = {"segment": "segment", "source": "source", "rep": "rep_id"}
#: Columns of :func:`behaviour_deltas`.
BEHAVIOUR_COLUMNS = [
    "scope",
    "behaviour",
    "tag",
    "before",
    "after",
    "change",
    "z",
    "calls_before",
    "calls_after",
    "others_before",
    "others_after",
]


def dimension_frame(
    store: Store, filters: Filters, scope: Scope, unit_col: str, unit: str, key: str, first: date, last: date
) -> pd.DataFrame:
    """Weekly aggregates of one unit by ``key`` between two Mondays.

    Grain: one row per (``key``, ``week_start``) with activity. Columns ``key`` (the value
    of ``key``, NULL -> ``(none)``), ``week_start``, ``leads``, ``closed``, ``won``,
    ``deals``, ``won_revenue``, ``new_revenue`` (as in
    :func:`analytics.anomalies.panel.weekly_panel`).

    Parameters
    ----------
    unit_col, unit
        The unit column (``region_id`` or ``team_id``, a fixed name) and the unit.
    key
        A value of :data:`DIMENSIONS` (``source`` or ``rep_id``; a fixed name).
    first, last
        The first and last Monday.
    """
    win = filters.shifted_to(first, last + timedelta(days=6))
    w_created, p_created = where(win, scope, "created_at", dims=("segment",))
    w_closed, p_closed = where(win, scope, "closed_at", dims=("segment",))
    w_signed, p_signed = where(win, scope, "signed_at", dims=("segment",))
    k = f"coalesce({key}::VARCHAR, '{NO_SEGMENT}')"
    df = store.query(
        f"""WITH created AS (
                SELECT {k} AS key, date_trunc('week', created_at)::DATE AS week_start, count(*) AS leads
                FROM v_leads WHERE {unit_col} = ? AND {w_created} GROUP BY ALL),
            closed AS (
                SELECT {k} AS key, date_trunc('week', closed_at)::DATE AS week_start, count(*) AS closed,
                       count(*) FILTER (WHERE status = 'won') AS won
                FROM v_leads WHERE {unit_col} = ? AND status <> 'open' AND {w_closed} GROUP BY ALL),
            signed AS (
                SELECT {k} AS key, date_trunc('week', signed_at)::DATE AS week_start, count(*) AS deals,
                       sum(amount)::DOUBLE AS won_revenue,
                       coalesce(sum(amount) FILTER (WHERE deal_type = 'new'), 0)::DOUBLE AS new_revenue
                FROM v_deals WHERE {unit_col} = ? AND {w_signed} GROUP BY ALL)
            SELECT key, week_start, coalesce(leads, 0) AS leads, coalesce(closed, 0) AS closed,
                   coalesce(won, 0) AS won, coalesce(deals, 0) AS deals,
                   coalesce(won_revenue, 0)::DOUBLE AS won_revenue, coalesce(new_revenue, 0)::DOUBLE AS new_revenue
            FROM created FULL JOIN closed USING (key, week_start) FULL JOIN signed USING (key, week_start)""",  # noqa: S608
        [unit, *p_created, unit, *p_closed, unit, *p_signed],
    )
    df["week_start"] = pd.to_datetime(df["week_start"]).dt.date
    return df


def behaviour_deltas(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    unit_col: str,
    unit: str,
    week: date,
    baseline_weeks: tuple[date, ...],
) -> pd.DataFrame:
    """Talk-track use and needs-discovery score in the week vs the baseline weeks.

    Share of calls using a tag: calls on the unit's leads in the week whose ``talk_tracks``
    contain the tag / all such calls; the baseline pools the baseline weeks' calls. ``z`` is
    the two-proportion z with pooled variance; for the mean score the Welch z.

    Returns
    -------
    pandas.DataFrame
        One row per (segment scope, behaviour), columns :data:`BEHAVIOUR_COLUMNS`: ``scope``
        (``*`` or a segment), ``behaviour`` (``talk_track`` or ``needs_discovery_score``),
        ``tag``, ``before`` / ``after`` (share of calls using the tag, or the mean score),
        ``change``, ``z``, ``calls_before`` (weekly average), ``calls_after``,
        ``others_before`` / ``others_after`` (the other units, same weeks). Empty when the
        unit has no calls in these weeks.
    """
    columns = BEHAVIOUR_COLUMNS
    weeks = [*baseline_weeks, week]
    win = filters.shifted_to(min(weeks), week + timedelta(days=6))
    w_sql, params = where(win, scope, "called_at", dims=("segment",))
    base_sql = f"""SELECT ({unit_col} = ?) AS mine, coalesce(segment, '{NO_SEGMENT}') AS segment,
                          (date_trunc('week', called_at)::DATE = ?) AS now, talk_tracks, needs_discovery_score AS nd
                   FROM v_calls
                   WHERE {unit_col} IS NOT NULL AND {w_sql}
                     AND list_contains(?::DATE[], date_trunc('week', called_at)::DATE)"""  # noqa: S608 - fixed names
    # One pass over the calls (joined to their leads for region and segment): the call counts
    # and the tag counts come from the same materialised rows, told apart by ``tag IS NULL``.
    both = store.query(
        f"""WITH base AS MATERIALIZED ({base_sql}),
            calls AS (SELECT mine, segment, now, count(*) AS calls, coalesce(sum(nd), 0) AS s1,
                             coalesce(sum(nd * nd), 0) AS s2, count(nd) AS n_nd
                      FROM base GROUP BY ALL),
            tags AS (SELECT mine, segment, now, tag, count(*) AS k
                     FROM (SELECT mine, segment, now, unnest(list_distinct(talk_tracks)) AS tag FROM base)
                     WHERE tag IS NOT NULL GROUP BY ALL)
            SELECT mine, segment, now, NULL::VARCHAR AS tag, calls, s1, s2, n_nd, NULL::BIGINT AS k FROM calls
            UNION ALL
            SELECT mine, segment, now, tag, NULL, NULL, NULL, NULL, k FROM tags""",  # noqa: S608 - fixed names
        [unit, week, *params, weeks],
    )
    is_calls = both["tag"].isna()
    calls = both.loc[is_calls, ["mine", "segment", "now", "calls", "s1", "s2", "n_nd"]].reset_index(drop=True)
    tags = both.loc[~is_calls, ["mine", "segment", "now", "tag", "k"]].reset_index(drop=True)
    if calls.empty or not calls["mine"].any():
        return pd.DataFrame(columns=columns)
    all_calls = calls.assign(segment=TOTAL).groupby(["mine", "segment", "now"], as_index=False).sum()
    all_tags = tags.assign(segment=TOTAL).groupby(["mine", "segment", "now", "tag"], as_index=False).sum()
    calls = pd.concat([all_calls, calls], ignore_index=True).set_index(["mine", "segment", "now"])
    tags = pd.concat([all_tags, tags], ignore_index=True).set_index(["mine", "segment", "now", "tag"])["k"]
    nb = max(len(baseline_weeks), 1)
    scopes = [
        TOTAL,
        *sorted(calls.loc[True].index.get_level_values("segment").unique().drop(TOTAL, errors="ignore")),
    ]

    def get(frame: pd.Series | pd.DataFrame, key: tuple, col: str | None = None) -> float:
        try:
            v = frame.loc[key] if col is None else frame.loc[key, col]
        except KeyError:
            return 0.0
        return float(v)

    rows = []
    for sc in scopes:
        n0, n1 = get(calls, (True, sc, False), "calls"), get(calls, (True, sc, True), "calls")
        if n0 == 0 and n1 == 0:
            continue
        o0, o1 = get(calls, (False, sc, False), "calls"), get(calls, (False, sc, True), "calls")
        for tag in sorted(tags.index.get_level_values("tag").unique()):
            k0, k1 = get(tags, (True, sc, False, tag)), get(tags, (True, sc, True, tag))
            p0 = k0 / n0 if n0 else np.nan
            p1 = k1 / n1 if n1 else np.nan
            pooled = (k0 + k1) / (n0 + n1)
            se = np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1)) if n0 and n1 else np.nan
            z = (p1 - p0) / se if np.isfinite(se) and se > 0 else np.nan
            q0 = get(tags, (False, sc, False, tag)) / o0 if o0 else np.nan
            q1 = get(tags, (False, sc, True, tag)) / o1 if o1 else np.nan
            rows.append((sc, "talk_track", tag, p0, p1, p1 - p0, z, n0 / nb, n1, q0, q1))
        stats = []
        for mine, now in ((True, False), (True, True), (False, False), (False, True)):
            n = get(calls, (mine, sc, now), "n_nd")
            s1, s2 = get(calls, (mine, sc, now), "s1"), get(calls, (mine, sc, now), "s2")
            mean = s1 / n if n else np.nan
            var = (s2 - n * mean**2) / (n - 1) if n > 1 else np.nan
            stats.append((mean, var, n))
        (m0, v0, c0), (m1, v1, c1) = stats[0], stats[1]
        se = np.sqrt(v0 / c0 + v1 / c1) if c0 > 1 and c1 > 1 else np.nan
        z = (m1 - m0) / se if np.isfinite(se) and se > 0 else np.nan
        rows.append((sc, "needs_discovery_score", "", m0, m1, m1 - m0, z, n0 / nb, n1, stats[2][0], stats[3][0]))
    return pd.DataFrame(rows, columns=columns)
