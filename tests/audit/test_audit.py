"""Health audit: definitions by hand, statistics against statsmodels, the planted side effect, the report."""

from __future__ import annotations

import json
import math
import re
from datetime import date
from html import escape as html_escape

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps

from analytics import audit, demo, incentives, periods
from analytics import format as fmtlib
from analytics.access import Scope
from analytics.cli.common import main as cli_main
from analytics.filters import Filters
from analytics.findings import render
from analytics.i18n import catalogue
from analytics.incentives import plans
from analytics.store import Store

LEADER = Scope.leader()
ALL = Filters(start=date(2023, 1, 1), end=date(2026, 12, 31))


# -- definitions on hand-made stores ---------------------------------------------------------
@pytest.fixture
def tiny(empty_store):
    s = empty_store
    s.execute("INSERT INTO regions VALUES ('R1', 'East')")
    s.execute(
        "INSERT INTO teams VALUES ('T1', 'A', 'R1', 'field', false, NULL), ('T2', 'B', 'R1', 'field', false, NULL)"
    )
    s.execute(
        "INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', '2020-01-01', 9000, NULL),"
        " ('S2', 'Bo', 'T2', 'field', '2025-08-16', 12000, NULL)"
    )
    s.execute(
        "INSERT INTO accounts VALUES ('A', 'a', 'smb', 'R1'), ('B', 'b', 'enterprise', 'R1'),"
        " ('C', 'c', 'smb', 'R1'), ('D', 'd', 'smb', 'R1'), ('E', 'e', 'smb', 'R1')"
    )
    deals = [
        ("D1", "A", "S1", "2024-01-10", 1000, "new"),  # due 2025-01-09, renewed 2025-01-05 (early, counts)
        ("D2", "A", "S1", "2025-01-05", 1100, "renewal"),  # due 2026-01-05: still open, left out
        ("D3", "B", "S1", "2024-02-01", 5000, "new"),  # due 2025-01-31, never renewed
        ("D4", "C", "S2", "2024-03-01", 800, "new"),  # due 2025-03-01, renewed 2025-04-10 (40 days late: no)
        ("D5", "C", "S2", "2025-04-10", 800, "renewal"),
        ("D6", "D", "S1", "2024-06-30", 700, "new"),  # due 2025-06-30, renewed 2025-07-20 (20 days late: yes)
        ("D7", "D", "S1", "2025-07-20", 700, "renewal"),
        ("D8", "E", "S1", "2024-11-30", 600, "upsell"),  # upsells make nothing due
        ("D9", None, "S1", "2025-12-31", 10, "new"),  # no account: nothing due; sets the last signed day
    ]
    for d in deals:
        s.execute(
            "INSERT INTO deals VALUES (?, NULL, ?, ?, ?, ?, ?, ?, 0)", [d[0], d[1], d[2], d[3], d[4], d[4] / 2, d[5]]
        )
    return s


def test_renewal_dues_by_hand(tiny):
    dues = audit.renewal_dues(tiny, ALL, LEADER)
    assert sorted(dues["account_id"]) == ["A", "B", "C", "D"]  # the 2026 dues are still open
    first = audit.renewal_dues(tiny, Filters(start=date(2025, 1, 1), end=date(2025, 6, 30)), LEADER)
    got = {(r.account_id, str(pd.Timestamp(r.due_date).date())): bool(r.renewed) for r in first.itertuples()}
    assert got == {
        ("A", "2025-01-09"): True,
        ("B", "2025-01-31"): False,
        ("C", "2025-03-01"): False,
        ("D", "2025-06-30"): True,
    }
    assert set(first["quarter"]) == {"2025Q1", "2025Q2"}
    # the renewals of C (2025-04-10) and D (2025-07-20) make new dues in 2026: not yet decided
    assert audit.renewal_dues(tiny, Filters(start=date(2026, 1, 1), end=date(2026, 12, 31)), LEADER).empty


def test_renewal_dues_follow_the_scope(tiny):
    only_s2 = audit.renewal_dues(tiny, ALL, Scope(role="rep", rep_id="S2"))
    assert set(only_s2["rep_id"]) == {"S2"} and set(only_s2["account_id"]) == {"C"}


