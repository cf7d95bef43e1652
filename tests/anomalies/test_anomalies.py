"""The weekly anomaly detector: estimator contract, hand-computed baselines, calibration on
simulated panels, the cross-sectional check, the demo store's planted truth, edge cases, CLI."""

from __future__ import annotations

import io
import json
import math
import warnings
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.base import clone

from analytics import anomalies as an
from analytics.access import Scope
from analytics.demo import HOLIDAYS
from analytics.filters import Filters
from analytics.store import Store
from tests.anomalies.test_explain import LAST, PARAMS, WINDOW, build_hand

LEADER = Scope.leader()
ALL = Filters(date(2024, 1, 1), date(2025, 12, 31))


@pytest.fixture
def hand(empty_store: Store) -> Store:
    return build_hand(empty_store)


def synthetic(
    kind: str = "count",
    *,
    units: int = 8,
    weeks: int = 60,
    seed: int = 0,
    drop: tuple[int, int] | None = None,
    dip: int | None = None,
    base: float = 300.0,
) -> pd.DataFrame:
    """A detector input with company seasonality (wave, trend, a holiday dip) and no anomaly
    unless ``drop = (unit index, week index)`` (that unit-week x0.3)."""
    rng = np.random.default_rng(seed)
    mondays = pd.date_range("2024-01-01", periods=weeks, freq="7D")
    t = np.arange(weeks)
    company = (1 + 0.2 * np.sin(2 * np.pi * t / 52)) * (1 + 0.003 * t)
    if dip is not None:
        company[dip] *= 0.25
    rows = []
    for u in range(units):
        size = base * (0.5 + u / units)
        for w in range(weeks):
            lam = size * company[w] * (0.3 if drop == (u, w) else 1.0)
            num, den, sq, cu = 0.0, 1.0, 0.0, 0.0
            if kind == "count":
                num = rng.poisson(lam)
            elif kind == "proportion":
                den = rng.poisson(lam)
                p = 0.15 * (0.3 if drop == (u, w) else 1.0) * (0.8 + 0.4 * u / units)
                num = rng.binomial(den, p)
            else:
                den = rng.poisson(lam / 10)
                amounts = rng.lognormal(np.log(1000.0), 0.5, int(den)) * (
                    0.3 if drop == (u, w) and kind == "mean" else 1
                )
                num, sq, cu = amounts.sum(), (amounts**2).sum(), (amounts**3).sum()
            rows.append((f"U{u}", "*", mondays[w], float(num), float(den), float(sq), float(cu)))
    return pd.DataFrame(rows, columns=["unit", "series", "week_start", "num", "den", "sq", "cu"])


# -- the estimator contract ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("sensitivity", 0),
        ("sensitivity", -1.0),
        ("sensitivity", float("nan")),
        ("sensitivity", "3"),
        ("exclude_z", 0.0),
        ("window_weeks", 1),
        ("window_weeks", 2.5),
        ("scale_weeks", 0),
        ("min_history_weeks", 0),
        ("min_baseline_events", -1),
        ("ref_prior_events", -0.5),
        ("kind", "poisson"),
        ("cross_sectional", "yes"),
    ],
)
def test_fit_rejects_bad_parameters_quoting_the_value(param, value):
    det = an.WeeklyAnomalyDetector(**{param: value})
    with pytest.raises(ValueError, match=param) as info:
        det.fit(synthetic(weeks=10))
    assert repr(value) in str(info.value)


def test_min_history_cannot_exceed_the_window():
    with pytest.raises(ValueError, match="min_history_weeks=9"):
        an.WeeklyAnomalyDetector(window_weeks=8, min_history_weeks=9).fit(synthetic(weeks=10))


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda X: X.assign(week_start=X["week_start"] + pd.Timedelta(days=1)), "not a Monday"),
        (lambda X: X.assign(num=-X["num"]), "not a non-negative number"),
        (lambda X: pd.concat([X, X.head(1)]), "more than one row"),
        (lambda X: X.drop(columns=["cu"]), "lacks the column"),
        (lambda X: X.to_numpy(), "must be a DataFrame"),
    ],
)
def test_fit_rejects_bad_input(mutate, needle):
    with pytest.raises(ValueError, match=needle):
        an.WeeklyAnomalyDetector().fit(mutate(synthetic(weeks=10)))


