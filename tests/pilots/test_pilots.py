"""Pilot evaluation: estimators by hand, placebo inference, the planted demo pilot, the CLI."""

from __future__ import annotations

import itertools
import json
import math
import re

import numpy as np
import pytest
from scipy.optimize import minimize

from analytics import demo, pilots
from analytics.access import Scope
from analytics.cli.common import main as cli_main
from analytics.pilots import sdid as pilots_sdid
from analytics.store import Store

LEADER = Scope.leader()


# -- numerical core -----------------------------------------------------------------------
def test_simplex_projection_matches_a_brute_force_qp():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(5, 6))
    mask = np.ones_like(v, dtype=bool)
    mask[0, [1, 4]] = False
    w = pilots_sdid._project_simplex(v, mask)
    for b in range(len(v)):
        idx = np.flatnonzero(mask[b])
        res = minimize(
            lambda x, b=b, idx=idx: ((x - v[b, idx]) ** 2).sum(),
            np.full(len(idx), 1 / len(idx)),
            bounds=[(0, 1)] * len(idx),
            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1}],
            method="SLSQP",
            options={"ftol": 1e-12},
        )
        assert np.allclose(w[b, idx], res.x, atol=1e-5)
        assert np.all(w[b, ~mask[b]] == 0)


def test_simplex_least_squares_matches_scipy_slsqp():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(6, 9))
    c = rng.normal(size=(3, 6))
    mask = np.ones((3, 9), dtype=bool)
    mask[1, :3] = False
    eta = 0.05
    w = pilots.simplex_least_squares(a, c, mask, eta)
    for b in range(3):
        idx = np.flatnonzero(mask[b])

        def obj(x, b=b, idx=idx):
            return ((a[:, idx] @ x - c[b]) ** 2).sum() / a.shape[0] + eta * (x**2).sum()

        res = minimize(
            obj,
            np.full(len(idx), 1 / len(idx)),
            bounds=[(0, 1)] * len(idx),
            method="SLSQP",
            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1}],
            options={"ftol": 1e-14},
        )
        assert obj(w[b, idx]) <= res.fun + 1e-7
        assert w[b].sum() == pytest.approx(1.0) and (w[b] >= 0).all()


def test_did_with_all_controls_by_hand():
    # treated [10, 12, 20]; controls average [6.5, 8, 9.5]; gaps [3.5, 4, 10.5]
    y = np.array([[10.0, 12, 20], [5, 6, 7], [8, 10, 12]])
    est = pilots.estimate_panel(
        y, [True, False, False], [False, True, True], [True, True, False], method="did", n_matches=0
    )
    assert est.effect == pytest.approx(10.5 - (3.5 + 4) / 2)
    assert np.allclose(est.effects, [-0.25, 0.25, 6.75])
    assert math.isnan(est.lo) and math.isnan(est.p_value)  # two controls: too few placebo draws