def test_nps_owner_and_value_by_hand(tiny):
    for acc, day, score in [
        ("A", "2025-02-01", 10),
        ("A", "2025-03-01", 6),
        ("B", "2025-02-15", 8),
        ("C", "2025-02-20", 9),
        ("ZZ", "2025-02-20", 0),
    ]:
        tiny.execute("INSERT INTO nps VALUES (?, ?, ?)", [acc, day, score])
    r = audit.nps_responses(tiny, ALL, LEADER)
    assert set(zip(r["account_id"], r["rep_id"], strict=True)) == {("A", "S1"), ("B", "S1"), ("C", "S2")}
    assert "ZZ" not in set(r["account_id"])  # no deal, no owner
    nps, lo, hi = audit.nps_with_interval(r["nps_value"].to_numpy())
    p, d, n = 2 / 4, 1 / 4, 4
    assert nps == pytest.approx(100 * (p - d))
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    assert (lo, hi) == pytest.approx((nps - 1.959964 * se, nps + 1.959964 * se), abs=1e-4)


def test_rep_quarters_attainment_and_salary_proration(tiny):
    tiny.execute("INSERT INTO targets VALUES ('S1', '2025Q3', 1000, 400), ('S2', '2025Q3', 2000, 800)")
    rq = audit.rep_quarters(tiny, None, LEADER, quarters=("2025Q3",)).set_index("rep_id")
    assert rq.loc["S1", "revenue"] == 700 and rq.loc["S1", "attainment"] == pytest.approx(0.7)
    assert rq.loc["S1", "salary_cost"] == pytest.approx(27000)
    # S2 joined on 2025-08-16: employed 16 + 30 = 46 of the quarter's 92 days
    assert rq.loc["S2", "salary_cost"] == pytest.approx(12000 * 3 * 46 / 92)
    assert rq.loc["S2", "revenue"] == 0 and rq.loc["S2", "attainment"] == 0
    only_t2 = audit.rep_quarters(tiny, Filters.for_quarter("2025Q3", team_ids=("T2",)), LEADER, quarters=("2025Q3",))
    assert list(only_t2["rep_id"]) == ["S2"]
    assert audit.rep_quarters(tiny, None, LEADER, quarters=()).empty


# -- statistics -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def clustered() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    reps = np.repeat(np.arange(40), 12)
    skill = rng.normal(size=40)[reps]
    seg = rng.choice(["smb", "mid", "ent"], size=len(reps))
    q = rng.choice(["2025Q1", "2025Q2", "2025Q3"], size=len(reps))
    accel = (rng.random(len(reps)) < 0.3 + 0.2 * (skill > 0)).astype(float)
    y = 0.7 + 0.1 * (seg == "ent") - 0.2 * accel + 0.1 * skill + rng.normal(0, 0.3, len(reps))
    return pd.DataFrame(
        {
            "y": y,
            "accel": accel,
            "segment": seg,
            "quarter": q,
            "rep_id": reps.astype(str),
            "share": rng.random(len(reps)),
        }
    )


def test_adjusted_difference_matches_statsmodels(clustered):
    d = audit.adjusted_difference(
        clustered, "y", "accel", categorical=("segment", "quarter"), numeric=("share",), cluster="rep_id"
    )
    m = smf.ols("y ~ accel + share + C(segment) + C(quarter)", data=clustered).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(clustered["rep_id"])[0]}
    )
    assert d.diff == pytest.approx(m.params["accel"], rel=1e-9)
    assert d.se == pytest.approx(m.bse["accel"], rel=1e-6)
    tcrit = sps.t.ppf(0.975, 39)
    assert (d.lo, d.hi) == pytest.approx((d.diff - tcrit * d.se, d.diff + tcrit * d.se))
    assert d.n == len(clustered) and d.n_clusters == 40


def test_within_rep_difference_matches_rep_dummies(clustered):
    d = audit.adjusted_difference(clustered, "y", "accel", categorical=("segment",), cluster="rep_id", absorb="rep_id")
    m = smf.ols("y ~ accel + C(segment) + C(rep_id)", data=clustered).fit()
    assert d.diff == pytest.approx(m.params["accel"], rel=1e-8)
    assert d.diff == pytest.approx(-0.2, abs=0.05)  # the skill confounder is absorbed


def test_adjusted_difference_degenerate_inputs_give_nan(clustered):
    flat = clustered.assign(accel=1.0)
    assert math.isnan(audit.adjusted_difference(flat, "y", "accel", cluster="rep_id").diff)
    assert math.isnan(audit.adjusted_difference(clustered.head(3), "y", "accel", cluster="rep_id").diff)


