"""The pilot's data: one value per team per quarter, the wide panel and its pre / post split.

:func:`team_panel` is the long panel (one row per team per quarter); :func:`wide_panel`
pivots it to teams x quarters for the estimators of :mod:`analytics.pilots.sdid`, and
:func:`split_periods` says which quarters count as before and after the pilot's start.
"""

from __future__ import annotations

import pandas as pd

from analytics import facts
from analytics.access import Scope
from analytics.facts import nps_responses, quarter_label_sql, renewal_dues
from analytics.filters import Filters
from analytics.periods import Quarter
from analytics.store import Store

#: Metrics computed from leads, deals and NPS (any rep_metrics metric name also works).
BUILTIN_METRICS = ("conversion", "revenue_per_rep", "renewal_rate", "nps")
#: How a metric's values (and effects) are formatted (:mod:`analytics.format` kinds); others: ``number``.
VALUE_KINDS = {"conversion": "percent", "renewal_rate": "percent", "revenue_per_rep": "compact_money"}
#: Quarters where fewer than this share of teams have a value are left out (e.g. renewals
#: only start falling due a year into the data).
MIN_TEAM_COVERAGE = 0.5
#: Columns of :func:`team_panel`.
PANEL_COLUMNS = ("team_id", "quarter", "value", "n")


def value_kind(metric: str) -> str:
    """The format kind of ``metric``'s values: ``percent`` for rates, ``compact_money`` for revenue, else ``number``."""
    return VALUE_KINDS.get(metric, "number")


def available_metrics(store: Store) -> list[str]:
    """The built-in metrics followed by every metric name stored in ``rep_metrics``."""
    df = store.query("SELECT DISTINCT metric FROM rep_metrics ORDER BY metric")
    return [*BUILTIN_METRICS, *[m for m in df["metric"] if m not in BUILTIN_METRICS]]


def pilot_flags(store: Store) -> tuple[tuple[str, ...], str | None]:
    """Teams flagged ``is_pilot`` in the store and their (earliest) start quarter."""
    df = store.query("SELECT team_id, pilot_start_quarter FROM teams WHERE is_pilot ORDER BY team_id")
    starts = sorted(str(Quarter.parse(q)) for q in df["pilot_start_quarter"].dropna())
    return tuple(df["team_id"]), (starts[0] if starts else None)


def _dims(filters: Filters | None, column: str, values_attr: str) -> tuple[str, list[object]]:
    """A dimension restriction (fixed column name, bound values) from the shared filters."""
    values = getattr(filters, values_attr) if filters is not None else ()
    if not values:
        return "TRUE", []
    return f"list_contains(?::VARCHAR[], {column})", [list(values)]


def _window(store: Store, metric: str) -> list[str]:
    """Quarters with data for the metric, oldest first: the leads' period for the built-in
    metrics (a few renewals signed before the first lead do not open a quarter), the stored
    quarters for a ``rep_metrics`` metric."""
    if metric in BUILTIN_METRICS:
        span = facts.lead_span(store)
        if span is None:
            return []
        q, last = Quarter.of(span[0]), Quarter.of(span[1])
        out = []
        while q <= last:
            out.append(str(q))
            q = q.next()
        return out
    qs = store.query("SELECT DISTINCT quarter FROM rep_metrics WHERE metric = ?", [metric])["quarter"]
    return [str(q) for q in sorted(Quarter.parse(x) for x in qs)]


