"""Attribution analytics vs the bare DuckDB aggregates they wrap and plain pandas versions.

Targets (issue 3, on the 10M-lead store): the source table for any filter under 0.5 s; Markov
and Shapley over all journeys under 10 s; each query within 1.5x of its bare aggregate.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics import attribution as attr
from analytics.access import Scope
from analytics.attribution import touch
from analytics.filters import Filters
from analytics.store import Store
from bench.__main__ import Case

#: The bare aggregate the source table wraps: leads, wins and won value per source (and quarter).
BARE_SOURCES = """
    SELECT l.source, {quarter} count(*) AS leads, count(*) FILTER (WHERE l.status = 'won') AS won,
           sum(d.amount) AS revenue
    FROM leads AS l
    LEFT JOIN deals AS d ON d.lead_id = l.lead_id AND d.deal_type = 'new'
    WHERE l.created_at BETWEEN ? AND ? AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], l.region_id))
    GROUP BY ALL"""
#: The bare aggregate the journey models wrap: each lead's ordered channel list, counted by path.
BARE_JOURNEYS = """
    SELECT path, converted, count(*) AS journeys FROM (
        SELECT t.lead_id, any_value(l.status = 'won') AS converted, list(t.channel ORDER BY t.touched_at) AS path
        FROM touchpoints AS t JOIN leads AS l ON l.lead_id = t.lead_id
        WHERE l.created_at BETWEEN ? AND ?
        GROUP BY t.lead_id)
    GROUP BY ALL"""


def cases(store: Store) -> list[Case]:
    """Source tables for three filters, the journey models over all journeys, and the bootstrap."""
    scope = Scope.leader()
    quarter = Filters.for_quarter("2025Q3")
    everything = Filters(start=date(2024, 1, 1), end=date(2025, 12, 31))
    region = Filters(start=date(2024, 1, 1), end=date(2025, 12, 31), region_ids=("R01", "R02"))
    frames: dict[str, pd.DataFrame] = {}

    def leads_frame() -> pd.DataFrame:
        if "leads" not in frames:
            frames["leads"] = store.query(
                "SELECT l.source, l.created_at, l.status, d.amount::DOUBLE AS amount FROM leads AS l"
                " LEFT JOIN deals AS d ON d.lead_id = l.lead_id AND d.deal_type = 'new'"
            )
        return frames["leads"]

    def pandas_sources(f: Filters) -> object:
        df = leads_frame()
        df = df[(df["created_at"] >= pd.Timestamp(f.start)) & (df["created_at"] <= pd.Timestamp(f.end))]
        won = df["status"] == "won"
        out = (
            df.assign(won=won)
            .groupby("source")
            .agg(leads=("won", "size"), won=("won", "sum"), revenue=("amount", "sum"))
        )
        return out.assign(rate=out["won"] / out["leads"])

    def touches_frame() -> pd.DataFrame:
        if "touches" not in frames:
            frames["touches"] = store.query(
                "SELECT t.lead_id, t.touched_at, t.channel, l.status = 'won' AS converted"
                " FROM touchpoints AS t JOIN leads AS l USING (lead_id)"
            )
        return frames["touches"]

    def pandas_journeys() -> object:
        df = touches_frame().sort_values(["lead_id", "touched_at"])
        paths = df.groupby("lead_id", sort=False).agg(path=("channel", tuple), converted=("converted", "first"))
        return paths.groupby(["path", "converted"]).size()

    def sources(f: Filters, by: tuple[str, ...] = ("source",)) -> object:
        return attr.source_table(store, f, scope, by=by)

    def bare(f: Filters, *, by_quarter: bool = False) -> object:
        sql = BARE_SOURCES.format(quarter="year(l.created_at), quarter(l.created_at)," if by_quarter else "")
        regions = list(f.region_ids)
        return store.query(sql, [f.start, f.end, regions, regions])

    def journeys_only() -> object:
        return touch.build_journeys(store, everything, scope)

    def models(names: tuple[str, ...], reps: int) -> object:
        j = touch.build_journeys(store, everything, scope)
        return [touch.credit(j, m, bootstrap_reps=reps) for m in names]

    bare_journeys = {
        "duckdb": lambda: store.query(BARE_JOURNEYS, [everything.start, everything.end]),
        "pandas": pandas_journeys,
    }
    return [
        Case(
            "attribution.source_table (2025Q3)",
            lambda: sources(quarter),
            {"duckdb": lambda: bare(quarter), "pandas": lambda: pandas_sources(quarter)},
            target_s=0.5,
        ),
        Case(
            "attribution.source_table (all data)",
            lambda: sources(everything),
            {"duckdb": lambda: bare(everything), "pandas": lambda: pandas_sources(everything)},
            target_s=0.5,
        ),
        Case(
            "attribution.source_table (2 regions, by source x quarter)",
            lambda: sources(region, ("source", "quarter")),
            {"duckdb": lambda: bare(region, by_quarter=True)},
            target_s=0.5,
        ),
        Case(
            "attribution.survival_counts (the table's one query, 2025Q3)",
            lambda: attr.survival_counts(store, quarter, scope),
            {"duckdb": lambda: bare(quarter)},
        ),
        Case(
            "attribution.survival_counts (the table's one query, all data)",
            lambda: attr.survival_counts(store, everything, scope),
            {"duckdb": lambda: bare(everything)},
        ),
        Case(
            "attribution.conversion_curves (all data)",
            lambda: attr.conversion_curves(store, everything, scope),
            {"duckdb": lambda: bare(everything)},
        ),
        Case("attribution_touch.build_journeys (all data)", journeys_only, bare_journeys, repeats=3),
        Case(
            "attribution_touch markov + shapley (all journeys, point)",
            lambda: models(("markov", "shapley"), 0),
            {"duckdb": bare_journeys["duckdb"]},
            repeats=3,
            target_s=10.0,
        ),
        Case(
            "attribution_touch markov + shapley (all journeys, 200 bootstrap)",
            lambda: models(("markov", "shapley"), touch.BOOTSTRAP_REPS),
            {"duckdb": bare_journeys["duckdb"]},
            repeats=3,
        ),
        Case(
            "attribution_touch.compare_models (all 8 models, 200 bootstrap)",
            lambda: touch.compare_models(store, everything, scope),
            {"duckdb": bare_journeys["duckdb"]},
            repeats=3,
        ),
    ]