def test_psi_and_mean_interval_by_hand():
    e = np.arange(100, dtype=float)
    assert audit.psi(e, e) == pytest.approx(0.0)
    shifted = np.r_[np.full(50, 5.0), np.full(50, 95.0)]  # half in the first decile, half in the last
    expected = 2 * (0.5 - 0.1) * math.log(0.5 / 0.1) + 8 * (1e-4 - 0.1) * math.log(1e-4 / 0.1)
    assert audit.psi(e, shifted) == pytest.approx(expected, rel=1e-6)
    m, lo, hi = audit.mean_with_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    half = sps.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert (m, lo, hi) == pytest.approx((2.5, 2.5 - half, 2.5 + half))


def test_half_helpers():
    assert periods.half_quarters("2025H2") == ("2025Q3", "2025Q4")
    assert periods.previous_half("2025H1") == "2024H2" and periods.previous_half("2025H2") == "2025H1"
    assert periods.half_of("2024Q2") == "2024H1"
    assert sorted(["2025H1", "2024H2", "2025H2"], key=periods.half_key) == ["2024H2", "2025H1", "2025H2"]
    with pytest.raises(ValueError, match="not a half-year"):
        periods.half_quarters("2025H3")


# -- the audit on the demo store -------------------------------------------------------------
@pytest.fixture(scope="module")
def result(demo_store):
    return audit.health_audit(demo_store, None, LEADER, half="2025H2", side_window="history")


def test_incentive_cost_is_the_engine_pay(result, demo_store):
    plan = plans.reference_plan()
    for q in ("2025Q3", "2025Q4", "2024Q3"):
        pay = incentives.simulate(demo_store, plan, q, LEADER).per_rep["total_pay"].sum()
        row = result.quarterly.set_index("quarter").loc[q]
        assert row["incentive_cost"] == pytest.approx(pay, rel=1e-9)
    half = result.half_row()
    q = result.quarterly.set_index("quarter")
    assert half["incentive_cost"] == pytest.approx(q.loc[["2025Q3", "2025Q4"], "incentive_cost"].sum())


def test_revenue_roi_and_shares_against_plain_sql(result, demo_store):
    raw = demo_store.query(
        """SELECT t.rep_id, t.quarter, t.target_amount::DOUBLE AS target,
                  (SELECT coalesce(sum(amount), 0)::DOUBLE FROM deals d WHERE d.rep_id = t.rep_id
                     AND year(d.signed_at) || 'Q' || quarter(d.signed_at) = t.quarter) AS revenue,
                  (SELECT coalesce(sum(gross_profit), 0)::DOUBLE FROM deals d WHERE d.rep_id = t.rep_id
                     AND year(d.signed_at) || 'Q' || quarter(d.signed_at) = t.quarter) AS gp
           FROM targets t"""
    )
    h2 = raw[raw["quarter"].isin(["2025Q3", "2025Q4"])]
    h2_prev = raw[raw["quarter"].isin(["2024Q3", "2024Q4"])]
    row = result.half_row()
    assert row["revenue"] == pytest.approx(h2["revenue"].sum())
    att = h2["revenue"] / h2["target"]
    assert row["share_threshold"] == pytest.approx((att >= 0.8).mean())
    assert row["share_accelerator"] == pytest.approx((att >= 1.2).mean())
    roi = (h2["gp"].sum() - h2_prev["gp"].sum()) / row["incentive_cost"]
    assert row["roi"] == pytest.approx(roi)
    assert row["roi_lo"] < row["roi"] < row["roi_hi"]
    assert row["att_p50"] == pytest.approx(att.median())


def test_nps_and_satisfaction_trends_against_plain_sql(result, demo_store):
    n = demo_store.query(
        """WITH owner AS (SELECT account_id, arg_min(rep_id, signed_at) AS rep_id FROM deals
                          WHERE account_id IS NOT NULL GROUP BY 1)
           SELECT avg((score >= 9)::INT) - avg((score <= 6)::INT) AS nps FROM nps JOIN owner USING (account_id)
           WHERE responded_at BETWEEN '2025-07-01' AND '2025-12-31'"""
    )["nps"][0]
    assert result.half_row()["nps"] == pytest.approx(100 * n)
    sat = demo_store.query(
        "SELECT avg(value) AS v FROM rep_metrics WHERE metric = 'satisfaction' AND quarter = '2025Q3'"
    )["v"][0]
    assert result.quarterly.set_index("quarter").loc["2025Q3", "satisfaction"] == pytest.approx(sat)


def test_planted_side_effect_is_found(result, planted):
    se = result.side_effects.set_index("outcome")
    truth = planted["accelerator_side_effect"]
    assert se["worse"].all()
    # The band is measured from stored revenue and targets, which only partly overlaps the
    # generator's band, so the differences are diluted: significant, and smaller than the truth.
    assert -truth["renewal_probability_drop"] < se.loc["renewal_rate", "diff"] < 0 > se.loc["renewal_rate", "hi"]
    assert se.loc["nps", "hi"] < 0
    assert 0 < se.loc["complaint_rate", "lo"] and se.loc["complaint_rate", "diff"] < truth["complaint_rate_increase"]
    assert any(f.level == "warning" and "neglect existing customers" in f.template for f in result.findings)


