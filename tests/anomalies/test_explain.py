"""Shift-share decomposition and the explanation of one region-week, against hand-worked numbers.

The hand store: regions R1 and R2, weeks 2025-01-06 ... 2025-02-17 (seven Mondays). Every
week R2 and the first six weeks of R1 look alike: enterprise 10 closed / 1 won (deal 100),
smb 10 closed / 3 won (deals of 50). In the last week R1 closes 15 enterprise leads and wins
none, and 5 smb leads of which 2 are won. R2 never changes, so the company-wide factor is
exactly 1 and the baseline of the last week is the plain average of the six weeks before.

By hand (Kitagawa's symmetric formula, m = share of closed leads, c = conversion):
baseline m = (0.5, 0.5), c = (0.1, 0.3), C0 = 0.2; current m = (0.75, 0.25), c = (0, 0.4), C = 0.1.
  mix_ent  = (0.75-0.5)(0+0.1)/2   =  0.0125    rate_ent = (0-0.1)(0.75+0.5)/2 = -0.0625
  mix_smb  = (0.25-0.5)(0.4+0.3)/2 = -0.0875    rate_smb = (0.4-0.3)(0.25+0.5)/2 = 0.0375
  total = -0.1 = 0.1 - 0.2.
Won revenue (closed N = 20 both times, revenue per win 100 / 50 unchanged): each term is the
conversion term times N x value: ent 2000x, smb 1000x -> mix_ent 25, rate_ent -125, mix_smb
-87.5, rate_smb 37.5, volume 0, value 0; total -150 = 100 - 250; rate_ent is 83.3% of the drop.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics import anomalies as an
from analytics.access import Scope
from analytics.anomalies import explain as ex
from analytics.filters import Filters
from analytics.findings import render
from analytics.store import Store

LEADER = Scope.leader()
MONDAYS = [date(2025, 1, 6) + timedelta(weeks=k) for k in range(7)]
LAST = MONDAYS[-1]
PARAMS = {"window_weeks": 6, "min_history_weeks": 6, "min_baseline_events": 0}
WINDOW = Filters(start=date(2025, 1, 1), end=date(2025, 2, 23))


def add_org(store: Store) -> None:
    store.execute("INSERT INTO regions VALUES ('R1', 'North'), ('R2', 'South')")
    store.execute(
        "INSERT INTO teams VALUES ('T1', 'North A', 'R1', 'field', FALSE, NULL),"
        " ('T2', 'South A', 'R2', 'field', FALSE, NULL)"
    )
    store.execute(
        "INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', DATE '2020-01-01', 10000, NULL),"
        " ('S2', 'Bo', 'T2', 'field', DATE '2020-01-01', 10000, NULL)"
    )


def add_week(
    store: Store,
    region: str,
    monday: date,
    segment: str,
    closed: int,
    won: int,
    amount: float,
    *,
    source: str = "website",
) -> str:
    """``closed`` leads closing on ``monday`` (the first ``won`` won, each with a deal of ``amount``)."""
    rep = "S1" if region == "R1" else "S2"
    prefix = f"{region}{segment[:3]}{monday:%m%d}"
    store.execute(
        "INSERT INTO leads SELECT ? || lpad(i::VARCHAR, 3, '0'), ?::DATE - 20, ?, ?, ?, ?,"
        " CASE WHEN i < ? THEN 'won' ELSE 'lost' END, ?::DATE, NULL, NULL FROM range(?) AS t(i)",
        [prefix, monday, source, region, segment, rep, won, monday, closed],
    )
    store.execute(
        "INSERT INTO deals SELECT 'D' || ? || lpad(i::VARCHAR, 3, '0'), ? || lpad(i::VARCHAR, 3, '0'), NULL, ?,"
        " ?::DATE, ?, NULL, 'new', 0 FROM range(?) AS t(i)",
        [prefix, prefix, rep, monday, amount, won],
    )
    return prefix


def add_calls(store: Store, lead_id: str, monday: date, n: int, tagged: int, scores: list[float]) -> None:
    """``n`` calls on one lead during the week of ``monday``; the first ``tagged`` use product_scenario."""
    store.execute(
        "INSERT INTO calls SELECT ? || '-' || ?::VARCHAR || '-' || i::VARCHAR, ?, 'S1', ?::TIMESTAMP + INTERVAL 10 HOUR,"
        " 60, CASE WHEN i < ? THEN ['product_scenario'] ELSE ['case_study'] END, (?::DOUBLE[])[i + 1]"
        " FROM range(?) AS t(i)",
        [lead_id, monday, lead_id, monday, tagged, scores, n],
    )


def build_hand(s: Store) -> Store:
    """Fill an empty store with the hand-worked example of the module docstring."""
    add_org(s)
    for monday in MONDAYS:
        for region in ("R1", "R2"):
            if region == "R1" and monday == LAST:
                ent = add_week(s, region, monday, "enterprise", 15, 0, 100.0)
                add_week(s, region, monday, "smb", 5, 2, 50.0)
                add_calls(s, ent + "000", monday, 10, 1, [30.0, 50.0] * 5)
            else:
                ent = add_week(s, region, monday, "enterprise", 10, 1, 100.0)
                add_week(s, region, monday, "smb", 10, 3, 50.0)
                add_calls(s, ent + "000", monday, 10, 5, [50.0, 70.0] * 5)
    return s


@pytest.fixture
def hand(empty_store: Store) -> Store:
    return build_hand(empty_store)


# -- the Shapley / Kitagawa arithmetic ---------------------------------------------------


def test_shapley_two_factors_is_kitagawa_midpoint():
    base = np.array([[0.5, 0.1], [0.5, 0.3]])
    cur = np.array([[0.75, 0.0], [0.25, 0.4]])
    out = an.shapley_products(base, cur)
    assert out == pytest.approx(np.array([[0.0125, -0.0625], [-0.0875, 0.0375]]))
    assert out.sum() == pytest.approx(-0.1)


def test_shapley_three_factors_by_hand():
    # f = a*b*c from (2, 3, 4) = 24 to (3, 3, 2) = 18. Orders of (a, c) with b fixed:
    # a first: +1*3*4 = 12, then c: 3*3*(-2) = -18; c first: 2*3*(-2) = -12, then a: 1*3*2 = 6.
    # a = (12 + 6)/2 = 9, c = (-18 - 12)/2 = -15, b = 0; 9 - 15 = -6 = 18 - 24.
    out = an.shapley_products(np.array([[2.0, 3.0, 4.0]]), np.array([[3.0, 3.0, 2.0]]))
    assert out[0] == pytest.approx([9.0, 0.0, -15.0])


def test_shapley_sums_exactly_to_the_change_for_random_products():
    rng = np.random.default_rng(3)
    base, cur = rng.uniform(0, 5, (50, 4)), rng.uniform(0, 5, (50, 4))
    out = an.shapley_products(base, cur)
    assert out.sum(axis=1) == pytest.approx(cur.prod(axis=1) - base.prod(axis=1), rel=1e-12, abs=1e-12)


def _frames(metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    cur = pd.DataFrame(
        {
            "key": ["enterprise", "smb"],
            "closed": [15, 5],
            "won": [0, 2],
            "matched": [0.0, 100.0],
            "revenue": [0.0, 100.0],
            "deals": [0, 2],
            "leads": [30, 10],
        }
    )
    base = pd.DataFrame(
        {
            "key": ["enterprise", "smb"],
            "closed": [10, 10],
            "won": [1, 3],
            "matched": [100.0, 150.0],
            "revenue": [100.0, 150.0],
            "deals": [1, 3],
            "leads": [20, 20],
        }
    )
    return cur, base


def test_conversion_decomposition_matches_the_hand_values():
    dec = an.decompose(*_frames("conversion_rate"), "conversion_rate", 1.0)
    terms = dec.terms.set_index(["key", "term"])["contribution"]
    assert terms[("enterprise", "mix")] == pytest.approx(0.0125)
    assert terms[("enterprise", "rate")] == pytest.approx(-0.0625)
    assert terms[("smb", "mix")] == pytest.approx(-0.0875)
    assert terms[("smb", "rate")] == pytest.approx(0.0375)
    assert (dec.actual, dec.expected) == pytest.approx((0.1, 0.2))
    assert terms.sum() == pytest.approx(dec.actual - dec.expected, abs=1e-15)
    assert dec.terms["contribution"].abs().is_monotonic_decreasing  # ranked by contribution


def test_won_revenue_decomposition_matches_the_hand_values():
    dec = an.decompose(*_frames("won_revenue"), "won_revenue", 1.0)
    terms = dec.terms.set_index(["key", "term"])["contribution"]
    assert terms[("enterprise", "rate")] == pytest.approx(-125.0)
    assert terms[("enterprise", "mix")] == pytest.approx(25.0)
    assert terms[("smb", "mix")] == pytest.approx(-87.5)
    assert terms[("smb", "rate")] == pytest.approx(37.5)
    assert terms[(an.TOTAL, "volume")] == pytest.approx(0.0)
    assert terms[("enterprise", "value")] == pytest.approx(0.0) and terms[("smb", "value")] == pytest.approx(0.0)
    assert terms.sum() == pytest.approx(-150.0)
    top = dec.top_driver()
    assert (top["key"], top["term"]) == ("enterprise", "rate") and top["share"] == pytest.approx(125 / 150)


def test_company_factor_scales_the_baseline_and_renewals_are_their_own_term():
    # g = 0.5: the baseline becomes 125 (volume 10 instead of 20, other revenue halved);
    # the current week adds a renewal of 40 in smb, so the change is 140 - 125 = 15.
    cur, base = _frames("won_revenue")
    cur.loc[cur["key"] == "smb", "revenue"] += 40.0
    dec = an.decompose(cur, base, "won_revenue", 0.5)
    assert (dec.actual, dec.expected) == pytest.approx((140.0, 125.0))
    terms = dec.terms.set_index(["key", "term"])
    assert terms.loc[("smb", "other"), "contribution"] == pytest.approx(40.0)
    assert terms.loc[(an.TOTAL, "volume"), ["before", "after"]].tolist() == pytest.approx([10.0, 20.0])
    assert dec.terms["contribution"].sum() == pytest.approx(15.0)


def test_zero_closed_and_zero_baseline_keys_keep_the_sum_exact():
    cur = pd.DataFrame(
        {"key": ["a", "b"], "closed": [0, 8], "won": [0, 2], "matched": [0.0, 60.0], "revenue": [0.0, 60.0]}
    )
    base = pd.DataFrame(
        {"key": ["a", "c"], "closed": [5, 5], "won": [1, 0], "matched": [30.0, 0.0], "revenue": [30.0, 0.0]}
    )
    for metric in ("conversion_rate", "won_revenue"):
        dec = an.decompose(cur, base, metric, 1.3)
        assert np.isfinite(dec.terms["contribution"]).all()
        assert dec.terms["contribution"].sum() == pytest.approx(dec.actual - dec.expected, abs=1e-9)


def test_no_closed_leads_gives_an_empty_decomposition_not_an_error():
    cur = pd.DataFrame({"key": ["a"], "closed": [0], "won": [0]})
    base = pd.DataFrame({"key": ["a"], "closed": [4], "won": [1]})
    dec = an.decompose(cur, base, "conversion_rate", 1.0)
    assert dec.terms.empty and np.isnan(dec.actual) and dec.top_driver() is None


# -- the explanation on a store -----------------------------------------------------------


def test_explain_on_the_hand_store(hand):
    e = ex.explain(hand, WINDOW, LEADER, unit="R1", week=LAST + timedelta(days=3), metric="won_revenue", **PARAMS)
    assert e.week_start == LAST and e.baseline_weeks == tuple(MONDAYS[:-1])
    assert e.ref_factor == pytest.approx(1.0)
    seg = e.decompositions["segment"]
    assert (seg.actual, seg.expected) == pytest.approx((100.0, 250.0))
    assert e.point["expected"] == pytest.approx(250.0)  # the detector's expected value is the same baseline
    terms = seg.terms.set_index(["key", "term"])["contribution"]
    assert terms[("enterprise", "rate")] == pytest.approx(-125.0)
    assert terms[("smb", "mix")] == pytest.approx(-87.5)
    for dim in ("segment", "source", "rep"):
        d = e.decompositions[dim]
        assert d.terms["contribution"].sum() == pytest.approx(-150.0), dim
    # one source and one rep: no mix, the whole change is their conversion and volume
    assert set(e.decompositions["source"].terms["key"]) == {"website", an.TOTAL}
    assert e.rep_names == {"S1": "Ann"}
    texts = [f.english(labels=an.finding_labels("en")) for f in e.summary]
    assert texts[0] == "R1, week 2025-W08: won revenue -60.0% vs expected (¥100 against ¥250)."
    assert texts[1] == "83.3% of the drop is the enterprise segment's conversion (10.0% → 0.0%)."


def test_explain_conversion_and_behaviour_by_hand(hand):
    e = ex.explain(hand, WINDOW, LEADER, unit="R1", week=LAST, metric="conversion_rate", **PARAMS)
    seg = e.decompositions["segment"]
    assert (seg.actual, seg.expected) == pytest.approx((0.1, 0.2))
    assert seg.terms.set_index(["key", "term"])["contribution"][("smb", "rate")] == pytest.approx(0.0375)
    b = e.behaviour.set_index(["scope", "behaviour", "tag"])
    row = b.loc[("enterprise", "talk_track", "product_scenario")]
    assert (row["before"], row["after"], row["calls_before"], row["calls_after"]) == pytest.approx((0.5, 0.1, 10, 10))
    pooled = 31 / 70  # two-proportion z, pooled variance (textbook)
    z = (0.1 - 0.5) / np.sqrt(pooled * (1 - pooled) * (1 / 60 + 1 / 10))
    assert row["z"] == pytest.approx(z)
    assert (row["others_before"], row["others_after"]) == pytest.approx((0.5, 0.5))
    nd = b.loc[("enterprise", "needs_discovery_score", "")]
    x0, x1 = np.array([50.0, 70.0] * 30), np.array([30.0, 50.0] * 5)
    welch = (x1.mean() - x0.mean()) / np.sqrt(x0.var(ddof=1) / 60 + x1.var(ddof=1) / 10)
    assert (nd["before"], nd["after"], nd["z"]) == pytest.approx((60.0, 40.0, welch))
    # the largest behaviour change (|z| 5.6 against 2.4 for the talk track) is named
    assert (
        e.summary[-1].english(labels=an.finding_labels("en"))
        == "The average needs-discovery score fell from 60.0 to 40.0 (all segments)."
    )


@pytest.mark.parametrize(
    ("unit", "week", "needle"),
    [
        ("R9", LAST, "has no leads or deals"),
        ("R1", date(2030, 1, 7), "outside the data"),
        ("R1", MONDAYS[2], "too little history"),
    ],
)
def test_explain_refuses_with_a_sentence(hand, unit, week, needle):
    with pytest.raises(ex.ExplainError, match=needle) as info:
        ex.explain(hand, WINDOW, LEADER, unit=unit, week=week, **PARAMS)
    assert info.value.template and str(info.value).endswith(".")


def test_explain_on_an_empty_store_is_a_sentence(empty_store):
    with pytest.raises(ex.ExplainError, match="no leads or deals"):
        ex.explain(empty_store, WINDOW, LEADER, unit="R1", week=LAST)


def test_segment_driver_agrees_with_explain(hand):
    panel = an.weekly_panel(hand, WINDOW, LEADER)
    det = an.fit_detector(panel, "won_revenue", **PARAMS)
    assert an.segment_driver(panel, det, "won_revenue", "R1", LAST) == ("enterprise:rate", pytest.approx(125 / 150))


def test_finding_labels_translate_metric_and_term_and_name_stored_values():
    en, zh = an.finding_labels("en", {"unit": {"R1": "North"}}), an.finding_labels("zh")
    assert en("metric", "avg_deal_value") == "average deal value" and zh("metric", "won_revenue") == "成交金额"
    assert en("term", "conversion") == "conversion" and zh("term", "conversion") == "转化率"
    assert en("segment", an.TOTAL) == "all segments" and zh("segment", an.TOTAL) == "全部细分"
    assert en("unit", "R1") == "North" and en("unit", "R2") == "R2" and en("tag", "case_study") == "case study"
    assert en("week", "2025-W08") == "2025-W08"


def test_explain_error_renders_in_chinese_with_counts_formatted():
    err = ex.ExplainError(
        "'{unit}' has too little history before {week} for a baseline: it needs {n} earlier "
        "weeks with activity and at least {events} events in them. Choose a later week.",
        unit="R1",
        week="2025-01-06",
        n=6,
        events=1500,
    )
    assert str(err) == (
        "'R1' has too little history before 2025-01-06 for a baseline: it needs 6 earlier weeks with "
        "activity and at least 1,500 events in them. Choose a later week."
    )
    assert err.finding.level == "warning"
    zh = render(err.finding, "zh")
    assert "R1" in zh and "1,500" in zh and "history" not in zh
