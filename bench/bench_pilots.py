"""Pilots & audit analyses vs the bare DuckDB aggregates they wrap and plain pandas versions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics import audit, pilots
from analytics.access import Scope
from analytics.filters import Filters
from analytics.store import Store
from bench.__main__ import Case

_PANEL_SQL = """SELECT r.team_id, m.quarter, avg(m.value) AS value, count(*) AS n
                FROM rep_metrics AS m JOIN reps AS r USING (rep_id)
                WHERE m.metric = 'collaboration_score' GROUP BY 1, 2"""
_REVENUE_SQL = """SELECT rep_id, year(signed_at) || 'Q' || quarter(signed_at) AS quarter, sum(amount) AS revenue,
                         sum(gross_profit) AS gp
                  FROM deals WHERE signed_at BETWEEN DATE '2024-01-01' AND DATE '2025-12-31' GROUP BY 1, 2"""


def cases(store: Store) -> list[Case]:
    """Team panel, the full pilot evaluation, the SDID core, renewal dues and the health audit."""
    scope = Scope.leader()
    cache: dict[str, pd.DataFrame] = {}

    def frame(name: str, sql: str) -> pd.DataFrame:
        if name not in cache:
            cache[name] = store.query(sql)
        return cache[name]

    def pandas_panel() -> pd.DataFrame:
        m = frame("metrics", "SELECT rep_id, quarter, metric, value FROM rep_metrics")
        reps = frame("reps", "SELECT rep_id, team_id FROM reps")
        m = m[m["metric"] == "collaboration_score"].merge(reps, on="rep_id")
        return m.groupby(["team_id", "quarter"])["value"].agg(["mean", "size"])

    def pandas_did() -> float:
        """Plain DiD of the flagged pilot teams against every other team (no inference)."""
        wide = pandas_panel()["mean"].unstack()
        teams, start = pilots.pilot_flags(store)
        pre = [q for q in wide.columns if q < (start or "")]
        post = [q for q in wide.columns if q >= (start or "")]
        gap = wide.loc[list(teams)].mean() - wide.drop(index=list(teams)).mean()
        return float(gap[post].mean() - gap[pre].mean())

    panel = pilots.team_panel(store, None, scope, metric="collaboration_score")
    wide = panel.pivot(index="team_id", columns="quarter", values="value").dropna()
    teams, start = pilots.pilot_flags(store)
    y = wide.to_numpy()
    treated = wide.index.isin(teams)
    pre = np.array([q < (start or "") for q in wide.columns])

    def pandas_dues() -> int:
        deals = frame(
            "deals", "SELECT account_id, rep_id, signed_at, deal_type FROM deals WHERE account_id IS NOT NULL"
        )
        src = deals[deals["deal_type"].isin(["new", "renewal"])].assign(
            due=lambda d: pd.to_datetime(d["signed_at"]) + pd.Timedelta(days=audit.RENEWAL_TERM_DAYS)
        )
        ren = deals[deals["deal_type"] == "renewal"][["account_id", "signed_at"]]
        pairs = src.reset_index().merge(ren, on="account_id", how="left", suffixes=("", "_r"))
        delta = (pd.to_datetime(pairs["signed_at_r"]) - pairs["due"]).dt.days
        pairs["hit"] = delta.between(-audit.RENEWAL_EARLY_DAYS, audit.RENEWAL_GRACE_DAYS)
        return int(pairs.groupby("index")["hit"].any().sum())

    def pandas_audit_core() -> pd.DataFrame:
        deals = frame(
            "deals_amt", "SELECT rep_id, signed_at, amount::DOUBLE AS amount, gross_profit::DOUBLE AS gp FROM deals"
        )
        q = pd.PeriodIndex(pd.to_datetime(deals["signed_at"]), freq="Q").astype(str)
        rev = deals.assign(quarter=q).groupby(["rep_id", "quarter"])[["amount", "gp"]].sum()
        tg = frame("targets", "SELECT rep_id, quarter, target_amount::DOUBLE AS target FROM targets")
        out = tg.merge(rev.reset_index(), on=["rep_id", "quarter"], how="left").fillna(0.0)
        out["att"] = out["amount"] / out["target"]
        return out.groupby("quarter").agg(revenue=("amount", "sum"), share=("att", lambda a: (a >= 0.8).mean()))

    return [
        Case(
            "pilots.team_panel (collaboration_score)",
            lambda: pilots.team_panel(store, None, scope, metric="collaboration_score"),
            {"duckdb": lambda: store.query(_PANEL_SQL), "pandas": pandas_panel},
            repeats=5,
            target_s=1.0,
        ),
        Case(
            "pilots.estimate_panel sdid (400 placebos)",
            lambda: pilots.estimate_panel(y, treated, ~treated, pre, method="sdid"),
            {
                "numpy_plain_did": lambda: pilots.estimate_panel(
                    y, treated, ~treated, pre, method="did", n_matches=0, n_placebo=0
                )
            },
            repeats=3,
            target_s=5.0,
        ),
        Case(
            "pilots.evaluate_pilot (3 methods + placebo-in-time)",
            lambda: pilots.evaluate_pilot(store, None, scope, metric="collaboration_score"),
            {"duckdb": lambda: store.query(_PANEL_SQL), "pandas_plain_did": pandas_did},
            repeats=3,
            target_s=10.0,
        ),
        Case(
            "audit.renewal_dues (all)",
            lambda: audit.renewal_dues(
                store, Filters(start=pd.Timestamp("2024-01-01").date(), end=pd.Timestamp("2025-12-31").date()), scope
            ),
            {"pandas": pandas_dues},
            repeats=5,
            target_s=2.0,
        ),
        Case(
            "audit.health_audit (2025H2)",
            lambda: audit.health_audit(store, None, scope, half="2025H2"),
            {"duckdb": lambda: store.query(_REVENUE_SQL), "pandas": pandas_audit_core},
            repeats=3,
            target_s=10.0,
        ),
    ]