def test_side_effect_estimator_recovers_the_truth_with_the_planted_band(monkeypatch):
    """With the generator's own accelerator band, the same definitions and estimator find the
    planted sizes: -30 points of renewal, +0.8 complaint rate, and a lower NPS score."""
    captured = {}
    original = demo._nps

    def capture(cur, rng, org, acc_rep, accel):
        captured.update(accel=accel, org=org)
        return original(cur, rng, org, acc_rep, accel)

    monkeypatch.setattr(demo, "_nps", capture)
    store = Store(":memory:")
    demo.generate(store, seed=11, n_leads=60_000)
    truth = json.loads(store.info()["planted"])["accelerator_side_effect"]
    org, accel = captured["org"], captured["accel"]
    qs = [str(q) for q in demo.quarters_between(demo.DATA_START, demo.DATA_END)]
    band = pd.DataFrame(
        {
            "rep_id": np.repeat(org.rep_ids, len(qs)),
            "quarter": np.tile(qs, org.n_reps),
            "accel": accel.astype(float).ravel(),
        }
    )
    dues = audit.renewal_dues(store, ALL, LEADER).merge(band, on=["rep_id", "quarter"])
    dues["y"] = dues["renewed"].astype(float)
    ren = audit.adjusted_difference(dues, "y", "accel", categorical=("segment", "quarter"), cluster="rep_id")
    # legacy renewals fall due a few days off their contractual date, which dilutes slightly
    assert ren.diff == pytest.approx(-truth["renewal_probability_drop"], abs=0.05) and ren.hi < -0.2
    comp = store.query("SELECT rep_id, quarter, value AS y FROM rep_metrics WHERE metric = 'complaint_rate'")
    comp = comp.merge(band, on=["rep_id", "quarter"])
    c = audit.adjusted_difference(comp, "y", "accel", categorical=("quarter",), cluster="rep_id", absorb="rep_id")
    assert c.lo <= truth["complaint_rate_increase"] <= c.hi
    resp = audit.nps_responses(store, ALL, LEADER).merge(band, on=["rep_id", "quarter"])
    resp["y"] = resp["score"].astype(float)
    n = audit.adjusted_difference(resp, "y", "accel", categorical=("segment", "quarter"), cluster="rep_id")
    # scores are rounded and clipped to 0-10, which shrinks the 2-point drop a little
    assert -truth["nps_drop"] <= n.diff <= -0.7 * truth["nps_drop"]


def test_half_window_side_effects_and_findings(demo_store):
    r = audit.health_audit(demo_store, None, LEADER, half="2025H2")
    se = r.side_effects.set_index("outcome")
    assert se.loc["nps", "worse"] and se.loc["nps", "n_accel"] > 0
    assert r.findings[0].params["half"] == "2025H2"
    assert r.findings[0].params["cost"] == pytest.approx(r.half_row()["incentive_cost"])


def test_manager_scope_audits_only_their_reps(demo_store):
    manager = Scope(role="manager", region_ids=("R01",))
    r = audit.health_audit(demo_store, None, manager, half="2025H2")
    reps = demo_store.query(
        "SELECT count(*) AS n FROM targets JOIN v_reps USING (rep_id) WHERE region_id = 'R01'"
        " AND quarter IN ('2025Q3', '2025Q4')"
    )["n"][0]
    assert r.half_row()["reps"] == reps


def test_empty_store_audit_is_a_message(empty_store):
    r = audit.health_audit(empty_store, None, LEADER, half="2025H2")
    assert not r.ok and r.findings[0].level == "warning"
    assert "<html" in audit.report_html(r, lang="en")


# -- report and CLI ---------------------------------------------------------------------------
def test_report_is_self_contained_and_translated(result):
    en = audit.report_html(result, lang="en", generated=date(2026, 1, 5))
    zh = audit.report_html(result, lang="zh", generated=date(2026, 1, 5))
    for html in (en, zh):
        assert html.count('<div class="chart"') == 6
        assert "<script src=" not in html and "<link " not in html  # nothing fetched from the network
        assert "Plotly.newPlot" in html and len(html) > 3_000_000  # plotly.js is inlined
    assert "Incentive system health audit 2025H2" in en and "激励体系健康体检 2025H2" in zh
    cost = result.half_row()["incentive_cost"]
    assert fmtlib.money(cost, lang="en", compact=True) in en and fmtlib.money(cost, lang="zh", compact=True) in zh
    for f in result.findings:
        assert html_escape(render(f, "zh")) in zh