def test_estimator_contract():
    det = an.WeeklyAnomalyDetector(sensitivity=2.5, window_weeks=8)
    assert not [k for k in vars(det) if k.endswith("_")]  # __init__ learns nothing
    with pytest.raises(ValueError, match="not fitted"):
        det.score(synthetic(weeks=10))
    X = synthetic(weeks=30)
    assert det.fit(X) is det
    learned = [k for k in vars(det) if k.endswith("_")]
    assert {"result_", "unit_scores_", "baseline_weeks_", "units_", "weeks_"} <= set(learned)
    twin = clone(det)
    assert twin.get_params() == det.get_params() and not hasattr(twin, "result_")
    z = det.score(X)
    assert len(z) == len(X)
    merged = X.merge(
        det.result_.assign(week_start=pd.to_datetime(det.result_["week_start"])), on=["unit", "series", "week_start"]
    )
    np.testing.assert_allclose(z, merged["z"].to_numpy(), equal_nan=True)
    assert set(det.predict(X)) <= {-1, 1}


def test_scoring_a_new_week_uses_the_fitted_history():
    X = synthetic(weeks=31, seed=4)
    last = X["week_start"].max()
    history, new = X[X["week_start"] < last], X[X["week_start"] == last]
    det = an.WeeklyAnomalyDetector().fit(history)
    full = an.WeeklyAnomalyDetector().fit(X)
    expected = full.result_[full.result_["week_start"] == last.date()].set_index("unit")["z"]
    np.testing.assert_allclose(det.score(new), expected.loc[new["unit"]].to_numpy())


# -- baselines by hand ---------------------------------------------------------------------


def _tiny(a: list[float], b: list[float]) -> pd.DataFrame:
    weeks = pd.date_range("2025-01-06", periods=len(a), freq="7D")
    rows = [(u, "*", w, v, 1.0, 0.0, 0.0) for u, vals in (("A", a), ("B", b)) for w, v in zip(weeks, vals, strict=True)]
    return pd.DataFrame(rows, columns=["unit", "series", "week_start", "num", "den", "sq", "cu"])


def test_expected_value_is_the_pooled_ratio_times_the_reference():
    X = _tiny([10, 20, 30, 25], [20, 40, 60, 50])
    opts = {"window_weeks": 3, "min_history_weeks": 3, "min_baseline_events": 0}
    det = an.WeeklyAnomalyDetector(**opts, ref_prior_events=0).fit(X)
    last = det.result_[det.result_["week_start"] == date(2025, 1, 27)].set_index("unit")
    # A: mean 20 x company factor 50 / mean(20, 40, 60) = 25 (= (10+20+30)/(20+40+60) x 50);
    # B: mean 40 x 25 / 20 = 50
    assert last.loc["A", "expected"] == pytest.approx(25.0)
    assert last.loc["B", "expected"] == pytest.approx(50.0)
    assert last.loc["A", "ref_factor"] == pytest.approx(50 / 40)
    # with one pseudo-event on each side: A 20 x 51/41, B 40 x 26/21
    det = an.WeeklyAnomalyDetector(**opts).fit(X)
    last = det.result_[det.result_["week_start"] == date(2025, 1, 27)].set_index("unit")
    assert last.loc["A", "expected"] == pytest.approx(20 * 51 / 41)
    assert last.loc["B", "expected"] == pytest.approx(40 * 26 / 21)
    alone = an.WeeklyAnomalyDetector(**opts, cross_sectional=False).fit(X)
    row = alone.result_[(alone.result_["unit"] == "A") & (alone.result_["week_start"] == date(2025, 1, 27))]
    assert row["expected"].iloc[0] == pytest.approx(20.0)  # plain mean of the three weeks
    assert det.baseline_weeks_[("A", date(2025, 1, 27))] == (date(2025, 1, 6), date(2025, 1, 13), date(2025, 1, 20))
    early = det.result_[det.result_["week_start"] < date(2025, 1, 27)]
    assert early["z"].isna().all()  # fewer than min_history_weeks before them


def _midp_direct(pmf: list[float], x: int) -> float:
    return sum(pmf[:x]) + 0.5 * pmf[x]


def test_midp_scores_match_direct_sums():
    # negative binomial with mean mu and shape r, pmf written out with lgamma
    r, mu = 4.5, 12.0
    p = r / (r + mu)
    pmf = [
        math.exp(math.lgamma(k + r) - math.lgamma(r) - math.lgamma(k + 1) + r * math.log(p) + k * math.log(1 - p))
        for k in range(200)
    ]
    for x in (0, 3, 12, 30):
        want = _midp_direct(pmf, x)
        got = an.nbinom_midp_z(np.array([x]), np.array([r]), np.array([mu]))[0]
        assert got == pytest.approx(norm.ppf(want))
    n, q = 40, 0.1
    pmf = [math.comb(n, k) * q**k * (1 - q) ** (n - k) for k in range(n + 1)]
    for x in (0, 4, 12):
        assert an.binom_midp_z(np.array([x]), np.array([n]), np.array([q]))[0] == pytest.approx(
            norm.ppf(_midp_direct(pmf, x))
        )
    assert np.isnan(an.binom_midp_z(np.array([0]), np.array([0]), np.array([0.1]))[0])


