"""Payout statements: every rep's pay explained line by line, aggregated pay, safe exports.

:func:`trace` and :func:`statement` list the lines of the pay of one or more reps (their
``amount`` sums to the rep's total pay exactly); :func:`pay_lines` is the one door through
which individual pay leaves for an output, and :func:`pay_by_team` is what a viewer who
sees pay aggregated only gets instead (:func:`analytics.access.sees_individual_pay`).
:func:`to_csv_bytes` / :func:`to_xlsx_bytes` export a frame with formula cells neutralised.
Money in the sentences of the ``detail`` column is formatted by :mod:`analytics.format`
(the display currency, ``LAB_CURRENCY``).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

from analytics.access import require_individual_pay
from analytics.format import money
from analytics.incentives.engine import COMPONENTS, PER_REP_COLUMNS, SimulationResult, _round

#: Characters that make a spreadsheet cell a formula (neutralised on export).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Columns of :func:`trace`.
TRACE_COLUMNS = ("rule", "tier", "metric", "value", "rate", "amount", "detail")
#: Columns of :func:`statement`.
STATEMENT_COLUMNS = ("quarter", "plan", "rep_id", "rep_name", "team_id", "grade", "line", *TRACE_COLUMNS)


def _pct(x: float) -> str:
    """A fraction as a compact percentage for the ``detail`` sentences (``80%``, ``1.8%``)."""
    return f"{100 * x:.4g}%"


def _lines(result: SimulationResult, idx: np.ndarray) -> pd.DataFrame:
    """Trace lines of the reps at positions ``idx`` of ``per_rep`` (vectorised over reps).

    Grain: one row per rep and line, ordered by rep then line. Columns: ``rep_pos``, ``line`` and
    :data:`TRACE_COLUMNS`.
    """
    d, plan, rows = result.detail, result.plan, result.per_rep.iloc[idx]
    n = len(idx)
    att = rows["attainment"].to_numpy(dtype=float)
    parts: list[pd.DataFrame] = []

    def add(rule: str, tier: int | None, metric: str, value: Any, rate: Any, amount: Any, detail: list[str]) -> None:
        parts.append(
            pd.DataFrame(
                {
                    "rep_pos": idx,
                    "rule": rule,
                    "tier": tier,
                    "metric": metric,
                    "value": np.broadcast_to(np.asarray(value, dtype=float), n),
                    "rate": np.broadcast_to(np.asarray(rate, dtype=float), n),
                    "amount": np.broadcast_to(np.asarray(amount, dtype=float), n),
                    "detail": detail,
                }
            )
        )

    b = plan.base_bonus
    reached = d["reached"][0, idx]
    add(
        "base_bonus",
        None,
        "monthly_salary",
        rows["monthly_salary"],
        np.where(reached, b.salary_share, 0.0),
        rows["base_bonus"],
        [
            f"attainment {_pct(a)} reaches the {_pct(b.threshold)} threshold: {_pct(b.salary_share)} of monthly salary"
            if r
            else f"attainment {_pct(a)} is below the {_pct(b.threshold)} threshold: no base bonus"
            for a, r in zip(att, reached, strict=True)
        ],
    )
    c = plan.commission
    eligible = d["eligible"][0, idx]
    below = f" (below the {_pct(c.threshold)} commission threshold)"
    for k, tier in enumerate(c.tiers):
        band = d["bands"][k, 0, idx]
        if c.mode == "retroactive":
            reached_text = f"whole won amount at tier {k + 1} (from {_pct(tier.start)} of target), the highest reached"
            other_text = f"tier {k + 1} (from {_pct(tier.start)} of target) is not the highest tier reached"
            texts = [reached_text if v > 0 else other_text for v in band]
        else:
            span = (
                f"between {_pct(tier.start)} and {_pct(c.tiers[k + 1].start)} of target"
                if k + 1 < len(c.tiers)
                else f"above {_pct(tier.start)} of target"
            )
            texts = [f"won amount {span} at {_pct(tier.rate)}"] * n
        texts = [tx if ok else tx + below for tx, ok in zip(texts, eligible, strict=True)]
        add("commission", k + 1, "won_amount", band, tier.rate, _round(band * tier.rate), texts)
    if c.cap_amount is not None:
        before = d["commission_before_cap"][0, idx]
        add(
            "commission_cap",
            None,
            "commission",
            before,
            np.nan,
            _round(rows["commission"].to_numpy() - before),
            [f"commission capped at {money(c.cap_amount)}"] * n,
        )
    t = plan.team
    pool, size = d["team_pool"][idx], d["team_size"][idx]
    top = d["top_team"][idx]
    add(
        "team_equal",
        None,
        "team_pool",
        pool,
        t.equal_share / size,
        d["team_equal"][idx],
        [
            f"team pool {money(p)} ({money(t.pool_per_member)} x {int(s)} members"
            f"{f', +{_pct(t.collaboration_uplift)} collaboration uplift' if up else ''}) x {_pct(t.equal_share)} / "
            f"{int(s)} members"
            for p, s, up in zip(pool, size, top, strict=True)
        ],
    )
    share = d["team_share"][0, idx]
    add(
        "team_contribution",
        None,
        "team_pool",
        pool,
        (1 - t.equal_share) * share,
        d["team_contrib"][0, idx],
        [f"team pool x {_pct(1 - t.equal_share)} x own share {_pct(sh)} of the team's won amount" for sh in share],
    )
    per_point = float(d["per_point"][0])
    add(
        "innovation",
        None,
        "innovation_points",
        rows["innovation_points"],
        per_point,
        rows["innovation_bonus"],
        [
            f"{_pct(plan.innovation.excess_profit_share)} of excess gross profit {money(float(d['excess_gp'][0]))} = "
            f"{money(float(d['innovation_pool'][0]))} pool, {money(per_point)} per point"
        ]
        * n,
    )
    factor = float(d["factor"][0])
    if factor != 1.0:
        scaling = rows["budget_scaling"].to_numpy()
        add(
            "budget_scaling",
            None,
            "subtotal",
            rows["total_pay"].to_numpy() - scaling,
            factor - 1.0,
            scaling,
            [f"over budget: every payout scaled by {factor:.6f}"] * n,
        )
    if not n:
        return pd.DataFrame(columns=["rep_pos", "line", *TRACE_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    out["order"] = np.repeat(np.arange(len(parts)), n)
    out = out.sort_values(["rep_pos", "order"], kind="stable", ignore_index=True)
    out["line"] = out.groupby("rep_pos").cumcount() + 1
    out["tier"] = out["tier"].astype("Int64")
    return out[["rep_pos", "line", *TRACE_COLUMNS]]


def trace(result: SimulationResult, rep_id: str) -> pd.DataFrame:
    """The payout lines of one rep; ``amount`` sums to the rep's ``total_pay`` exactly.

    Columns: ``rule`` (base_bonus, commission, commission_cap, team_equal, team_contribution,
    innovation, budget_scaling), ``tier`` (commission tier number), ``metric`` (what ``value``
    measures), ``value``, ``rate``, ``amount`` (CNY; ``value * rate`` rounded to the cent),
    ``detail`` (an English sentence). Empty when the rep is not in the result.
    Raises :class:`analytics.access.AccessDenied` for a viewer who sees pay aggregated only.
    """
    require_individual_pay(result.viewer)
    hits = np.flatnonzero(result.per_rep["rep_id"].to_numpy() == rep_id)
    return _lines(result, hits[:1])[list(TRACE_COLUMNS)].reset_index(drop=True)


def statement(result: SimulationResult, rep_ids: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Payout statements: every trace line of the given reps (default all visible), one row per line.

    Columns: :data:`STATEMENT_COLUMNS` (``quarter, plan, rep_id, rep_name, team_id, grade, line`` and the
    trace columns). Reps not in the result are skipped. Raises
    :class:`analytics.access.AccessDenied` for a viewer who sees pay aggregated only.
    """
    require_individual_pay(result.viewer)
    ids = result.per_rep["rep_id"].to_numpy()
    if rep_ids is None:
        idx = np.arange(len(ids))
    else:
        pos = pd.Index(ids).get_indexer(list(rep_ids))
        idx = pos[pos >= 0]
    lines = _lines(result, idx)
    rows = result.per_rep.iloc[lines["rep_pos"].to_numpy()] if len(lines) else result.per_rep.iloc[:0]
    out = pd.DataFrame(
        {
            "quarter": result.quarter,
            "plan": result.plan.name,
            "rep_id": rows["rep_id"].to_numpy(),
            "rep_name": rows["rep_name"].to_numpy(),
            "team_id": rows["team_id"].to_numpy(),
            "grade": rows["grade"].to_numpy(),
        }
    )
    for col in ("line", *TRACE_COLUMNS):
        out[col] = lines[col].to_numpy()
    out["tier"] = out["tier"].astype("Int64")
    return out[list(STATEMENT_COLUMNS)]