def test_every_audit_message_has_a_chinese_translation():
    zh = catalogue("zh")
    ids = [audit.ROI_DEFINITION, *audit.SIDE_EFFECT_TEMPLATES.values(), *[lbl for _, lbl, _ in audit.REPORT_COLUMNS]]
    assert not [m for m in ids if m not in zh]


def test_cli_audit_report(demo_db_path, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert (
        cli_main(["audit-report", "--db", str(demo_db_path), "--half", "2025H2", "--out", str(out), "--lang", "zh"])
        == 0
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "激励体系健康体检" in text
    assert cli_main(["audit-report", "--db", str(demo_db_path), "--half", "2023H1", "--out", str(out)]) == 2
    assert "no targets in 2023H1" in capsys.readouterr().err
    assert cli_main(["audit-report", "--db", str(demo_db_path), "--half", "2025Q3", "--out", str(out)]) == 2
    assert "not a half-year" in capsys.readouterr().err


def test_cli_audit_tables(demo_db_path, capsys):
    assert (
        cli_main(
            ["audit", "--db", str(demo_db_path), "--half", "2025H2", "--table", "side_effects", "--format", "json"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert [r["outcome"] for r in out["side_effects"]] == ["renewal_rate", "nps", "complaint_rate"]
    assert out["roi_definition"].startswith("ROI = ")


def _literal_messages(path: str) -> list[str]:
    """English message ids in a module: first literal argument of t / tr / Finding calls (both
    branches of a conditional template included)."""
    import ast
    from pathlib import Path

    from tests.conftest import ROOT

    def lits(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return lits(node.body) + lits(node.orelse)
        return []

    out = []
    for node in ast.walk(ast.parse(Path(ROOT / path).read_text("utf-8"))):
        if isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ("t", "tr", "Finding"):
                out += lits(node.args[0])
    return out


@pytest.mark.parametrize("path", ["analytics/audit", "analytics/pilots", "views/pilots.py"])
def test_findings_and_report_text_are_translated_with_matching_placeholders(path):
    import re

    from tests.conftest import ROOT

    zh = catalogue("zh")
    files = sorted((ROOT / path).glob("*.py")) if (ROOT / path).is_dir() else [ROOT / path]
    ids = [m for f in files for m in _literal_messages(f.relative_to(ROOT).as_posix())]
    assert ids, path
    missing = [m for m in ids if m not in zh]
    assert not missing, missing
    placeholder = re.compile(r"{(\w+)}")
    assert not [m for m in ids if set(placeholder.findall(m)) != set(placeholder.findall(zh[m]))]


# -- one formatter: the configured currency ---------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_shows_the_configured_currency(result, monkeypatch, lang):
    monkeypatch.setenv("LAB_CURRENCY", "USD")
    html = audit.report_html(result, lang=lang, generated=date(2026, 1, 5))
    assert "¥" not in html
    cost = fmtlib.money(result.half_row()["incentive_cost"], lang=lang, compact=True)
    assert cost.startswith("$") and cost in html  # the findings and the period table
    revenue = fmtlib.money(result.quarterly["revenue"].iloc[-1], lang=lang, compact=True)
    assert revenue.startswith("$") and revenue in html
    axis = "Cost ($)" if lang == "en" else "成本（$）"
    assert json.dumps(axis)[1:-1] in html  # the chart's money axis (figure JSON escapes non-ASCII)
    monkeypatch.setenv("LAB_CURRENCY", "CNY")
    assert "¥" in audit.report_html(result, lang=lang, generated=date(2026, 1, 5))


# -- CLI tables in Chinese -----------------------------------------------------------------------
_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("table", ["quarterly", "halves", "side_effects"])
def test_cli_audit_table_headers_are_chinese_and_csv_stays_english(demo_db_path, capsys, result, table):
    argv = ["audit", "--db", str(demo_db_path), "--half", "2025H2", "--table", table]
    assert cli_main(["--lang", "zh", *argv, "--format", "table"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert len(header) == len(getattr(result, table).columns)
    assert all(_CJK.search(token) for token in header), header
    assert cli_main(["--lang", "zh", *argv, "--format", "csv"]) == 0
    columns = capsys.readouterr().out.splitlines()[0].split(",")
    assert columns == list(getattr(result, table).columns)  # the stable English names