def team_panel(
    store: Store, filters: Filters | None, scope: Scope, *, metric: str, balanced: bool = True
) -> pd.DataFrame:
    """The metric per team per quarter.

    Definitions by metric:

    - ``conversion``: won / closed among the team's leads closed in the quarter.
    - ``revenue_per_rep``: amount of deals signed in the quarter / reps hired by its end.
    - ``renewal_rate``: renewed / due among renewals due in the quarter
      (:func:`analytics.facts.renewal_dues`).
    - ``nps``: % promoters - % detractors among the quarter's responses of the team's
      accounts (:func:`analytics.facts.nps_responses`), in points (-100..100).
    - any other name: the mean of that ``rep_metrics`` metric over the team's reps. With
      ``balanced`` only reps with a value in every quarter of the store are used, so a
      new hire or a leaver does not move the team average.

    The date range and team selection of ``filters`` are ignored (the pilot design sets
    both); its region selection restricts the teams, its segment selection the leads,
    deals and NPS responses counted. The scope restricts the reps.

    Grain: one row per team per quarter with data. Columns: ``team_id``, ``quarter``,
    ``value``, ``n`` (reps, closed leads, dues or responses behind the value).
    """
    if metric not in BUILTIN_METRICS:
        known = available_metrics(store)
        if metric not in known:
            raise ValueError(f"'{metric}' is not a metric in this store; choose one of: {', '.join(known)}.")
    quarters = _window(store, metric)
    cols = list(PANEL_COLUMNS)
    if not quarters:
        return pd.DataFrame(columns=cols)
    first, last = Quarter.parse(quarters[0]), Quarter.parse(quarters[-1])
    span = Filters(
        start=first.start,
        end=last.end,
        region_ids=filters.region_ids if filters else (),
        segments=filters.segments if filters else (),
    )
    s_sql, s_params = scope.clause("r.rep_id")
    r_sql, r_params = _dims(filters, "r.region_id", "region_ids")
    if metric == "conversion":
        g_sql, g_params = _dims(filters, "l.segment", "segments")
        df = store.query(
            f"""SELECT r.team_id, {quarter_label_sql("l.closed_at")} AS quarter,
                       avg((l.status = 'won')::INTEGER) AS value, count(*) AS n
                FROM leads AS l JOIN v_reps AS r ON r.rep_id = l.rep_id
                WHERE l.status <> 'open' AND l.closed_at BETWEEN ? AND ? AND {s_sql} AND {r_sql} AND {g_sql}
                GROUP BY 1, 2""",  # noqa: S608 - fixed names + placeholders
            [span.start, span.end, *s_params, *r_params, *g_params],
        )
    elif metric == "revenue_per_rep":
        g_sql, g_params = _dims(filters, "d.segment", "segments")
        rev = store.query(
            f"""SELECT r.team_id, {quarter_label_sql("d.signed_at")} AS quarter,
                       sum(d.amount)::DOUBLE AS revenue
                FROM v_deals AS d JOIN v_reps AS r ON r.rep_id = d.rep_id
                WHERE d.signed_at BETWEEN ? AND ? AND {s_sql} AND {r_sql} AND {g_sql}
                GROUP BY 1, 2""",  # noqa: S608 - fixed names + placeholders
            [span.start, span.end, *s_params, *r_params, *g_params],
        )
        reps = store.query(
            f"SELECT r.team_id, r.hire_date FROM v_reps AS r WHERE {s_sql} AND {r_sql}",  # noqa: S608
            [*s_params, *r_params],
        )
        rows = []
        for q in quarters:
            end = Quarter.parse(q).end
            counts = reps[pd.to_datetime(reps["hire_date"]).dt.date <= end].groupby("team_id").size()
            rows.append(pd.DataFrame({"team_id": counts.index, "quarter": q, "n": counts.to_numpy()}))
        heads = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["team_id", "quarter", "n"])
        df = heads.merge(rev, on=["team_id", "quarter"], how="left")
        df["value"] = df["revenue"].fillna(0.0) / df["n"]
    elif metric in ("renewal_rate", "nps"):
        rows = renewal_dues(store, span, scope) if metric == "renewal_rate" else nps_responses(store, span, scope)
        col = "renewed" if metric == "renewal_rate" else "nps_value"
        rows[col] = rows[col].astype(float)
        df = rows.groupby(["team_id", "quarter"])[col].agg(value="mean", n="size").reset_index()
    else:
        raw = store.query(
            f"""SELECT r.team_id, m.quarter, m.rep_id, m.value
                FROM rep_metrics AS m JOIN v_reps AS r ON r.rep_id = m.rep_id
                WHERE m.metric = ? AND {s_sql} AND {r_sql}""",  # noqa: S608 - fixed names + placeholders
            [metric, *s_params, *r_params],
        )
        if balanced and len(raw):
            per_rep = raw.groupby("rep_id")["quarter"].nunique()
            raw = raw[raw["rep_id"].isin(per_rep.index[per_rep == len(quarters)])]
        df = raw.groupby(["team_id", "quarter"])["value"].agg(value="mean", n="size").reset_index()
    df = df[df["quarter"].isin(quarters)]
    df["n"] = df["n"].astype(int)
    df["value"] = df["value"].astype(float)
    return df[cols].sort_values(["team_id", "quarter"], key=_quarter_key).reset_index(drop=True)


def _quarter_key(col: pd.Series) -> pd.Series:
    if col.name == "quarter":
        return col.map(lambda q: (Quarter.parse(q).year, Quarter.parse(q).q))
    return col


def wide_panel(panel: pd.DataFrame, teams: tuple[str, ...]) -> pd.DataFrame:
    """The long panel (:func:`team_panel`) as teams x quarters, trimmed to the usable quarters.

    Quarters where fewer than :data:`MIN_TEAM_COVERAGE` of the teams have a value are
    dropped, then leading quarters in which a pilot team in ``teams`` has no value yet (a
    metric that starts later for a pilot team, e.g. its first renewals, starts the window
    later). Rows with gaps are kept (NaN).

    Grain: one row per team (index ``team_id``), one column per quarter label, oldest first.
    """
    if not len(panel):
        return pd.DataFrame()
    wide = panel.pivot(index="team_id", columns="quarter", values="value")
    wide = wide[sorted(wide.columns, key=Quarter.parse)]
    covered = wide.notna().mean(axis=0) >= MIN_TEAM_COVERAGE
    wide = wide.loc[:, covered.to_numpy()]
    present = [tm for tm in teams if tm in wide.index]
    while wide.shape[1] and present and wide.loc[present, wide.columns[0]].isna().any():
        wide = wide.iloc[:, 1:]
    return wide


def split_periods(quarters: list[str], start: str) -> tuple[list[str], list[str]]:
    """The quarters before the pilot's ``start`` and those from it on: ``(pre, post)``.

    A quarter is *pre* when it ends before the start quarter begins; the start quarter itself
    is the first *post* quarter. With quarters 2024Q3 .. 2025Q4 and start 2025Q2: pre =
    2024Q3, 2024Q4, 2025Q1 and post = 2025Q2, 2025Q3, 2025Q4. Order is kept.
    """
    start_q = Quarter.parse(start)
    pre = [q for q in quarters if Quarter.parse(q) < start_q]
    post = [q for q in quarters if Quarter.parse(q) >= start_q]
    return pre, post