def test_translated_gamma_matches_the_three_moments():
    mu, var, skew = 1000.0, 250_000.0, 0.6
    shape, scale, shift = an.translated_gamma(np.array(mu), np.array(var), np.array(skew))
    assert shift + shape * scale == pytest.approx(mu)
    assert shape * scale**2 == pytest.approx(var)
    assert 2 / np.sqrt(shape) == pytest.approx(skew)
    # a skewness above 2 x CV (= 1.0 here) is capped so the support starts at 0, not above it
    shape, scale, shift = an.translated_gamma(np.array(mu), np.array(var), np.array(3.0))
    assert shift == pytest.approx(0.0) and shape * scale == pytest.approx(mu)


def test_adjusted_threshold_is_bonferroni():
    assert an.adjusted_threshold(3.0, 1) == pytest.approx(3.0)
    assert an.adjusted_threshold(3.0, 5) == pytest.approx(norm.isf(norm.sf(3.0) / 5))


# -- behaviour on simulated panels ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["count", "proportion", "sum", "mean"])
def test_band_and_flag_agree(kind):
    det = an.WeeklyAnomalyDetector(kind=kind, sensitivity=2.0).fit(synthetic(kind, seed=1, weeks=40))
    r = det.result_.dropna(subset=["z", "lower", "upper"])
    outside = (r["actual"] < r["lower"]) | (r["actual"] > r["upper"])
    beyond = r["z"].abs() >= an.adjusted_threshold(2.0, r["k"])
    assert len(r) > 200
    assert (outside == beyond).mean() > 0.995  # equal up to ties at the band edge
    assert outside.sum() > 0


@pytest.mark.parametrize("kind", ["count", "proportion", "sum", "mean"])
def test_false_alarm_rate_is_near_nominal_under_no_anomaly(kind):
    flagged = scored = 0
    for seed in range(3):
        det = an.WeeklyAnomalyDetector(kind=kind).fit(synthetic(kind, units=10, weeks=70, seed=seed, dip=40))
        us = det.unit_scores_.dropna(subset=["score"])
        flagged += int(us["flagged"].sum())
        scored += len(us)
    assert scored > 1500
    assert flagged / scored < 0.008  # nominal two-sided rate at z=3 is 0.27%


@pytest.mark.parametrize("kind", ["count", "proportion", "sum", "mean"])
def test_a_planted_drop_is_flagged_down_and_kept_out_of_later_baselines(kind):
    X = synthetic(kind, units=8, weeks=40, seed=2, drop=(3, 30), base=3000.0)
    det = an.WeeklyAnomalyDetector(kind=kind).fit(X)
    us = det.unit_scores_.set_index(["unit", "week_start"])
    week = X["week_start"].drop_duplicates().sort_values().iloc[30].date()
    assert us.loc[("U3", week), "flagged"] and us.loc[("U3", week), "score"] < -3
    later = X["week_start"].drop_duplicates().sort_values().iloc[31].date()
    assert week not in det.baseline_weeks_[("U3", later)]
    assert len(det.baseline_weeks_[("U3", later)]) == det.window_weeks


def test_company_wide_dip_is_not_flagged_but_would_be_without_the_cross_section():
    X = synthetic("count", units=8, weeks=40, seed=5, dip=30)
    week = X["week_start"].drop_duplicates().sort_values().iloc[30].date()
    with_check = an.WeeklyAnomalyDetector().fit(X).unit_scores_
    without = an.WeeklyAnomalyDetector(cross_sectional=False).fit(X).unit_scores_
    assert with_check.loc[with_check["week_start"] == week, "flagged"].sum() == 0
    assert without.loc[without["week_start"] == week, "flagged"].sum() == 8


# -- the store: panel, demo truth, edge cases ----------------------------------------------------


