"""Key drivers of top performers: hand-made reps with known ranks and metrics, the helper
statistics against textbook / scikit-learn values, the demo's planted skill link, the CLI."""

from __future__ import annotations

import io
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from analytics.access import Scope
from analytics.cli.common import main
from analytics.filters import Filters
from analytics.talk_tracks import drivers

LEADER = Scope.leader()
Q3 = Filters.for_quarter("2025Q3")
N_REPS = 40


@pytest.fixture
def hand(empty_store):
    """40 reps (S01..S40, teams T1 = S01-S20 and T2 = S21-S40) whose attainment is i / 100.

    Metrics in 2025Q3: collaboration_score = i (higher is better), complaint_rate = i (lower
    is better), cross_dept_response_hours = i mod 2 (lower is better), peer_review_score
    only for odd reps, needs-discovery score of the rep's one call = 100 - i.
    """
    s = empty_store
    s.execute("INSERT INTO regions VALUES ('R1', 'East')")
    s.execute(
        "INSERT INTO teams VALUES ('T1', 'A', 'R1', 'field', false, NULL), ('T2', 'B', 'R1', 'field', false, NULL)"
    )
    for i in range(1, N_REPS + 1):
        rep = f"S{i:02d}"
        s.execute(
            "INSERT INTO reps VALUES (?, ?, ?, 'field', '2020-01-01', 10000, NULL)",
            [rep, f"Rep {i}", "T1" if i <= 20 else "T2"],
        )
        s.execute("INSERT INTO targets VALUES (?, '2025Q3', 100000, NULL)", [rep])
        s.execute("INSERT INTO deals VALUES (?, NULL, NULL, ?, '2025-08-01', ?, 0, 'new', 0)", [f"D{i}", rep, 1000 * i])
        s.execute(
            "INSERT INTO calls VALUES (?, ?, ?, '2025-08-02 10:00:00', 300, [], ?)", [f"C{i}", f"L{i}", rep, 100.0 - i]
        )
        s.execute(
            "INSERT INTO leads VALUES (?, '2025-07-01', 'website', 'R1', 'smb', ?, 'lost', '2025-07-20', NULL, NULL)",
            [f"L{i}", rep],
        )
        metrics = {"collaboration_score": i, "complaint_rate": i, "cross_dept_response_hours": i % 2}
        if i % 2:
            metrics["peer_review_score"] = i / 10
        for name, value in metrics.items():
            s.execute("INSERT INTO rep_metrics VALUES (?, '2025Q3', ?, ?, NULL)", [rep, name, value])
    s.execute("INSERT INTO deals VALUES ('DX', NULL, NULL, 'S40', '2025-06-30', 5000000, 0, 'new', 0)")  # Q2: ignored
    s.execute(
        "INSERT INTO leads VALUES ('LW', '2025-07-01', 'website', 'R1', 'smb', 'S40', 'won', '2025-07-21', NULL, NULL)"
    )
    return s


def test_rep_table_attainment_and_metrics_by_hand(hand):
    reps = drivers.rep_table(hand, Q3, LEADER).set_index("rep_id")
    assert len(reps) == N_REPS
    assert reps.loc["S07", "attainment"] == pytest.approx(0.07)
    assert reps.loc["S40", "won_amount"] == pytest.approx(40000)  # the Q2 deal does not count
    assert reps.loc["S40", "conversion_rate"] == pytest.approx(0.5)  # 1 won of 2 closed in Q3
    assert reps.loc["S10", "needs_discovery_score"] == pytest.approx(90)
    assert math.isnan(reps.loc["S10", "peer_review_score"]) and reps.loc["S11", "peer_review_score"] == pytest.approx(
        1.1
    )
    assert reps["solution_innovation"].isna().all()
    only_t1 = drivers.rep_table(hand, Filters.for_quarter("2025Q3", team_ids=("T1",)), LEADER)
    assert only_t1["rep_id"].tolist() == [f"S{i:02d}" for i in range(1, 21)]
    assert drivers.rep_table(hand, Q3, Scope(role="rep", rep_id="S05"))["rep_id"].tolist() == ["S05"]


