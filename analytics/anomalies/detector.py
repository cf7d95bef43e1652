"""Flag anomalous unit-weeks of a period: the detector fitted on a weekly panel, the flagged
rows with their band, money at stake and top segment driver, and notes for the reader.

The detector and its method: :mod:`analytics.anomalies.estimator`; the panel:
:mod:`analytics.anomalies.panel`; the top driver: :mod:`analytics.anomalies.shift_share`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from analytics.access import Scope
from analytics.anomalies.estimator import WeeklyAnomalyDetector
from analytics.anomalies.metrics import (
    DEFAULT_METRIC,
    DEFAULT_SENSITIVITY,
    TOTAL,
    Metric,
    level_column,
    metric_spec,
)
from analytics.anomalies.panel import detector_input, weekly_panel
from analytics.anomalies.shift_share import segment_driver
from analytics.filters import Filters
from analytics.findings import Finding
from analytics.periods import iso_week_label
from analytics.store import Store


@dataclass(frozen=True)
class Detection:
    """What :func:`detect` found for one metric.

    ``anomalies``: one row per flagged unit-week inside the period, most severe first:
    ``unit``, ``week_start``, ``week_label`` (``2025-W32``), ``metric``, ``series`` (``*`` or
    the segment whose band was crossed), ``direction`` (down / up), ``actual``,
    ``expected``, ``lower``, ``upper`` (of that series), ``score`` (adjusted robust z),
    ``money_at_stake`` (``expected - actual`` in money terms; NaN for leads without
    revenue history), ``top_driver`` (``segment:term`` of the largest contribution in the
    direction of the change, see :mod:`analytics.anomalies.shift_share`), ``top_driver_share``.

    ``series``: one row per (unit, series, week) inside the period, for charts (columns as
    :attr:`WeeklyAnomalyDetector.result_` plus ``flagged``). ``notes``: messages such as a
    too-short history (:class:`analytics.findings.Finding`). ``scored_weeks``: unit-weeks inside the period that had a score.
    """

    metric: str
    level: str
    sensitivity: float
    anomalies: pd.DataFrame
    series: pd.DataFrame
    notes: tuple[Finding, ...]
    scored_weeks: int


ANOMALY_COLUMNS = [
    "unit",
    "week_start",
    "week_label",
    "metric",
    "series",
    "direction",
    "actual",
    "expected",
    "lower",
    "upper",
    "score",
    "money_at_stake",
    "top_driver",
    "top_driver_share",
]


def fit_detector(
    panel: pd.DataFrame,
    metric: str = DEFAULT_METRIC,
    *,
    sensitivity: float = DEFAULT_SENSITIVITY,
    by_segment: bool = True,
    **params: Any,
) -> WeeklyAnomalyDetector:
    """A :class:`WeeklyAnomalyDetector` fitted on one metric of a :func:`weekly_panel`."""
    spec = metric_spec(metric)
    det = WeeklyAnomalyDetector(kind=spec.kind, sensitivity=sensitivity, **params)
    return det.fit(detector_input(panel, metric, by_segment=by_segment))


def detect(
    panel: pd.DataFrame,
    filters: Filters,
    *,
    metric: str = DEFAULT_METRIC,
    level: str = "region",
    sensitivity: float = DEFAULT_SENSITIVITY,
    by_segment: bool = True,
    **params: Any,
) -> Detection:
    """Flag unit-weeks of ``panel`` inside ``filters``' period (and region/team selection).

    Parameters
    ----------
    panel
        :func:`weekly_panel` for the same filters, scope and level.
    filters
        The period to report and the units to list (``region_ids`` for regions,
        ``team_ids`` for teams).
    metric
        ``won_revenue`` (default), ``conversion_rate``, ``leads`` or ``avg_deal_value``.
    sensitivity
        Robust z threshold (default 3.0); lower flags more.
    by_segment
        Also test each segment's series (Bonferroni-adjusted), see the module docstring.
    params
        Detector parameters (``window_weeks``, ``min_history_weeks``, ...).
    """
    spec = metric_spec(metric)
    level_column(level)
    if not np.isfinite(sensitivity) or sensitivity <= 0:
        raise ValueError(f"sensitivity {sensitivity!r} must be a positive number such as 3.0.")
    notes: list[Finding] = []
    empty = pd.DataFrame(columns=ANOMALY_COLUMNS)
    if panel.empty:
        notes.append(Finding("No leads or deals in the selection; nothing to check."))
        return Detection(metric, level, sensitivity, empty, pd.DataFrame(), tuple(notes), 0)
    det = fit_detector(panel, metric, sensitivity=sensitivity, by_segment=by_segment, **params)
    chosen = filters.region_ids if level == "region" else filters.team_ids
    in_period = [w for w in det.weeks_ if filters.start - timedelta(days=6) <= w <= filters.end]
    us = det.unit_scores_
    us = us[us["week_start"].isin(in_period)]
    if chosen:
        us = us[us["unit"].isin(chosen)]
        missing = sorted(set(chosen) - set(det.units_))
        for u in missing:
            notes.append(Finding("{unit} has no leads or deals in the selection.", {"unit": u}))
    scored = us[us["score"].notna()]
    if len(us) and scored.empty:
        notes.append(
            Finding(
                "The history is too short for a baseline: each point needs at least {n} earlier weeks "
                "with activity. Choose a later period.",
                {"n": det.min_history_weeks},
                kinds={"n": "count"},
            )
        )
    elif len(us) > len(scored):
        short = sorted(set(us.loc[us["score"].isna(), "unit"]) - set(scored["unit"]))
        for u in short:
            notes.append(Finding("{unit} has too little history for a baseline in this period.", {"unit": u}))
    res = det.result_
    res = res[res["week_start"].isin(in_period) & (res["unit"].isin(us["unit"].unique()))].copy()
    flagged = scored[scored["flagged"]]
    res = res.merge(us[["unit", "week_start", "flagged"]], on=["unit", "week_start"], how="left")
    res["flagged"] = res["flagged"].fillna(False).astype(bool) & (
        (res["actual"] < res["lower"]) | (res["actual"] > res["upper"])
    )
    rows = []
    by_unit = dict(tuple(panel[panel["unit"].isin(flagged["unit"].unique())].groupby("unit")))
    indexed = res.set_index(["unit", "week_start", "series"]).sort_index()
    for rec in flagged.itertuples(index=False):
        if (rec.unit, rec.week_start, rec.series) not in indexed.index:
            continue
        r0 = indexed.loc[(rec.unit, rec.week_start, rec.series)]
        g = indexed.loc[(rec.unit, rec.week_start, TOTAL), "ref_factor"] if rec.series != TOTAL else r0["ref_factor"]
        unit_panel = by_unit[rec.unit]
        driver = segment_driver(unit_panel, det, spec.name, rec.unit, rec.week_start, g=float(g))
        rows.append(
            {
                "unit": rec.unit,
                "week_start": rec.week_start,
                "week_label": iso_week_label(rec.week_start),
                "metric": spec.name,
                "series": rec.series,
                "direction": "down" if rec.score < 0 else "up",
                "actual": r0["actual"],
                "expected": r0["expected"],
                "lower": r0["lower"],
                "upper": r0["upper"],
                "score": rec.score,
                "money_at_stake": _money_at_stake(unit_panel, det, spec, rec.unit, rec.week_start, rec.series, r0),
                "top_driver": driver[0],
                "top_driver_share": driver[1],
            }
        )
    anomalies = pd.DataFrame(rows, columns=ANOMALY_COLUMNS)
    if len(anomalies):
        anomalies["_sev"] = anomalies["score"].abs()
        anomalies["_money"] = anomalies["money_at_stake"].abs().fillna(0)
        anomalies = anomalies.sort_values(["_sev", "_money"], ascending=False).drop(columns=["_sev", "_money"])
        anomalies = anomalies.reset_index(drop=True)
    return Detection(spec.name, level, sensitivity, anomalies, res.reset_index(drop=True), tuple(notes), len(scored))


def _money_at_stake(
    panel: pd.DataFrame, det: WeeklyAnomalyDetector, spec: Metric, unit: str, week: date, series: str, row: pd.Series
) -> float:
    """``expected - actual`` in money: revenue directly, or lost units x the baseline value per unit."""
    gap = float(row["expected"] - row["actual"])
    if spec.name == "won_revenue":
        return gap
    base = det.baseline_weeks_.get((unit, week), ())
    sub = panel[(panel["unit"] == unit) & panel["week_start"].isin(base)]
    if series != TOTAL:
        sub = sub[sub["segment"] == series]
    this = panel[(panel["unit"] == unit) & (panel["week_start"] == week)]
    if series != TOTAL:
        this = this[this["segment"] == series]
    revenue = float(sub["won_revenue"].sum())
    if spec.name == "conversion_rate":
        per_win = revenue / sub["won"].sum() if sub["won"].sum() else np.nan
        return gap * float(this["closed"].sum()) * per_win
    if spec.name == "leads":
        return gap * (revenue / sub["leads"].sum()) if sub["leads"].sum() else np.nan
    return gap * float(this["deals"].sum())  # avg_deal_value


def find_anomalies(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    metric: str = DEFAULT_METRIC,
    level: str = "region",
    sensitivity: float = DEFAULT_SENSITIVITY,
    by_segment: bool = True,
) -> Detection:
    """:func:`weekly_panel` + :func:`detect` in one call (the CLI and the benchmark use it)."""
    panel = weekly_panel(store, filters, scope, level=level)
    return detect(panel, filters, metric=metric, level=level, sensitivity=sensitivity, by_segment=by_segment)