def test_weekly_panel_matches_a_pandas_count(demo_store):
    panel = an.weekly_panel(demo_store, ALL, LEADER)
    leads = demo_store.query("SELECT region_id, segment, created_at, closed_at, status FROM leads")
    deals = demo_store.query("SELECT region_id, segment, signed_at, amount::DOUBLE AS amount FROM v_deals")

    def monday(s: pd.Series) -> pd.Series:
        d = pd.to_datetime(s)
        return (d - pd.to_timedelta(d.dt.dayofweek, unit="D")).dt.date

    created = leads.assign(w=monday(leads["created_at"])).groupby(["region_id", "segment", "w"]).size()
    closed = leads[leads["status"] != "open"]
    closed = closed.assign(w=monday(closed["closed_at"]))
    won = closed[closed["status"] == "won"].groupby(["region_id", "segment", "w"]).size()
    rev = deals.assign(w=monday(deals["signed_at"])).groupby(["region_id", "segment", "w"])["amount"].sum()
    p = panel.set_index(["unit", "segment", "week_start"])
    for key in [
        ("R01", "smb", date(2025, 3, 10)),
        ("R05", "enterprise", date(2024, 11, 18)),
        ("R12", "mid_market", date(2025, 9, 1)),
    ]:
        assert p.loc[key, "leads"] == created.get(key, 0)
        assert p.loc[key, "won"] == won.get(key, 0)
        assert p.loc[key, "won_revenue"] == pytest.approx(rev.get(key, 0.0))
    assert p["leads"].sum() == len(leads)
    assert p["closed"].sum() == len(closed)
    assert p["won_revenue"].sum() == pytest.approx(deals["amount"].sum())


@pytest.fixture(scope="module")
def demo_fits(demo_store):
    panel = an.weekly_panel(demo_store, ALL, LEADER)
    return panel, {m: an.fit_detector(panel, m) for m in an.METRICS}


def test_holiday_weeks_are_not_flagged_region_by_region(demo_fits):
    _, fits = demo_fits
    for metric, det in fits.items():
        us = det.unit_scores_
        for a, _b in HOLIDAYS:
            weeks = {a - timedelta(days=a.weekday()) + timedelta(weeks=k) for k in range(3)}
            per_week = us[us["week_start"].isin(weeks)].groupby("week_start")["flagged"].sum()
            assert per_week.max() <= 1, (metric, a)


def test_false_alarms_on_the_demo_store_stay_under_one_per_hundred(demo_fits, planted):
    """At most one false alarm per 100 region-weeks. The 60k-lead test store is small: a region-week
    has a handful of deals, and the average of three deals of mixed types (new, renewal, upsell)
    has a heavier tail than the model's, so that metric is allowed 1.5 here (0.3 at 250k leads,
    see tests/anomalies/test_anomalies_slow.py)."""
    _, fits = demo_fits
    drops = {(d["region_id"], date.fromisoformat(d["week_start"])) for d in planted["drops"]}
    for metric, det in fits.items():
        us = det.unit_scores_.dropna(subset=["score"])
        false = us[
            us["flagged"]
            & ~pd.Series([k in drops for k in zip(us["unit"], us["week_start"], strict=True)], index=us.index)
        ]
        assert len(false) / len(us) <= (0.015 if metric == "avg_deal_value" else 0.01), metric


def test_planted_drops_read_as_a_drop_of_the_planted_segment(demo_fits, planted):
    """At 60k leads a planted drop removes every win of the region's biggest segment that week
    (a handful); the conversion decomposition names that segment's rate as the top driver."""
    panel, fits = demo_fits
    det = fits["conversion_rate"]
    for d in planted["drops"]:
        week = date.fromisoformat(d["week_start"])
        top, _share = an.segment_driver(panel, det, "conversion_rate", d["region_id"], week)
        assert top == f"{d['segment']}:rate", (d, top)
        r = det.result_
        seg = r[(r["unit"] == d["region_id"]) & (r["week_start"] == week) & (r["series"] == d["segment"])]
        assert seg["actual"].iloc[0] == 0.0 < seg["expected"].iloc[0]  # every win of the week is gone


def test_detect_reports_only_the_period_and_sorts_by_severity(demo_fits):
    panel, _ = demo_fits
    f = Filters(date(2024, 7, 1), date(2025, 6, 30))
    d = an.detect(panel, f, metric="won_revenue", sensitivity=2.5)
    assert len(d.anomalies) > 0
    assert d.anomalies["week_start"].between(date(2024, 7, 1), date(2025, 6, 30)).all()
    assert d.anomalies["score"].abs().is_monotonic_decreasing
    assert ((d.anomalies["actual"] < d.anomalies["lower"]) | (d.anomalies["actual"] > d.anomalies["upper"])).all()
    assert list(d.anomalies.columns) == an.ANOMALY_COLUMNS
    one = an.detect(panel, Filters(f.start, f.end, region_ids=("R03",)), metric="won_revenue", sensitivity=2.5)
    assert set(one.anomalies["unit"]) <= {"R03"}
    assert len(one.anomalies) == (d.anomalies["unit"] == "R03").sum()