def test_top_decile_and_the_median_statements_by_hand(hand):
    res = drivers.key_drivers(hand, Q3, LEADER, n_boot=50)
    assert res.message is None and (res.n_reps, res.n_top) == (40, 4)  # ceil(10% of 40)
    assert set(res.reps.loc[res.reps["is_top"], "rep_id"]) == {"S37", "S38", "S39", "S40"}
    e = res.effects.set_index("metric")
    assert "solution_innovation" not in e.index  # no data
    # collaboration = i: all 4 top reps are above the median (20.5); exact binomial two-sided p = 2 / 2^4
    assert (e.loc["collaboration_score", "k_better"], e.loc["collaboration_score", "expected_share"]) == (4, 0.5)
    assert e.loc["collaboration_score", "p_value"] == pytest.approx(0.125)
    assert e.loc["collaboration_score", "median"] == pytest.approx(20.5)
    assert e.loc["collaboration_score", "top_mean"] == pytest.approx(38.5)
    # complaint rate = i, lower is better: no top rep is below the median
    assert e.loc["complaint_rate", "k_better"] == 0 and e.loc["complaint_rate", "p_value"] == pytest.approx(0.125)
    # response hours = i mod 2, lower is better: S38 and S40 (0 hours) -> 2 of 4, p = 1
    assert e.loc["cross_dept_response_hours", "k_better"] == 2
    assert e.loc["cross_dept_response_hours", "p_value"] == pytest.approx(1.0)
    # peer review only for odd reps: 20 missing; S37 and S39 (3.7, 3.9) above the median 2.0
    assert e.loc["peer_review_score", "n_missing"] == 20 and e.loc["peer_review_score", "k_better"] == 2
    assert e.loc["peer_review_score", "expected_share"] == pytest.approx(10 / 40)
    # needs discovery = 100 - i: higher is better, top reps are the worst
    assert e.loc["needs_discovery_score", "k_better"] == 0
    assert e.loc["collaboration_score", "coef_per_sd"] > 0 > e.loc["needs_discovery_score", "coef_per_sd"]
    text = [f.english() for f in res.findings]
    assert "4 of the top 4 are above the median on collaboration_score (vs 50.0% of all reps; p = 0.125)." in text
    assert any("below the median on complaint_rate, where lower is better" in s for s in text)
    # composite: nobody is above both medians (discovery favours low i, collaboration high i)
    assert res.findings[-1].params["better_n"] == 0 and res.findings[-1].params["expected_pct"] == 0.0


def test_top_n_and_its_guards(hand):
    res = drivers.key_drivers(hand, Q3, LEADER, top=10, n_boot=20)
    assert res.n_top == 10 and res.reps.loc[res.reps["is_top"], "rank"].max() == 10
    assert drivers.key_drivers(hand, Q3, LEADER, top=2).message is not None  # fewer than 3 top reps
    assert drivers.key_drivers(hand, Q3, LEADER, top=39).message is not None  # fewer than 3 others
    small = drivers.key_drivers(hand, Filters.for_quarter("2025Q3", team_ids=("T1",)), LEADER)
    assert small.message is not None and small.message.params["reps_n"] == 20 and small.effects.empty
    none = drivers.key_drivers(hand, Filters.for_quarter("2023Q1"), LEADER)
    assert none.message is not None and none.n_reps == 0 and none.reps.empty
    with pytest.raises(ValueError, match="--top 0"):
        drivers.key_drivers(hand, Q3, LEADER, top=0)


def test_rep_profile_by_hand(hand):
    prof = drivers.rep_profile(hand, Q3, LEADER, rep_id="S40").set_index("metric")
    assert list(prof.columns) == [c for c in drivers.PROFILE_COLUMNS if c != "metric"]
    att = prof.loc["attainment"]
    assert att["rep_value"] == pytest.approx(0.40)
    assert att["team_mean"] == pytest.approx(np.mean(range(21, 41)) / 100)
    assert att["top_decile_mean"] == pytest.approx(np.mean(range(37, 41)) / 100)
    assert att["rep_percentile"] == pytest.approx(1.0)
    assert att["team_percentile"] == pytest.approx(30 / 40)  # 0.305 beats S01..S30
    assert prof.loc["complaint_rate", "rep_percentile"] == pytest.approx(1 / 40)  # the worst: only itself
    assert prof.loc["complaint_rate", "dimension"] == "behaviour"
    assert prof.loc["mentoring_hours"].isna()[["rep_value", "team_mean", "rep_percentile"]].all()
    assert drivers.rep_profile(hand, Q3, LEADER, rep_id="S99").empty


def test_roc_auc_matches_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.random(60) < 0.3
    scores = np.round(rng.random((60, 3)), 1)  # with ties
    got = drivers.roc_auc(y, scores)
    assert got == pytest.approx([roc_auc_score(y, scores[:, j]) for j in range(3)])


