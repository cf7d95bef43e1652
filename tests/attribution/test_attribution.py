"""Lead-source attribution: counts, Kaplan-Meier days, deal value, ratios, funnel.

Numbers are checked against plain SQL / pandas counts on the raw leads table, hand-worked
small stores, lifelines and statsmodels, and the referral effect planted in the demo store.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from analytics import attribution as attr
from analytics.access import Scope
from analytics.filters import Filters
from analytics.store import Store
from ui.i18n import catalogue

LEADER = Scope.leader()
WINDOW = Filters(start=date(2025, 1, 1), end=date(2025, 3, 31))


def add_org(store: Store) -> None:
    """Two regions, one team and one rep each."""
    store.execute("INSERT INTO regions VALUES ('R1', 'North'), ('R2', 'South')")
    store.execute(
        "INSERT INTO teams VALUES ('T1', 'North A', 'R1', 'field', FALSE, NULL),"
        " ('T2', 'South A', 'R2', 'field', FALSE, NULL)"
    )
    store.execute(
        "INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', DATE '2020-01-01', 10000, NULL),"
        " ('S2', 'Bo', 'T2', 'field', DATE '2020-01-01', 10000, NULL)"
    )


def add_lead(
    store: Store,
    lead_id: str,
    created: str,
    source: str,
    status: str,
    closed: str | None = None,
    *,
    amount: float | None = None,
    stage: str | None = None,
    region: str = "R1",
    rep: str = "S1",
    segment: str = "smb",
) -> None:
    """One lead (and its new deal when ``amount`` is given)."""
    store.execute(
        "INSERT INTO leads VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
        [lead_id, created, source, region, segment, rep, status, closed, stage],
    )
    if amount is not None:
        store.execute(
            "INSERT INTO deals VALUES (?, ?, NULL, ?, ?, ?, NULL, 'new', 0)",
            [f"D{lead_id}", lead_id, rep, closed, amount],
        )


def hand_store(store: Store) -> Store:
    """Twelve leads created on 2025-01-01 whose numbers are worked out in the tests below.

    website: W1 won day 10 (100), W2 won day 20 (300), W3/W4 lost, W5-W8 open.
    referral: R1 won day 5 (1000), R2 won day 30 (2000), R3 won day 100 (3000), R4 lost.
    The data end is R3's close, 2025-04-11: every lead has 100 days of follow-up.
    X1 (website, won) was created in 2024 and is outside the window.
    """
    add_org(store)
    add_lead(store, "W1", "2025-01-01", "website", "won", "2025-01-11", amount=100, stage="negotiation")
    add_lead(store, "W2", "2025-01-01", "website", "won", "2025-01-21", amount=300, stage="negotiation")
    add_lead(store, "W3", "2025-01-01", "website", "lost", "2025-01-06", stage="contacted")
    add_lead(store, "W4", "2025-01-01", "website", "lost", "2025-01-06")
    add_lead(store, "W5", "2025-01-01", "website", "open", stage="qualified")
    add_lead(store, "W6", "2025-01-01", "website", "open", stage="proposal")
    add_lead(store, "W7", "2025-01-01", "website", "open", stage="new")
    add_lead(store, "W8", "2025-01-01", "website", "open", stage="bogus")
    add_lead(store, "R1", "2025-01-01", "referral", "won", "2025-01-06", amount=1000)
    add_lead(store, "R2", "2025-01-01", "referral", "won", "2025-01-31", amount=2000)
    add_lead(store, "R3", "2025-01-01", "referral", "won", "2025-04-11", amount=3000)
    add_lead(store, "R4", "2025-01-01", "referral", "lost", "2025-01-11")
    add_lead(store, "X1", "2024-12-20", "website", "won", "2025-01-02", amount=50)
    return store


@pytest.fixture
def hand(empty_store: Store) -> Store:
    return hand_store(empty_store)


def row(table: pd.DataFrame, **keys: str) -> pd.Series:
    mask = np.ones(len(table), bool)
    for k, v in keys.items():
        mask &= (table[k] == v).to_numpy()
    assert mask.sum() == 1, keys
    return table[mask].iloc[0]


# -- counts against a plain count ---------------------------------------------------------------


def test_counts_equal_a_plain_sql_count(demo_store):
    f = Filters(start=date(2024, 4, 1), end=date(2025, 3, 31))
    table = attr.source_table(demo_store, f, LEADER)
    plain = demo_store.query(
        "SELECT source, count(*) AS leads, count(*) FILTER (WHERE status = 'won') AS won,"
        " count(*) FILTER (WHERE status = 'open') AS open_leads FROM leads"
        " WHERE created_at BETWEEN ? AND ? GROUP BY source ORDER BY source",
        [f.start, f.end],
    )
    assert table["source"].tolist() == plain["source"].tolist()
    assert table["leads"].tolist() == plain["leads"].tolist()
    assert table["won"].tolist() == plain["won"].tolist()
    assert table["open_leads"].tolist() == plain["open_leads"].tolist()


def test_split_counts_equal_pandas_on_the_raw_leads(demo_store):
    f = Filters(start=date(2024, 7, 1), end=date(2025, 6, 30), region_ids=("R01", "R03"))
    table = attr.source_table(demo_store, f, LEADER, by=("segment", "quarter"))
    raw = demo_store.query("SELECT * FROM leads")
    raw = raw[
        (raw["created_at"] >= pd.Timestamp(f.start))
        & (raw["created_at"] <= pd.Timestamp(f.end))
        & raw["region_id"].isin(f.region_ids)
    ]
    raw["quarter"] = raw["created_at"].dt.year.astype(str) + "Q" + raw["created_at"].dt.quarter.astype(str)
    plain = (
        raw.assign(won=raw["status"] == "won")
        .groupby(["source", "segment", "quarter"])
        .agg(leads=("lead_id", "size"), won=("won", "sum"))
        .reset_index()
    )
    assert list(table.columns[:3]) == ["source", "segment", "quarter"]
    merged = table.merge(plain, on=["source", "segment", "quarter"], how="outer", suffixes=("", "_plain"))
    assert len(merged) == len(table) == len(plain)
    assert (merged["leads"] == merged["leads_plain"]).all()
    assert (merged["won"] == merged["won_plain"]).all()
    revenue = demo_store.query(
        "SELECT l.source, sum(d.amount)::DOUBLE AS revenue FROM leads l JOIN deals d ON d.lead_id = l.lead_id"
        " WHERE d.deal_type = 'new' AND l.created_at BETWEEN ? AND ? AND l.region_id IN ('R01', 'R03')"
        " GROUP BY 1 ORDER BY 1",
        [f.start, f.end],
    )
    by_source = table.groupby("source")["revenue"].sum()
    assert np.allclose(by_source.loc[revenue["source"]].to_numpy(), revenue["revenue"].to_numpy())


def test_team_split_keeps_deal_values_of_leads_whose_rep_has_no_team(hand):
    # O1/O2 belong to a rep missing from reps: their team is NULL in v_leads, and their won
    # values must still land on their own row (the values pass joins the counts on NULL too).
    add_lead(hand, "O1", "2025-01-01", "website", "won", "2025-01-11", amount=700, rep="S9")
    add_lead(hand, "O2", "2025-01-01", "website", "won", "2025-01-11", amount=900, rep="S9")
    add_lead(hand, "O3", "2025-01-01", "website", "open", rep="S9")
    table = attr.source_table(hand, WINDOW, LEADER, by=("source", "team"))
    orphan = table[table["team_id"].isna()].iloc[0]
    assert (orphan["source"], orphan["leads"], orphan["won"]) == ("website", 3, 2)
    assert orphan["mean_won_amount"] == 800 and orphan["revenue_per_lead"] == 1600 / 3
    web = row(table, source="website", team_id="T1")
    assert (web["leads"], web["won"], web["mean_won_amount"]) == (8, 2, 200)
    # the team filter takes the same path and drops the team-less rep's leads
    only_t1 = attr.source_table(hand, replace(WINDOW, team_ids=("T1",)), LEADER)
    assert row(only_t1, source="website")["leads"] == 8


def test_a_rep_scope_counts_only_that_reps_leads(demo_store):
    rep = demo_store.scalar("SELECT rep_id FROM leads GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    f = Filters(start=date(2024, 1, 1), end=date(2025, 12, 31))
    table = attr.source_table(demo_store, f, Scope(role="rep", rep_id=rep))
    plain = demo_store.query(
        "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'won') AS w FROM leads WHERE rep_id = ?", [rep]
    ).iloc[0]
    assert table["leads"].sum() == plain["n"] and table["won"].sum() == plain["w"]
    assert attr.source_table(demo_store, f, Scope(role="nobody")).empty


# -- the planted effect -----------------------------------------------------------------------------


def test_planted_referral_ratio_is_inside_the_interval(demo_store, planted):
    # leads created before 2025-07-01 have (nearly) all closed, so won / leads is not yet
    # distorted by referral leads closing faster (docs/methods/attribution.md, "Censoring")
    f = Filters(start=date(2024, 1, 1), end=date(2025, 6, 30))
    table = attr.source_table(demo_store, f, LEADER, baseline="public")
    ref = row(table, source="referral")
    assert ref["ratio_lo"] <= planted["referral_ratio"] <= ref["ratio_hi"]
    assert abs(ref["ratio_to_baseline"] / planted["referral_ratio"] - 1) < 0.1
    assert ref["p_value_holm"] < 1e-6
    assert set(table.loc[table["in_baseline"], "source"]) == set(planted["public_sources"])
    findings = attr.headlines(table)
    assert findings[0].params["source"] == "referral"
    assert findings[0].params["ratio"] == pytest.approx(ref["ratio_to_baseline"])


# -- a hand-worked store ----------------------------------------------------------------------------


def test_hand_store_counts_value_and_days(hand):
    table = attr.source_table(hand, WINDOW, LEADER)
    web, ref = row(table, source="website"), row(table, source="referral")
    assert (web["leads"], web["won"], web["open_leads"]) == (8, 2, 4)
    assert (ref["leads"], ref["won"], ref["open_leads"]) == (4, 3, 0)
    assert web["conversion_rate"] == 0.25 and ref["conversion_rate"] == 0.75
    lo, hi = proportion_confint(2, 8, method="wilson")
    assert (web["conversion_lo"], web["conversion_hi"]) == pytest.approx((lo, hi))
    # Kaplan-Meier by hand: website F(10) = 1/8, F(20) = 2/8 -> median day 10, P75 day 20;
    # referral F(5) = 1/4, F(30) = 1/2, F(100) = 3/4 -> median day 30, P75 day 100
    assert (web["median_days_to_convert"], web["p75_days_to_convert"]) == (10, 20)
    assert (ref["median_days_to_convert"], ref["p75_days_to_convert"]) == (30, 100)
    assert (web["mean_won_amount"], web["median_won_amount"], web["revenue_per_lead"]) == (200, 200, 50)
    assert (ref["mean_won_amount"], ref["median_won_amount"], ref["revenue_per_lead"]) == (2000, 2000, 1500)
    assert web["mean_won_amount_lo"] <= 200 <= web["mean_won_amount_hi"]


def test_hand_store_ratio_matches_katz_and_the_baseline_is_the_reference(hand):
    table = attr.source_table(hand, WINDOW, LEADER)
    web, ref = row(table, source="website"), row(table, source="referral")
    assert ref["ratio_to_baseline"] == pytest.approx(3.0)
    lo, hi = confint_proportions_2indep(3, 4, 2, 8, method="log", compare="ratio")
    assert (ref["ratio_lo"], ref["ratio_hi"]) == pytest.approx((lo, hi))
    se = np.sqrt((1 - 0.75) / 3 + (1 - 0.25) / 2)
    assert ref["p_value"] == pytest.approx(2 * (1 - __import__("scipy").stats.norm.cdf(np.log(3) / se)))
    # website is the whole public baseline here: the reference itself
    assert web["ratio_to_baseline"] == 1.0 and np.isnan(web["ratio_lo"]) and np.isnan(web["p_value_holm"])


def test_hand_store_funnel(hand):
    funnel = attr.source_funnel(hand, WINDOW, LEADER)
    web = funnel[funnel["source"] == "website"].sort_values("step_index")
    assert web["step"].tolist() == list(attr.FUNNEL_STEPS)
    # W1, W2 won; W3 contacted; W4 no stage (= new); W5 qualified; W6 proposal; W7 new; W8 unknown (= new)
    assert web["reached"].tolist() == [8, 5, 4, 3, 2, 2]
    assert web["step_rate"].tolist() == pytest.approx([1, 5 / 8, 4 / 5, 3 / 4, 2 / 3, 1])
    assert web["cumulative_rate"].tolist() == pytest.approx([1, 5 / 8, 4 / 8, 3 / 8, 2 / 8, 2 / 8])
    ref = funnel[funnel["source"] == "referral"].sort_values("step_index")
    assert ref["reached"].tolist() == [4, 3, 3, 3, 3, 3]


def test_kaplan_meier_matches_lifelines(demo_store):
    f = Filters(start=date(2025, 1, 1), end=date(2025, 12, 31))
    counts = attr.survival_counts(demo_store, f, LEADER, by=("source",))
    km = attr.kaplan_meier(counts, ["source"])
    for source in ("referral", "website"):
        c = counts[counts["source"] == source]
        fitter = KaplanMeierFitter().fit(c["duration_days"], c["converted"], weights=c["leads"])
        mine = km[km["source"] == source].set_index("day")
        days = mine.index[mine["conversions"] > 0]
        theirs = 1 - fitter.survival_function_.iloc[:, 0].loc[days]
        assert np.allclose(mine.loc[days, "converted_share"], theirs.to_numpy(), atol=1e-12)
        ci = fitter.confidence_interval_survival_function_.loc[days]
        assert np.allclose(mine.loc[days, "converted_lo"], 1 - ci.iloc[:, 1].to_numpy(), atol=1e-9)
        assert np.allclose(mine.loc[days, "converted_hi"], 1 - ci.iloc[:, 0].to_numpy(), atol=1e-9)


def test_conversion_curves_end_at_won_over_leads_for_fully_followed_cohorts(hand):
    curves = attr.conversion_curves(hand, WINDOW, LEADER)
    last = curves.groupby("source").last()
    assert last.loc["website", "converted_share"] == pytest.approx(0.25)
    assert last.loc["referral", "converted_share"] == pytest.approx(0.75)
    ref = curves[curves["source"] == "referral"].set_index("day")
    assert ref.loc[4, "converted_share"] == 0 and ref.loc[5, "converted_share"] == pytest.approx(0.25)
    assert ref.loc[29, "converted_share"] == pytest.approx(0.25) and ref.loc[30, "converted_share"] == pytest.approx(
        0.5
    )
    assert (curves["converted_lo"] <= curves["converted_share"] + 1e-12).all()
    assert (curves["converted_share"] <= curves["converted_hi"] + 1e-12).all()


# -- ratio, Holm, bootstrap -------------------------------------------------------------------------


def test_ratio_interval_for_a_source_inside_its_baseline_matches_simulation():
    # a source pooled into its own baseline: the delta-method SE must match the spread of
    # log(rate / pooled rate) over simulated binomial draws
    n1, p1, no, po = 4000, 0.08, 9000, 0.06
    _, lo, hi, _ = attr.rate_ratio(
        np.array([n1 * p1]), np.array([n1]), np.array([n1 * p1 + no * po]), np.array([n1 + no]), np.array([True])
    )
    se = np.log(hi[0] / lo[0]) / (2 * 1.959964)
    rng = np.random.default_rng(1)
    k1, ko = rng.binomial(n1, p1, 200_000), rng.binomial(no, po, 200_000)
    sim = np.log((k1 / n1) / ((k1 + ko) / (n1 + no)))
    assert se == pytest.approx(sim.std(), rel=0.03)


def test_holm_adjustment_by_hand(hand):
    add_lead(hand, "P1", "2025-01-01", "partner", "won", "2025-01-05", amount=10)
    add_lead(hand, "P2", "2025-01-01", "partner", "lost", "2025-01-05")
    table = attr.source_table(hand, WINDOW, LEADER)
    tested = table[table["p_value"].notna()]
    p = tested["p_value"].to_numpy()
    order = np.argsort(p)
    m = len(p)
    adjusted = np.maximum.accumulate(np.minimum(1, (m - np.arange(m)) * p[order]))
    expected = np.empty(m)
    expected[order] = adjusted
    assert tested["p_value_holm"].to_numpy() == pytest.approx(expected)
    assert expected == pytest.approx(multipletests(p, method="holm")[1])


def test_baseline_all_and_a_single_source(hand):
    table = attr.source_table(hand, WINDOW, LEADER, baseline="all")
    overall = 5 / 12
    assert row(table, source="referral")["ratio_to_baseline"] == pytest.approx(0.75 / overall)
    table = attr.source_table(hand, WINDOW, LEADER, baseline="referral")
    assert row(table, source="website")["ratio_to_baseline"] == pytest.approx(1 / 3)
    assert row(table, source="referral")["ratio_to_baseline"] == 1.0
    table = attr.source_table(hand, WINDOW, LEADER, baseline="partner")  # not in this selection
    assert table["ratio_to_baseline"].isna().all() and not table["in_baseline"].any()


def test_bootstrap_mean_normal_limit_agrees_with_resampling():
    x = np.random.default_rng(3).lognormal(10, 0.8, 1500).round(-2)
    resampled = attr.bootstrap_mean_median(x, reps=4000, seed=1, resample_max=10_000)
    closed = attr.bootstrap_mean_median(x, resample_max=100)
    assert closed[0] == resampled[0] == pytest.approx(x.mean())
    assert closed[1] == pytest.approx(resampled[1], rel=0.01) and closed[2] == pytest.approx(resampled[2], rel=0.01)
    assert all(np.isnan(attr.bootstrap_mean_median(np.array([]))))


def test_exact_median_interval_matches_a_simulated_bootstrap():
    x = np.random.default_rng(4).lognormal(10, 0.8, 301).round(-2)
    _, _, _, median, lo, hi = attr.bootstrap_mean_median(x)
    assert median == np.median(x)
    rng = np.random.default_rng(5)
    sims = np.median(x[rng.integers(0, len(x), size=(20_000, len(x)))], axis=1)
    sim_lo, sim_hi = np.quantile(sims, [0.025, 0.975], method="inverted_cdf")
    order = np.sort(x)
    # the same order statistic, or a neighbour when the simulated quantile sits on a step edge
    assert abs(np.searchsorted(order, lo) - np.searchsorted(order, sim_lo)) <= 1
    assert abs(np.searchsorted(order, hi) - np.searchsorted(order, sim_hi)) <= 1


def test_group_dims_validation():
    assert attr.group_dims("region,source") == ("source", "region")
    assert attr.group_dims(("region_id", "quarter")) == ("source", "region", "quarter")
    with pytest.raises(ValueError, match="'channel' is not a dimension"):
        attr.group_dims("channel")


# -- empty and degenerate selections ----------------------------------------------------------------


def test_empty_selection_gives_empty_valid_results(hand):
    f = Filters(start=date(2023, 1, 1), end=date(2023, 3, 31))
    table = attr.source_table(hand, f, LEADER, by=("source", "region"))
    assert table.empty and list(table.columns[:2]) == ["source", "region_id"]
    assert set(attr.SOURCE_COLUMNS) <= set(table.columns)
    assert attr.conversion_curves(hand, f, LEADER).empty
    assert attr.source_funnel(hand, f, LEADER).empty
    assert attr.headlines(table) == []


def test_a_source_without_wins_has_no_interval_but_no_error(hand):
    add_lead(hand, "Z1", "2025-01-01", "trade_show", "lost", "2025-01-03")
    add_lead(hand, "Z2", "2025-01-01", "trade_show", "open")
    z = row(attr.source_table(hand, WINDOW, LEADER), source="trade_show")
    assert (z["leads"], z["won"], z["conversion_rate"], z["ratio_to_baseline"]) == (2, 0, 0.0, 0.0)
    assert np.isnan(z["ratio_lo"]) and np.isnan(z["median_days_to_convert"]) and np.isnan(z["mean_won_amount"])
    assert z["revenue_per_lead"] == 0


def test_every_finding_template_has_a_chinese_translation():
    zh = catalogue("zh")
    for template in attr.FINDING_TEMPLATES:
        assert template in zh, template