def _two_way_panel(effect: float, n: int = 15, t: int = 7, t0: int = 4, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.normal(50, 10, n)[:, None] + np.cumsum(rng.normal(0, 2, t))[None, :]
    y[0, t0:] += effect
    return y


@pytest.mark.parametrize("method", ["did", "sdid"])
def test_exact_recovery_on_a_two_way_fixed_effects_panel(method):
    y = _two_way_panel(4.0)
    treated = np.arange(15) == 0
    est = pilots.estimate_panel(y, treated, ~treated, np.arange(7) < 4, method=method, n_placebo=50)
    assert est.effect == pytest.approx(4.0, abs=1e-6)
    assert np.allclose(est.effects[:4], 0, atol=1e-6)
    assert np.allclose(est.placebo_effects, 0, atol=1e-6)  # no noise: every placebo is exactly 0


def test_synthetic_control_reproduces_a_convex_combination():
    rng = np.random.default_rng(4)
    controls = rng.normal(20, 3, size=(5, 10)).cumsum(axis=1)
    treated = 0.3 * controls[1] + 0.7 * controls[4]
    treated[8:] += 2.5
    y = np.vstack([treated, controls])
    is_t = np.arange(6) == 0
    est = pilots.estimate_panel(y, is_t, ~is_t, np.arange(10) < 8, method="sc", n_placebo=20)
    assert np.allclose(est.weights, [0, 0, 0.3, 0, 0, 0.7], atol=1e-3)
    assert est.pre_rmse < 1e-3
    assert est.effect == pytest.approx(2.5, abs=0.02)


def test_permutation_interval_and_p_value_by_enumeration():
    rng = np.random.default_rng(5)
    y = rng.normal(0, 1, size=(13, 6))
    y[0, 3:] += 10.0
    treated = np.arange(13) == 0
    pre = np.arange(6) < 3
    est = pilots.estimate_panel(y, treated, ~treated, pre, method="did", n_matches=0)
    # second plain implementation: each control in turn poses as the pilot against the other 11
    placebo = []
    for j in range(1, 13):
        others = [k for k in range(1, 13) if k != j]
        gap = y[j] - y[others].mean(axis=0)
        placebo.append(gap[~pre].mean() - gap[pre].mean())
    placebo = np.array(placebo)
    assert est.n_placebo == 12
    assert np.allclose(np.sort(est.placebo_effects), np.sort(placebo))
    assert est.p_value == pytest.approx(1 / 13)
    assert est.lo == pytest.approx(est.effect - np.quantile(placebo, 0.975))
    assert est.hi == pytest.approx(est.effect - np.quantile(placebo, 0.025))
    assert est.mde == pytest.approx(pilots.MDE_FACTOR * placebo.std(ddof=1))
    assert pilots.MDE_FACTOR == pytest.approx(1.959964 + 0.841621, abs=1e-5)


def test_placebo_sets_enumerate_when_few_and_sample_when_many():
    pool = np.arange(10, 16)
    sets = pilots_sdid._placebo_sets(pool, 2, 100, seed=0)
    assert sorted(sets) == sorted(itertools.combinations(range(10, 16), 2))
    many = pilots_sdid._placebo_sets(np.arange(40), 3, 50, seed=0)
    assert len(many) == 50 and len(set(many)) == 50
    assert pilots_sdid._placebo_sets(np.arange(2), 2, 10, seed=0) == []


def test_too_short_panel_gives_nan_not_an_error():
    y = np.ones((5, 3))
    est = pilots.estimate_panel(
        y, [True, False, False, False, False], [False, True, True, True, True], [True, False, False]
    )
    assert math.isnan(est.effect) and est.n_placebo == 0


# -- team panel ---------------------------------------------------------------------------
@pytest.fixture
def tiny(empty_store):
    s = empty_store
    s.execute("INSERT INTO regions VALUES ('R1', 'East')")
    s.execute(
        "INSERT INTO teams VALUES ('T1', 'A', 'R1', 'field', true, '2025Q2'), ('T2', 'B', 'R1', 'field', false, NULL)"
    )
    s.execute(
        "INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', '2020-01-01', 10000, NULL),"
        " ('S2', 'Bo', 'T1', 'field', '2025-05-01', 10000, NULL),"
        " ('S3', 'Cy', 'T2', 'field', '2020-01-01', 10000, NULL)"
    )
    rows = [
        ("S1", "2025Q1", 60.0),
        ("S1", "2025Q2", 70.0),
        ("S2", "2025Q2", 90.0),
        ("S3", "2025Q1", 50.0),
        ("S3", "2025Q2", 52.0),
    ]
    for r, q, v in rows:
        s.execute("INSERT INTO rep_metrics VALUES (?, ?, 'collaboration_score', ?, NULL)", [r, q, v])
    leads = [
        ("L1", "S1", "won", "2025-01-10"),
        ("L2", "S1", "lost", "2025-02-10"),
        ("L3", "S3", "lost", "2025-02-11"),
        ("L4", "S2", "won", "2025-04-11"),
        ("L5", "S1", "won", "2025-05-11"),
        ("L6", "S3", "won", "2025-05-12"),
    ]
    for lid, rep, status, day in leads:
        s.execute(
            "INSERT INTO leads VALUES (?, ?, 'website', 'R1', 'smb', ?, ?, ?, NULL, NULL)", [lid, day, rep, status, day]
        )
    s.execute(
        "INSERT INTO deals VALUES ('D1', 'L1', NULL, 'S1', '2025-01-10', 1000, 400, 'new', 0),"
        " ('D2', 'L4', NULL, 'S2', '2025-04-11', 3000, 900, 'new', 0)"
    )
    return s


def test_team_panel_balanced_metric_by_hand(tiny):
    p = pilots.team_panel(tiny, None, LEADER, metric="collaboration_score").set_index(["team_id", "quarter"])
    # S2 (hired in Q2) is left out of the balanced panel: T1 is S1 alone
    assert p.loc[("T1", "2025Q2"), "value"] == 70.0 and p.loc[("T1", "2025Q2"), "n"] == 1
    unbalanced = pilots.team_panel(tiny, None, LEADER, metric="collaboration_score", balanced=False)
    assert unbalanced.set_index(["team_id", "quarter"]).loc[("T1", "2025Q2"), "value"] == pytest.approx(80.0)


def test_team_panel_conversion_and_revenue_by_hand(tiny):
    conv = pilots.team_panel(tiny, None, LEADER, metric="conversion").set_index(["team_id", "quarter"])
    assert conv.loc[("T1", "2025Q1"), "value"] == pytest.approx(1 / 2)
    assert conv.loc[("T1", "2025Q2"), "value"] == pytest.approx(2 / 2)
    assert conv.loc[("T2", "2025Q1"), "value"] == 0.0
    rev = pilots.team_panel(tiny, None, LEADER, metric="revenue_per_rep").set_index(["team_id", "quarter"])
    assert rev.loc[("T1", "2025Q1"), "value"] == pytest.approx(1000 / 1)  # S2 not hired yet
    assert rev.loc[("T1", "2025Q2"), "value"] == pytest.approx(3000 / 2)


def test_scope_restricts_the_panel(tiny):
    manager = Scope(role="manager", team_ids=("T2",))
    p = pilots.team_panel(tiny, None, manager, metric="collaboration_score")
    assert set(p["team_id"]) == {"T2"}


def test_unknown_metric_is_a_sentence(tiny):
    with pytest.raises(ValueError, match="not a metric in this store"):
        pilots.team_panel(tiny, None, LEADER, metric="happiness")


def test_too_little_data_gives_a_finding_not_an_exception(tiny):
    r = pilots.evaluate_pilot(tiny, None, LEADER, metric="collaboration_score")
    assert not r.ok and r.findings[0].level == "warning"
    assert "Too little data" in r.findings[0].template
    assert r.to_dict()["effect"] is None and r.to_dict()["series"] == []


# -- which quarters count as before and after the start ------------------------------------
QUARTERS = ["2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4"]
#: Pilot team T1 and control team T2, one rep each; gaps T1 - T2 per quarter: 2, 3, 1, 9, 10, 8.
PILOT_VALUES = [10.0, 12.0, 11.0, 20.0, 22.0, 21.0]
CONTROL_VALUES = [8.0, 9.0, 10.0, 11.0, 12.0, 13.0]


@pytest.fixture
def two_teams(empty_store):
    s = empty_store
    s.execute("INSERT INTO regions VALUES ('R1', 'East')")
    s.execute(
        "INSERT INTO teams VALUES ('T1', 'A', 'R1', 'field', true, '2025Q2'), ('T2', 'B', 'R1', 'field', false, NULL)"
    )
    s.execute(
        "INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', '2020-01-01', 10000, NULL),"
        " ('S2', 'Bo', 'T2', 'field', '2020-01-01', 10000, NULL)"
    )
    for rep, values in (("S1", PILOT_VALUES), ("S2", CONTROL_VALUES)):
        for q, v in zip(QUARTERS, values, strict=True):
            s.execute("INSERT INTO rep_metrics VALUES (?, ?, 'collaboration_score', ?, NULL)", [rep, q, v])
    return s


def test_split_periods_puts_the_start_quarter_after():
    pre, post = pilots.split_periods(QUARTERS, "2025Q2")
    assert pre == ["2024Q3", "2024Q4", "2025Q1"]
    assert post == ["2025Q2", "2025Q3", "2025Q4"]
    assert pilots.split_periods(QUARTERS, "2024Q3") == ([], QUARTERS)
    assert pilots.split_periods(QUARTERS, "2026Q1") == (QUARTERS, [])


@pytest.mark.parametrize(
    "start, n_pre, effect",
    [
        # mean post gap - mean pre gap, by hand from the gaps 2, 3, 1 | 9, 10, 8
        ("2025Q2", 3, (9 + 10 + 8) / 3 - (2 + 3 + 1) / 3),  # 9 - 2 = 7
        # one quarter later: 2, 3, 1, 9 | 10, 8
        ("2025Q3", 4, (10 + 8) / 2 - (2 + 3 + 1 + 9) / 4),  # 9 - 3.75 = 5.25
        # one quarter earlier: 2, 3 | 1, 9, 10, 8
        ("2025Q1", 2, (1 + 9 + 10 + 8) / 4 - (2 + 3) / 2),  # 7 - 2.5 = 4.5
    ],
)
def test_the_start_quarter_is_the_first_post_quarter_of_the_estimate(two_teams, start, n_pre, effect):
    r = pilots.evaluate_pilot(
        two_teams, None, LEADER, teams=("T1",), start=start, metric="collaboration_score", method="did"
    )
    assert list(r.series["quarter"]) == QUARTERS
    assert list(r.series.loc[r.series["period"] == "pre", "quarter"]) == QUARTERS[:n_pre]
    assert list(r.series.loc[r.series["period"] == "post", "quarter"]) == QUARTERS[n_pre:]
    assert r.effect == pytest.approx(effect, abs=1e-9)
    assert list(r.controls["team_id"]) == ["T2"]


# -- the planted demo pilot ---------------------------------------------------------------
@pytest.fixture(scope="module")
def planted_result(demo_store):
    return pilots.evaluate_pilot(demo_store, None, LEADER, metric="collaboration_score", n_placebo=300)


def test_store_flags_are_the_planted_pilot(demo_store, planted):
    teams, start = pilots.pilot_flags(demo_store)
    assert list(teams) == planted["pilot"]["teams"] and start == planted["pilot"]["start_quarter"]


def _small_demo(seed: int) -> Store:
    """A demo store whose rep metrics match a full one (teams do not depend on the lead count)."""
    store = Store(":memory:")
    demo.generate(store, seed=seed, n_leads=5000)
    return store


def test_planted_collaboration_effect_is_inside_the_interval():
    store = _small_demo(7)
    truth = json.loads(store.info()["planted"])["pilot"]["collaboration_score_effect"]
    r = pilots.evaluate_pilot(store, None, LEADER, metric="collaboration_score", n_placebo=300)
    assert r.method == "sdid"
    assert r.lo <= truth <= r.hi and r.p_value < 0.05
    assert r.mde < truth  # the design can see an effect of this size
    did = r.estimates.set_index("method").loc["did"]
    assert did["lo"] <= truth <= did["hi"]
    assert r.findings[0].level == "good"


def test_planted_effect_is_detected_in_the_shared_store(planted_result, planted):
    # Seed 11 happens to realise a smaller effect: its pilot reps rose about 4 points (the estimate
    # is 4.1, 95% interval 1.4 to 6.9); across seeds the interval covers 8 (slow test above).
    r = planted_result
    assert r.teams == tuple(planted["pilot"]["teams"])
    assert r.p_value < 0.05 and r.lo > 0
    assert r.pilot_size == pytest.approx(2.5) and r.pool_size == pytest.approx(3.0)  # T006 keeps 2 balanced reps


@pytest.mark.slow
def test_interval_covers_the_planted_effect_across_demo_seeds():
    effects, covered = [], 0
    for seed in range(1, 21):
        r = pilots.evaluate_pilot(_small_demo(seed), None, LEADER, metric="collaboration_score", n_placebo=200)
        effects.append(r.effect)
        covered += r.lo <= 8.0 <= r.hi
    assert abs(np.mean(effects) - 8.0) < 1.0  # unbiased across seeds (observed 8.15)
    assert covered >= 16  # observed 18 of 20


def test_pre_trend_and_placebo_in_time_show_nothing_before_the_start(planted_result):
    r = planted_result
    pre = r.series[r.series["period"] == "pre"]
    # no pre-trend: the pre-period gaps average out (their per-quarter bands are known to be
    # narrow for two small teams; see docs/methods/pilots.md, "Limits"), and none is as large
    # as the smallest post-period gap
    assert len(pre) == 5
    assert abs(pre["effect"].mean()) < 2 * pre["effect"].std() / len(pre) ** 0.5
    assert pre["effect"].abs().max() < r.series.loc[r.series["period"] == "post", "effect"].min()
    # three placebo start dates, Bonferroni-adjusted
    assert len(r.placebo_in_time) == 3 and (r.placebo_in_time["p_value"] > 0.05 / 3).all()
    assert r.series["quarter"].iloc[0] == "2024Q1" and (r.series["period"] == "post").sum() == 3


def test_placebo_team_set_shows_no_effect(demo_store, planted):
    fields = demo_store.query("SELECT team_id FROM teams WHERE team_type = 'field' AND NOT is_pilot ORDER BY team_id")
    placebo_teams = tuple(fields["team_id"][:2])
    r = pilots.evaluate_pilot(
        demo_store, None, LEADER, teams=placebo_teams, start="2025Q2", metric="collaboration_score", n_placebo=300
    )
    assert r.p_value > 0.05 and r.lo < 0 < r.hi
    assert not set(planted["pilot"]["teams"]) & set(r.controls["team_id"])  # real pilots never serve as controls


def test_conversion_effect_is_too_small_for_this_design(demo_store):
    r = pilots.evaluate_pilot(demo_store, None, LEADER, metric="conversion", n_placebo=200)
    assert r.ok and r.p_value > 0.05 and r.lo < 0 < r.hi
    assert r.mde > 0.08 * r.baseline  # an 8% relative lift is below the minimum detectable effect


def test_manager_scope_limits_controls_and_hides_out_of_scope_pilots(demo_store, planted):
    region = demo_store.query("SELECT region_id FROM teams WHERE team_id = ?", [planted["pilot"]["teams"][0]])
    manager = Scope(role="manager", region_ids=(region["region_id"][0],))
    r = pilots.evaluate_pilot(demo_store, None, manager, metric="collaboration_score", n_placebo=50)
    assert not r.ok and "cannot be evaluated" in r.findings[0].template


# -- CLI ------------------------------------------------------------------------------------
def test_cli_pilot_json(demo_db_path, demo_store, planted, capsys):
    teams = ",".join(planted["pilot"]["teams"])
    code = cli_main(
        [
            "pilot",
            "--db",
            str(demo_db_path),
            "--teams",
            teams,
            "--start",
            "2025Q2",
            "--metric",
            "collaboration_score",
            "--format",
            "json",
            "--placebos",
            "100",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("effect", "lo", "hi", "p_value", "mde", "method", "controls", "series"):
        assert key in out
    same = pilots.evaluate_pilot(demo_store, None, LEADER, metric="collaboration_score", n_placebo=100)
    assert (out["effect"], out["lo"], out["hi"]) == pytest.approx((same.effect, same.lo, same.hi), abs=1e-5)
    assert out["method"] == "sdid" and out["lo"] > 0
    assert len(out["series"]) == 8 and {"quarter", "treated", "control", "effect"} <= set(out["series"][0])
    assert sum(c["weight"] for c in out["controls"]) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--teams", "T999"], "Unknown team id"),
        (["--metric", "happiness"], "not a metric"),
        (["--start", "2025Q7"], "not a quarter"),
    ],
)
def test_cli_pilot_user_errors(demo_db_path, capsys, argv, message):
    code = cli_main(["pilot", "--db", str(demo_db_path), *argv])
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_pilot_too_short_is_empty_but_valid(demo_db_path, capsys):
    code = cli_main(["pilot", "--db", str(demo_db_path), "--start", "2024Q2", "--format", "csv"])
    assert code == 0
    assert capsys.readouterr().out.startswith("quarter,period,treated,control,effect")


_CJK = re.compile(r"[\u4e00-\u9fff]")


def test_cli_pilot_table_in_chinese_and_csv_in_english(demo_db_path, capsys):
    argv = ["pilot", "--db", str(demo_db_path), "--teams", "T002,T006", "--start", "2025Q2", "--placebos", "50"]
    assert cli_main(["--lang", "zh", *argv, "--format", "table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    summary = [line.split(":")[0] for line in lines[:11]]  # ten summary fields and the controls
    assert all(_CJK.search(label) for label in summary), summary
    header = lines[12].split()  # the per-quarter series after a blank line
    assert len(header) == 7 and all(_CJK.search(token) for token in header), header
    assert any(_CJK.search(line) for line in lines[-3:])  # the findings are rendered in Chinese
    assert cli_main(["--lang", "zh", *argv, "--format", "csv"]) == 0
    columns = capsys.readouterr().out.splitlines()[0]
    assert columns == "quarter,period,treated,control,effect,effect_lo,effect_hi"


# -- statistical validity (slow) -------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("method", ["did", "sdid"])
def test_placebo_inference_keeps_its_level_and_coverage(method):
    """Under noise with team and team-quarter effects, 5% tests reject about 5% of the time and
    the interval covers a planted effect about 95% of the time (few treated teams)."""
    rng = np.random.default_rng(11)
    n, t, t0, sims = 24, 7, 4, 120
    reject = cover = 0
    for _ in range(sims):
        y = rng.normal(0, 3, n)[:, None] + rng.normal(0, 1, t)[None, :] + rng.normal(0, 1.5, (n, t))
        y[:2, t0:] += 2.0
        treated = np.arange(n) < 2
        est = pilots.estimate_panel(
            y, treated, ~treated, np.arange(t) < t0, method=method, n_placebo=120, seed=int(rng.integers(1 << 30))
        )
        cover += est.lo <= 2.0 <= est.hi
        y[:2, t0:] -= 2.0
        null = pilots.estimate_panel(y, treated, ~treated, np.arange(t) < t0, method=method, n_placebo=120)
        reject += null.p_value < 0.05
    assert reject / sims < 0.11
    assert cover / sims > 0.88