def test_logistic_effects_and_importance_find_the_informative_metric():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((300, 3))
    top = (1.5 * z[:, 0] + rng.standard_normal(300)) > 1.8
    coef, lo, hi = drivers.logistic_effects(z, top, n_boot=100)
    assert lo[0] > 0 and lo[1] < 0 < hi[1] and lo[2] < 0 < hi[2]
    assert lo[0] < coef[0] < hi[0]
    imp, _ = drivers.tree_importance(z, top)
    assert imp[0] > 0.1 and imp[0] > 3 * max(abs(imp[1]), abs(imp[2]))


def test_demo_top_performers_are_strong_on_needs_discovery(demo_store):
    """The demo ties needs-discovery depth to rep skill; across quarters the top decile shows it."""
    k = n = 0
    coefs = []
    for q in ("2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3"):
        res = drivers.key_drivers(demo_store, Filters.for_quarter(q), LEADER, n_boot=20)
        row = res.effects.set_index("metric").loc["needs_discovery_score"]
        k, n = k + int(row["k_better"]), n + int(row["n_top"])
        coefs.append(row["coef_per_sd"])
    from scipy.stats import binomtest

    assert k / n > 0.6 and binomtest(k, n, 0.5).pvalue < 0.05  # 55 of 86 on the 60k test store
    assert np.mean(coefs) > 0.3


# -- CLI ---------------------------------------------------------------------------------


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_drivers(demo_db_path, demo_store, capsys):
    code, out, _ = run_cli(
        capsys, "drivers", "--db", str(demo_db_path), "--quarter", "2025Q3", "--top", "10", "--format", "csv"
    )
    df = pd.read_csv(io.StringIO(out))
    assert code == 0 and list(df.columns) == list(drivers.EFFECT_COLUMNS)
    ref = drivers.key_drivers(demo_store, Q3, LEADER, top=10).effects
    assert df["k_better"].tolist() == ref["k_better"].tolist() and set(df["n_top"]) == {10}
    code, out, _ = run_cli(
        capsys, "drivers", "--db", str(demo_db_path), "--quarter", "2025Q3", "--table", "findings", "--format", "json"
    )
    statements = [r["statement"] for r in json.loads(out)]
    assert code == 0 and any("needs_discovery_score" in s for s in statements)
    rep = drivers.rep_table(demo_store, Q3, LEADER)["rep_id"].iloc[0]
    code, out, _ = run_cli(
        capsys, "drivers", "--db", str(demo_db_path), "--quarter", "2025Q3", "--profile", rep, "--format", "json"
    )
    rows = json.loads(out)
    assert code == 0 and [r["metric"] for r in rows][:3] == ["attainment", "won_amount", "conversion_rate"]


def test_cli_drivers_too_few_reps_and_bad_options(demo_db_path, capsys):
    code, out, err = run_cli(
        capsys, "drivers", "--db", str(demo_db_path), "--quarter", "2025Q3", "--team", "T001", "--format", "csv"
    )
    assert code == 0 and out.startswith("metric,dimension,") and "note: Only" in err
    code, _, err = run_cli(capsys, "drivers", "--db", str(demo_db_path), "--quarter", "2025Q9")
    assert code == 2 and "is not a quarter" in err
    code, _, err = run_cli(capsys, "drivers", "--db", str(demo_db_path), "--top", "0")
    assert code == 2 and "--top 0" in err


CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize(
    "args",
    [["--table", "effects"], ["--table", "reps"], ["--table", "findings"], ["--profile", "FIRST"]],
    ids=["effects", "reps", "findings", "profile"],
)
def test_cli_table_headers_are_chinese_with_lang_zh(demo_db_path, demo_store, capsys, args):
    rep = drivers.rep_table(demo_store, Q3, LEADER)["rep_id"].iloc[0]
    args = [rep if a == "FIRST" else a for a in args]
    base = ["drivers", "--db", str(demo_db_path), "--quarter", "2025Q3", "--boot", "20", *args]
    code, out, _ = run_cli(capsys, "--lang", "zh", *base, "--format", "table")
    header = out.splitlines()[0].split()
    assert code == 0 and header and all(CJK.search(word) for word in header), header
    code, out, _ = run_cli(capsys, "--lang", "zh", *base, "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert code == 0 and all(c.isascii() for c in frame.columns)
    expected = {
        "effects": list(drivers.EFFECT_COLUMNS),
        "findings": ["statement"],
        "profile": list(drivers.PROFILE_COLUMNS),
    }.get(args[-1] if args[0] == "--table" else "profile")
    if expected:
        assert list(frame.columns) == expected