def pay_lines(result: SimulationResult, columns: list[str] | tuple[str, ...] = PER_REP_COLUMNS) -> pd.DataFrame:
    """Every visible rep's pay (one row per rep, ``columns`` of :data:`PER_REP_COLUMNS`).

    The one door through which individual pay leaves the engine for an output (CLI, export).
    Raises :class:`analytics.access.AccessDenied` for a viewer who sees pay aggregated only;
    serve them :func:`pay_by_team`.
    """
    require_individual_pay(result.viewer)
    return result.per_rep[list(columns)].copy()


#: Columns of :func:`pay_by_team`.
TEAM_PAY_COLUMNS = (
    "team_id",
    "region_id",
    "reps",
    "won_amount",
    "target_amount",
    "attainment",
    *COMPONENTS,
    "total_pay",
    "mean_pay",
)


def pay_by_team(result: SimulationResult) -> pd.DataFrame:
    """Pay aggregated per team: what a viewer who sees pay aggregated only is shown.

    Grain: one row per team with a visible rep. ``attainment`` is the team's won amount over
    its target; money columns are sums over the team's reps (``mean_pay`` = total / reps).
    """
    per = result.per_rep
    if per.empty:
        return pd.DataFrame(columns=list(TEAM_PAY_COLUMNS))
    sums = ["won_amount", "target_amount", *COMPONENTS, "total_pay"]
    g = per.groupby(["team_id", "region_id"], as_index=False).agg(
        reps=("rep_id", "size"), **{c: (c, "sum") for c in sums}
    )
    g["attainment"] = g["won_amount"] / g["target_amount"].where(g["target_amount"] > 0)  # NaN without a target
    g["mean_pay"] = (g["total_pay"] / g["reps"]).round(2)
    for c in (*COMPONENTS, "total_pay", "won_amount", "target_amount"):
        g[c] = g[c].round(2)
    return g[list(TEAM_PAY_COLUMNS)].sort_values("team_id", ignore_index=True)


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` where text cells starting with = + - @ tab or CR get a leading apostrophe.

    Spreadsheet programs treat such cells as formulas (CSV/formula injection, OWASP); the
    apostrophe makes them plain text. Numbers are left as numbers.
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v)
    out.columns = [("'" + c if isinstance(c, str) and c.startswith(FORMULA_PREFIXES) else c) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (Excel opens Chinese text correctly), formula cells neutralised."""
    return neutralise(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "statement") -> bytes:
    """An .xlsx workbook of ``df`` (formula cells neutralised; strings never become formulas or links)."""
    import xlsxwriter

    safe = neutralise(df)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    ws = book.add_worksheet(sheet[:31])
    ws.write_row(0, 0, [str(c) for c in safe.columns])
    for j, col in enumerate(safe.columns):
        values = safe[col].astype(object).where(safe[col].notna(), None).tolist()
        ws.write_column(1, j, values)
    book.close()
    return buf.getvalue()
