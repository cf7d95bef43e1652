"""Scorecard: metrics counted by hand on a tiny store, normalisation and weighting by hand,
grades, promotion watch, improvement list, the weight what-if, and the planted side effect."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.access import Scope
from analytics.filters import Filters
from analytics.incentives import plans, scorecard
from analytics.incentives.plans import METRICS, RoleWeights, ScorecardConfig, reference_plan

LEADER = Scope.leader()
Q3 = Filters.for_quarter("2025Q3")


@pytest.fixture
def hand(empty_store):
    """Rep A (field) with leads, calls, deals, NPS and metrics in 2025Q3 countable by hand; rep B for contrast."""
    s = empty_store
    s.execute("INSERT INTO regions VALUES ('R1', 'East')")
    s.execute("INSERT INTO teams VALUES ('T1', 'East', 'R1', 'field', false, NULL)")
    s.execute(
        "INSERT INTO reps VALUES ('A', 'Ann', 'T1', 'field', '2020-01-01', 10000, NULL),"
        " ('B', 'Bo', 'T1', 'field', '2020-01-01', 10000, NULL)"
    )
    s.execute("INSERT INTO targets VALUES ('A', '2025Q3', 100000, 40000), ('B', '2025Q3', 100000, 40000)")
    leads = [("L1", "won", "referral"), ("L2", "won", "website"), ("L3", "won", "website"), ("L4", "lost", "website")]
    for lid, status, source in leads:
        s.execute(
            "INSERT INTO leads VALUES (?, '2025-07-01', ?, 'R1', 'smb', 'A', ?, '2025-08-01', NULL, NULL)",
            [lid, source, status],
        )
    s.execute("INSERT INTO leads VALUES ('L5', '2025-07-01', 'website', 'R1', 'smb', 'A', 'open', NULL, NULL, NULL)")
    for i, score in enumerate([40, 50, 60, 70, 80, 90]):
        s.execute(
            "INSERT INTO calls VALUES (?, 'L1', 'A', ?, 300, [], ?)", [f"C{i}", f"2025-07-{i + 2:02d} 10:00:00", score]
        )
    s.execute("INSERT INTO calls VALUES ('C9', 'L1', 'A', '2025-06-30 10:00:00', 300, [], 0)")  # previous quarter
    deals = [
        ("D1", "ACC1", "A", "2025-08-01", 100000, 40000, "new"),
        ("D2", "ACC2", "A", "2025-07-20", 50000, 25000, "renewal"),
        ("D0", "ACC2", "A", "2024-07-25", 40000, 16000, "new"),  # due again in 2025Q3: renewed by D2
        ("D3", "ACC3", "A", "2024-08-10", 30000, 12000, "new"),  # due in 2025Q3: not renewed
        ("D4", "ACC4", "B", "2025-09-01", 20000, 8000, "new"),
    ]
    for d in deals:
        s.execute("INSERT INTO deals VALUES (?, NULL, ?, ?, ?, ?, ?, ?, 0)", list(d[:1]) + list(d[1:]))
    for acc, day, score in [
        ("ACC1", "2025-08-10", 10),
        ("ACC2", "2025-08-11", 9),
        ("ACC3", "2025-09-01", 7),
        ("ACC3", "2025-09-02", 3),
        ("ACC1", "2025-06-30", 0),
    ]:
        s.execute("INSERT INTO nps VALUES (?, ?, ?)", [acc, day, score])
    for rep, metric, value, evidence in [
        ("A", "peer_review_score", 4.0, "  "),
        ("B", "peer_review_score", 3.5, "Helped X"),
        ("A", "collaboration_score", 70.0, None),
        ("A", "complaint_rate", 1.5, None),
    ]:
        s.execute("INSERT INTO rep_metrics VALUES (?, '2025Q3', ?, ?, ?)", [rep, metric, value, evidence])
    return s


def test_metrics_counted_by_hand(hand):
    m = scorecard.load_metrics(hand, "2025Q3").set_index("rep_id")
    a = m.loc["A"]
    assert a["attainment"] == pytest.approx(1.5) and a["gmv"] == pytest.approx(150000)
    assert a["close_rate"] == pytest.approx(3 / 4)  # open L5 not counted
    assert a["referral_rate"] == pytest.approx(1 / 3)
    assert a["needs_discovery"] == pytest.approx(65.0)  # the June call is outside the quarter
    assert a["call_efficiency"] == pytest.approx(100 * 3 / 6)
    assert a["renewal_rate"] == pytest.approx(1 / 2)  # ACC2 renewed, ACC3 not
    assert a["clv_proxy"] == pytest.approx((40000 + (16000 + 25000)) / 2)
    assert a["nps"] == pytest.approx(100 * (2 - 1) / 4)  # 10, 9 promoters; 3 detractor; the June answer is out
    assert math.isnan(a["peer_review_score"])  # blank evidence: not counted
    assert m.loc["B", "peer_review_score"] == 3.5
    assert a["collaboration_score"] == 70 and a["complaint_rate"] == 1.5
    assert math.isnan(m.loc["B", "close_rate"]) and math.isnan(m.loc["B", "renewal_rate"])
    assert m.loc["B", "attainment"] == pytest.approx(0.2)


def frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    df = pd.DataFrame(
        {
            "rep_id": [f"S{i}" for i in range(n)],
            "rep_name": "x",
            "team_id": "T",
            "region_id": "R",
            "role": "field",
            "quarter": "2025Q3",
        }
    )
    for m in METRICS:
        df[m] = np.nan
    for k, v in cols.items():
        df[k] = v
    return df


def test_percentile_normalisation_within_role_by_hand():
    df = frame(
        attainment=[0.5, 1.0, 1.5, 2.0, 9.0],
        complaint_rate=[1.0, 2.0, 3.0, 4.0, 0.0],
        mentoring_hours=[1.0, 1.0, 2.0, 3.0, np.nan],
    )
    df.loc[4, "role"] = "telesales"  # alone in its role
    s = scorecard.normalise(df, "percentile")
    assert s["attainment"].tolist() == pytest.approx([12.5, 37.5, 62.5, 87.5, 50.0])
    assert s["complaint_rate"].tolist() == pytest.approx([87.5, 62.5, 37.5, 12.5, 50.0])  # lower is better
    assert s["mentoring_hours"].tolist()[:4] == pytest.approx([25.0, 25.0, 62.5, 87.5])  # ties share the mid-rank
    assert math.isnan(s["mentoring_hours"][4])


def test_zscore_normalisation_by_hand():
    df = frame(attainment=[1.0, 2.0, 3.0, 4.0], solution_innovation=[3.0, 3.0, 3.0, 3.0])
    s = scorecard.normalise(df, "zscore")
    sd = math.sqrt(1.25)
    assert s["attainment"].tolist() == pytest.approx([50 + 10 * (x - 2.5) / sd for x in (1, 2, 3, 4)])
    assert s["solution_innovation"].tolist() == [50.0] * 4


def config(
    results,
    behaviour=(("complaint_rate", 1.0),),
    collaboration=(("mentoring_hours", 1.0),),
    dims=(("results", 0.5), ("behaviour", 0.3), ("collaboration", 0.2)),
    **kw,
) -> ScorecardConfig:
    w = RoleWeights(
        dimensions=dims, metrics=(("results", results), ("behaviour", behaviour), ("collaboration", collaboration))
    )
    return ScorecardConfig(default=w, **kw)


def test_weighted_scores_reweight_missing_metrics_by_hand():
    df = frame(
        attainment=[1.0, 2.0, 3.0, 4.0],
        renewal_rate=[0.9, np.nan, 0.5, 0.7],
        complaint_rate=[4.0, 3.0, 2.0, 1.0],
        mentoring_hours=[np.nan, np.nan, np.nan, np.nan],
    )
    cfg = config((("attainment", 0.5), ("renewal_rate", 0.5)))
    out = scorecard.score(df, cfg)
    # renewal percentiles among the 3 with a value: 0.5 -> 16.7, 0.7 -> 50, 0.9 -> 83.3
    assert out["results_score"].tolist() == pytest.approx(
        [(12.5 + 250 / 3) / 2, 37.5, (62.5 + 50 / 3) / 2, (87.5 + 50) / 2]
    )
    assert out["behaviour_score"].tolist() == pytest.approx([12.5, 37.5, 62.5, 87.5])
    assert out["collaboration_score"].isna().all()
    expected = (0.5 * out["results_score"] + 0.3 * out["behaviour_score"]) / 0.8  # collaboration missing
    assert out["total_score"].tolist() == pytest.approx(expected.tolist())
    assert out["rank_in_role"].tolist() == [4, 3, 2, 1] and (out["reps_in_role"] == 4).all()


def test_threshold_grades_by_hand():
    total = np.array([85.0, 80.0, 79.99, 65.0, 50.0, 45.0, 30.0, 29.0, np.nan])
    grades = scorecard.grade_scores(total, np.array(["g"] * 9), np.arange(9), reference_plan().scorecard)
    assert grades.tolist() == ["A+", "A+", "A", "A", "B", "B", "C", "D", None]


def test_forced_distribution_by_rank_within_role():
    cfg = config((("attainment", 1.0),), grading="forced")
    total = np.linspace(100, 5, 20)
    grades = scorecard.grade_scores(total, np.array(["field"] * 20), np.arange(20), cfg)
    assert pd.Series(grades).value_counts().to_dict() == {"A+": 1, "A": 4, "B": 9, "C": 4, "D": 2}
    assert grades[0] == "A+" and grades[-1] == "D" and grades[5] == "B" and grades[14] == "C"
    two = scorecard.grade_scores(np.r_[total, total], np.array(["a"] * 20 + ["b"] * 20), np.arange(40), cfg)
    assert (two[:20] == two[20:]).all()  # each role is graded on its own


def test_what_if_renewal_weight_migrates_grades_by_hand():
    df = frame(attainment=[1.0, 2.0, 3.0, 4.0], renewal_rate=[0.9, 0.8, 0.7, 0.6])
    th = (("A+", 79.0), ("A", 62.0), ("B", 50.0), ("C", 30.0))
    only = (("results", 1.0), ("behaviour", 0.0), ("collaboration", 0.0))
    before = scorecard.score(df, config((("attainment", 0.9), ("renewal_rate", 0.1)), dims=only, thresholds=th))
    after = scorecard.score(df, config((("attainment", 0.7), ("renewal_rate", 0.3)), dims=only, thresholds=th))
    assert before["total_score"].tolist() == pytest.approx([20, 40, 60, 80])
    assert after["total_score"].tolist() == pytest.approx([35, 45, 55, 65])
    w = scorecard.migration(before, after)
    assert w.matrix.loc["A+", "A"] == 1 and w.matrix.loc["D", "C"] == 1
    assert w.matrix.loc["B", "B"] == 1 and w.matrix.loc["C", "C"] == 1 and w.matrix.to_numpy().sum() == 4
    assert w.changed_grades == 2 and set(w.movers["rep_id"]) == {"S0", "S3"}
    assert (w.movers["rank_change"] == 0).all()


def test_promotion_watch_needs_two_consecutive_a_plus(empty_store):
    s = empty_store
    s.execute("INSERT INTO regions VALUES ('R1', 'East')")
    s.execute("INSERT INTO teams VALUES ('T1', 'East', 'R1', 'field', false, NULL)")
    for rep in "ABC":
        s.execute("INSERT INTO reps VALUES (?, ?, 'T1', 'field', '2020-01-01', 10000, NULL)", [rep, rep])
        for q in ("2025Q2", "2025Q3"):
            s.execute("INSERT INTO targets VALUES (?, ?, 100000, NULL)", [rep, q])
    # attainment is the only metric with data: A is best in both quarters, B and C swap places
    won = {
        ("A", "2025-05-10"): 300000,
        ("B", "2025-05-10"): 200000,
        ("C", "2025-05-10"): 100000,
        ("A", "2025-08-10"): 300000,
        ("B", "2025-08-10"): 100000,
        ("C", "2025-08-10"): 200000,
    }
    for i, ((rep, day), amount) in enumerate(won.items()):
        s.execute("INSERT INTO deals VALUES (?, NULL, NULL, ?, ?, ?, NULL, 'new', 0)", [f"D{i}", rep, day, amount])
    r = scorecard.scorecard(s, Q3, LEADER)
    per = r.per_rep.set_index("rep_id")
    assert per.loc["A", "total_score"] == pytest.approx(250 / 3)  # mid-rank percentile of the best of 3
    assert per["grade"].to_dict() == {"A": "A+", "B": "D", "C": "B"}  # 83.3, 16.7, 50
    assert per["previous_grade"].to_dict() == {"A": "A+", "B": "B", "C": "D"}
    assert list(r.promotion["rep_id"]) == ["A"]
    assert r.grade_counts.set_index("grade")["reps"].to_dict() == {"A+": 1, "A": 0, "B": 1, "C": 0, "D": 1}
    imp = r.improvement.set_index("rep_id")
    assert list(imp.index) == ["B", "C"] and imp.loc["B", "weakest_1"] == "attainment"
    assert imp.loc["B", "weakest_1_score"] == pytest.approx(50 / 3)
    mine = scorecard.scorecard(s, Q3, Scope(role="rep", rep_id="B"))
    assert list(mine.per_rep["rep_id"]) == ["B"] and mine.per_rep["total_score"].iloc[0] == pytest.approx(50 / 3)


def test_empty_store_gives_an_empty_scorecard(empty_store):
    r = scorecard.scorecard(empty_store, Q3, LEADER)
    assert r.per_rep.empty and r.improvement.empty and r.grade_counts["reps"].sum() == 0
    w = scorecard.what_if(
        empty_store,
        Q3,
        LEADER,
        plan=reference_plan(),
        new_plan=plans.with_metric_weight(reference_plan(), "renewal_rate", 0.3),
    )
    assert w.reps == 0 and w.matrix.to_numpy().sum() == 0


def test_demo_scorecard_is_normalised_within_role(demo_store):
    r = scorecard.scorecard(demo_store, Q3, LEADER)
    per = r.per_rep
    assert r.grade_counts["reps"].sum() == len(per) > 30
    assert per.groupby("role")["rank_in_role"].min().eq(1).all()
    metric_means = (
        r.metrics[r.metrics["metric"] == "attainment"]
        .groupby(
            per.set_index("rep_id").loc[r.metrics.loc[r.metrics["metric"] == "attainment", "rep_id"], "role"].to_numpy()
        )["score"]
        .mean()
    )
    assert np.allclose(metric_means, 50.0)  # mid-rank percentiles average 50 in every role
    # telesales rows carry call_efficiency, key accounts strategic_project_score, others neither
    roles = per.set_index("rep_id")["role"]
    weighted = r.metrics.assign(role=r.metrics["rep_id"].map(roles))
    assert set(weighted.loc[weighted["metric"] == "call_efficiency", "role"]) == {"telesales"}
    assert set(weighted.loc[weighted["metric"] == "strategic_project_score", "role"]) == {"key_account"}


def test_demo_what_if_matches_two_scorecards(demo_store):
    base = reference_plan()
    new = plans.with_metric_weight(base, "renewal_rate", 0.3)
    w = scorecard.what_if(demo_store, Q3, LEADER, plan=base, new_plan=new)
    a = scorecard.scorecard(demo_store, Q3, LEADER, plan=base).per_rep.set_index("rep_id")["grade"]
    b = scorecard.scorecard(demo_store, Q3, LEADER, plan=new).per_rep.set_index("rep_id")["grade"].reindex(a.index)
    assert w.reps == len(a) and w.matrix.to_numpy().sum() == a.notna().sum()
    assert w.changed_grades == int((a != b).sum()) > 0
    for row in w.movers[w.movers["grade_changed"]].itertuples():
        assert (row.grade_before, row.grade_after) == (a[row.rep_id], b[row.rep_id])
    assert int(np.trace(w.matrix.to_numpy())) == int((a == b).sum())


def test_planted_accelerator_side_effect_shows_in_renewal_rate_and_nps(demo_store, planted):
    assert planted["accelerator_side_effect"]["renewal_probability_drop"] > 0
    m = pd.concat([scorecard.load_metrics(demo_store, q) for q in ("2025Q1", "2025Q2", "2025Q3", "2025Q4")])
    accel = m["attainment"] >= 1.2
    assert m.loc[accel, "renewal_rate"].mean() < m.loc[~accel, "renewal_rate"].mean() - 0.03
    assert m.loc[accel, "nps"].mean() < m.loc[~accel, "nps"].mean() - 5