def test_empty_store_gives_an_empty_result_with_a_note(empty_store):
    d = an.find_anomalies(empty_store, ALL, LEADER)
    assert d.anomalies.empty and d.scored_weeks == 0
    assert "No leads or deals" in d.notes[0].english()


def test_short_history_and_unknown_region_are_notes_not_errors(hand):
    short = Filters(date(2025, 1, 1), date(2025, 1, 20))
    d = an.find_anomalies(hand, short, LEADER, metric="conversion_rate")
    assert d.anomalies.empty and "too short" in d.notes[0].english()
    d = an.find_anomalies(hand, Filters(WINDOW.start, WINDOW.end, region_ids=("R9",)), LEADER)
    assert any("R9 has no leads or deals" in n.english() for n in d.notes)


def test_a_week_with_zero_conversions_raises_no_warning(hand):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for metric in an.METRICS:
            det = an.fit_detector(an.weekly_panel(hand, WINDOW, LEADER), metric, **PARAMS)
            row = det.result_[
                (det.result_["unit"] == "R1")
                & (det.result_["week_start"] == LAST)
                & (det.result_["series"] == "enterprise")
            ]
            if metric == "conversion_rate":
                assert row["actual"].iloc[0] == 0.0 and np.isfinite(row["z"].iloc[0])


def test_a_manager_sees_only_their_region(demo_store):
    scope = Scope(role="manager", user="m", region_ids=("R03",))
    panel = an.weekly_panel(demo_store, ALL, scope)
    assert set(panel["unit"]) == {"R03"}
    det = an.fit_detector(panel, "leads")
    assert det.result_["ref_factor"].dropna().eq(1.0).all()  # no other region to compare with


# -- CLI -------------------------------------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    from analytics.cli.common import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_cli_anomalies_csv_and_json(demo_db_path, demo_fits):
    code, out, _ = run_cli(
        "anomalies",
        "--db",
        str(demo_db_path),
        "--from",
        "2024-07-01",
        "--to",
        "2025-06-30",
        "--sensitivity",
        "2.5",
        "--format",
        "csv",
    )
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert list(df.columns[:9]) == [
        "region",
        "week_start",
        "metric",
        "actual",
        "expected",
        "lower",
        "upper",
        "score",
        "top_driver",
    ]
    panel, _ = demo_fits
    want = an.detect(panel, Filters(date(2024, 7, 1), date(2025, 6, 30)), sensitivity=2.5).anomalies
    assert df["region"].tolist() == want["unit"].tolist()
    np.testing.assert_allclose(df["score"], want["score"])
    code, out, _ = run_cli("anomalies", "--db", str(demo_db_path), "--metric", "conversion_rate", "--format", "json")
    assert code == 0 and isinstance(json.loads(out), list)


def test_cli_explain_json(demo_db_path, planted):
    d = planted["drops"][0]
    code, out, _ = run_cli(
        "explain", "--db", str(demo_db_path), "--region", d["region_id"], "--week", d["week_start"], "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["region"] == d["region_id"] and doc["week_start"] == d["week_start"]
    terms = pd.DataFrame(doc["decomposition"]["segment"])
    assert terms["contribution"].sum() == pytest.approx(doc["actual"] - doc["expected"])
    assert doc["summary"] and doc["behaviour"]


@pytest.mark.parametrize(
    "argv",
    [
        ("anomalies", "--metric", "profit"),
        ("anomalies", "--sensitivity", "0"),
        ("explain", "--region", "R99", "--week", "2025-03-03"),
        ("explain", "--region", "R01", "--week", "2031-01-06"),
        ("explain", "--region", "R01", "--week", "next monday"),
        ("explain", "--week", "2025-03-03"),
    ],
)
def test_cli_user_errors_are_sentences(demo_db_path, argv):
    code, _out, err = run_cli(argv[0], "--db", str(demo_db_path), *argv[1:])
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err


def test_cli_on_an_empty_store_prints_an_empty_table(tmp_path):
    path = tmp_path / "empty.duckdb"
    Store(path).close()
    code, out, err = run_cli("anomalies", "--db", str(path), "--format", "csv")
    assert code == 0 and out.strip().startswith("region,week_start") and len(out.strip().splitlines()) == 1
    assert "note:" in err
