"""Talk-track impact: hand counts on a tiny store, the estimator against a plain second
implementation, the planted demo effect, and the ``talk-tracks`` CLI."""

from __future__ import annotations

import io
import json
import math
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression

from analytics import talk_tracks as tt
from analytics.access import Scope
from analytics.cli.common import main
from analytics.filters import Filters
from ui.i18n import catalogue

LEADER = Scope.leader()
Q3 = Filters.for_quarter("2025Q3")
ALL = Filters(date(2024, 1, 1), date(2025, 12, 31))


@pytest.fixture
def hand(empty_store):
    """Two reps, six leads and a handful of calls: tag flags and rates countable by hand."""
    s = empty_store
    s.execute("INSERT INTO regions VALUES ('R1', 'East'), ('R2', 'West')")
    s.execute(
        "INSERT INTO teams VALUES ('T1', 'East A', 'R1', 'field', false, NULL),"
        " ('T2', 'West A', 'R2', 'field', false, NULL)"
    )
    s.execute(
        "INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', '2020-01-01', 10000, NULL),"
        " ('S2', 'Bo', 'T2', 'field', '2020-01-01', 12000, NULL)"
    )
    leads = [
        ("L1", "2025-07-01", "won", "2025-07-20", "S1", "R1"),
        ("L2", "2025-07-02", "lost", "2025-07-15", "S1", "R1"),
        ("L3", "2025-07-03", "won", "2025-08-10", "S2", "R2"),
        ("L4", "2025-09-20", "open", None, "S2", "R2"),
        ("L5", "2025-06-10", "lost", "2025-07-02", "S2", "R2"),  # created before Q3
        ("L6", "2025-08-01", "won", "2025-09-01", "S2", "R2"),
    ]
    for lid, created, status, closed, rep, region in leads:
        s.execute(
            "INSERT INTO leads VALUES (?, ?, 'website', ?, 'smb', ?, ?, ?, NULL, NULL)",
            [lid, created, region, rep, status, closed],
        )
    calls = [
        ("C1", "L1", "S1", "2025-07-05 10:00:00", ["a"]),
        ("C2", "L1", "S1", "2025-07-25 10:00:00", ["b", "c"]),  # after L1 closed: does not count
        ("C3", "L2", "S1", "2025-07-15 16:00:00", ["a", "b"]),  # on the close day: counts
        ("C4", "L4", "S2", "2025-09-21 10:00:00", ["a"]),  # open lead: excluded
        ("C5", "L6", "S2", "2025-08-02 10:00:00", []),
        ("C6", "L6", "S2", "2025-08-20 10:00:00", ["b"]),
    ]
    for cid, lid, rep, at, tags in calls:
        s.execute("INSERT INTO calls VALUES (?, ?, ?, ?, 300, ?, 50)", [cid, lid, rep, at, tags])
    s.execute(
        "INSERT INTO deals VALUES ('D1', 'L1', NULL, 'S1', '2025-07-20', 30000, 10000, 'new', 0),"
        " ('D3', 'L3', NULL, 'S2', '2025-08-10', 300000, 90000, 'new', 0)"
    )
    return s


def test_lead_table_flags_only_calls_up_to_the_close(hand):
    frame, tags, n_open = tt.lead_table(hand, Q3, LEADER)
    assert tags == ["a", "b"]  # 'c' was only used after L1 closed
    assert n_open == 1  # L4
    got = frame.set_index("lead_id")
    assert list(got.index) == ["L1", "L2", "L3", "L6"]
    assert got["t_0"].tolist() == [True, True, False, False]  # a
    assert got["t_1"].tolist() == [False, True, False, True]  # b: C2 came after the close
    assert got["converted"].tolist() == [True, False, True, True]
    assert got.loc["L1", "created_quarter"] == "2025Q3"
    # segment median new-deal amount = (30,000 + 300,000) / 2 = 165,000: between 50,000 and 200,000
    assert set(got["deal_size_band"]) == {"medium"}


def test_raw_rates_and_the_sample_guard_by_hand(hand):
    res = tt.impact(hand, Q3, LEADER)
    e = res.effects.set_index("tag")
    assert list(res.effects.columns) == list(tt.EFFECT_COLUMNS)
    assert (e.loc["a", "n_treated"], e.loc["a", "n_control"]) == (2, 2)
    assert e.loc["a", "raw_rate_treated"] == pytest.approx(0.5) and e.loc["a", "raw_rate_control"] == pytest.approx(1.0)
    assert e.loc["a", "raw_lift"] == pytest.approx(-0.5) and e.loc["a", "raw_diff"] == pytest.approx(-0.5)
    assert e.loc["b", "raw_rate_treated"] == pytest.approx(0.5)
    # Wilson interval of 1/2 (textbook formula)
    z, n, p = norm.ppf(0.975), 2, 0.5
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert e.loc["a", "raw_rate_treated_lo"] == pytest.approx(centre - half)
    assert e.loc["a", "raw_rate_treated_hi"] == pytest.approx(centre + half)
    # fewer than 100 leads on each side: hidden, with the reason, and no adjusted numbers
    assert not e["reported"].any()
    assert "only 2 leads used it" in e.loc["a", "reason"]
    assert math.isnan(e.loc["a", "adj_lift"]) and math.isnan(e.loc["a", "q_value"])
    assert res.findings[0].params["used_n"] == 2 and "not reported" in res.findings[0].english()


def test_too_few_reps_is_a_reason_too(hand):
    res = tt.impact(hand, Q3, LEADER, min_group=1)
    e = res.effects.set_index("tag")
    assert not e["reported"].any()
    assert e.loc["a", "reason"].startswith("the leads come from only 2 reps")


def test_scope_and_filters_restrict_the_leads(hand):
    frame, tags, n_open = tt.lead_table(hand, Q3, Scope(role="rep", rep_id="S1"))
    assert frame["lead_id"].tolist() == ["L1", "L2"] and n_open == 0 and tags == ["a", "b"]
    frame, _, _ = tt.lead_table(hand, Filters.for_quarter("2025Q3", region_ids=("R2",)), LEADER)
    assert frame["lead_id"].tolist() == ["L3", "L6"]
    frame, tags, _ = tt.lead_table(hand, Q3, Scope(role="nobody"))
    assert frame.empty and tags == []


@pytest.mark.parametrize(
    "filters, scope",
    [
        (Filters.for_quarter("2023Q1"), LEADER),  # no leads at all
        (Q3, Scope(role="unknown-role")),  # scope sees nothing
    ],
)
def test_empty_selection_gives_a_message_not_an_error(hand, filters, scope):
    res = tt.impact(hand, filters, scope)
    assert res.message is not None and "No closed leads" in res.message.english()
    assert res.effects.empty and list(res.effects.columns) == list(tt.EFFECT_COLUMNS)
    assert res.findings == () and res.n_leads == 0


def test_leads_without_any_tag_give_a_message(hand):
    res = tt.impact(hand, Filters.for_quarter("2025Q3", region_ids=("R2",)), Scope(role="rep", rep_id="S2"))
    assert res.message is None  # L6 has tag b
    hand.execute("DELETE FROM calls")
    res = tt.impact(hand, Q3, LEADER)
    assert res.message is not None and res.message.params == {"leads_n": 4}


# -- the estimator ---------------------------------------------------------------------


def simulate(seed: int, reps: int = 30, per_rep: int = 100, lift: float = 0.2):
    """Leads of reps whose skill drives both the treatment and conversion (a known lift)."""
    rng = np.random.default_rng(seed)
    skill = rng.standard_normal(reps)
    rep = np.repeat(np.arange(reps), per_rep)
    n = len(rep)
    seg = (rng.random(n) < 0.4).astype(int)
    src = rng.choice(3, n, p=[0.3, 0.4, 0.3])
    e = 1 / (1 + np.exp(-(-0.3 + 0.8 * skill[rep] + 0.6 * (seg == 0))))
    t = rng.random(n) < e
    p0 = np.array([0.12, 0.06])[seg] * np.array([0.8, 1.0, 1.5])[src] * np.exp(0.35 * skill[rep] - 0.35**2 / 2)
    y = rng.random(n) < p0 * np.where(t, 1 + lift, 1.0)
    frame = pd.DataFrame({"seg": seg, "src": src, "rep": rep})
    return frame, t, y, rep


def plain_aipw(
    frame: pd.DataFrame, t: np.ndarray, y: np.ndarray, folds: int, seed: int
) -> tuple[float, float, np.ndarray]:
    """A second, unoptimised AIPW: one-hot by pandas, sklearn fits on individual rows, same folds."""
    x = pd.get_dummies(frame.astype(str)).to_numpy(dtype=float)
    fold = np.random.default_rng(seed).permutation(len(t)) % folds
    e, m1, m0 = np.empty(len(t)), np.empty(len(t)), np.empty(len(t))
    for k in range(folds):
        tr, te = fold != k, fold == k
        fit = lambda rows, target: LogisticRegression(C=1.0, max_iter=10_000, tol=1e-10).fit(x[rows], target)  # noqa: E731
        e[te] = fit(tr, t[tr]).predict_proba(x[te])[:, 1]
        m1[te] = fit(tr & t, y[tr & t]).predict_proba(x[te])[:, 1]
        m0[te] = fit(tr & ~t, y[tr & ~t]).predict_proba(x[te])[:, 1]
    psi1 = m1 + t * (y - m1) / e
    psi0 = m0 + (~t) * (y - m0) / (1 - e)
    return float(psi1.mean()), float(psi0.mean()), psi1 - psi0


def test_grouped_cross_fitted_aipw_equals_a_plain_implementation():
    frame, t, y, rep = simulate(3)
    x, labels = tt.one_hot(frame, ("seg", "src", "rep"))
    assert x.shape == (3000, 2 + 3 + 30) and labels[0] == ("seg", "0")
    est = tt.aipw(x, t, y, rep, trim=0.0, seed=5)
    mu1, mu0, phi = plain_aipw(frame, t, y, tt.N_FOLDS, 5)
    assert est.mu1 == pytest.approx(mu1, abs=1e-5) and est.mu0 == pytest.approx(mu0, abs=1e-5)
    assert est.lift == pytest.approx(mu1 / mu0 - 1, abs=1e-4)
    # the rep-clustered bootstrap SE agrees with the cluster-robust influence-function SE
    centred = phi - phi.mean()
    se_if = math.sqrt(sum(centred[rep == r].sum() ** 2 for r in range(30))) / len(phi)
    assert est.diff_se == pytest.approx(se_if, rel=0.15)
    assert est.diff_lo == pytest.approx(est.diff - norm.ppf(0.975) * est.diff_se)
    assert est.p_value == pytest.approx(2 * norm.sf(abs(est.diff) / est.diff_se))


def test_trimming_drops_leads_outside_the_bounds():
    frame, t, y, rep = simulate(4)
    x, _ = tt.one_hot(frame, ("seg", "src", "rep"))
    est = tt.aipw(x, t, y, rep, trim=0.3)
    outside = (est.propensity < 0.3) | (est.propensity > 0.7)
    assert est.n_trimmed == int(outside.sum()) > 0
    assert (est.kept == ~outside).all() and est.n_used == len(t) - est.n_trimmed


def test_standardised_difference_by_hand():
    v = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    t = np.array([True, True, True, False, False])
    # means 2 and 15; population variances 2/3 and 25
    assert tt.standardised_difference(v, t) == pytest.approx((2 - 15) / math.sqrt((2 / 3 + 25) / 2))
    w = np.array([1.0, 1.0, 2.0, 1.0, 3.0])  # weighted means 2.25 and 17.5
    assert tt.standardised_difference(v, t, w, scale=2.0) == pytest.approx((2.25 - 17.5) / 2)


# -- the demo store: planted truth -------------------------------------------------------


@pytest.fixture(scope="module")
def demo_impact(demo_store):
    return tt.impact(demo_store, ALL, LEADER)


def test_planted_effect_is_inside_the_adjusted_interval_and_raw_is_inflated(demo_impact, planted):
    truth = planted["talk_track"]["relative_lift"]
    e = demo_impact.effects.set_index("tag")
    row = e.loc[planted["talk_track"]["tag"]]
    assert row["reported"] and row["adj_lift_lo"] <= truth <= row["adj_lift_hi"]
    assert row["q_value"] < 0.05 and row["adj_diff_lo"] > 0
    # the raw comparison is biased upwards (stronger reps, easier segments) and lies far above the interval
    assert row["raw_lift"] > row["adj_lift_hi"] + 0.15 and row["raw_lift"] > 2 * truth
    # absolute effect = lift x adjusted control rate
    assert row["adj_diff"] == pytest.approx(row["adj_rate_treated"] - row["adj_rate_control"])
    assert row["adj_lift"] == pytest.approx(row["adj_rate_treated"] / row["adj_rate_control"] - 1)


def test_planted_null_tags_are_not_significant_after_correction(demo_impact, planted):
    e = demo_impact.effects.set_index("tag")
    for tag in planted["talk_track"]["null_tags"]:
        assert e.loc[tag, "reported"] and e.loc[tag, "q_value"] >= 0.05, tag
    # price_anchor is confounded by rep skill: the raw lift looks real, the adjusted one does not
    assert e.loc["price_anchor", "raw_lift"] > 0.05 and e.loc["price_anchor", "adj_lift_lo"] < 0


def test_a_large_selection_is_analysed_on_a_repeatable_random_sample(demo_store, demo_impact, planted):
    """Above ``max_leads`` closed leads the analysis runs on a hash sample of about that many:
    the same leads every run, each with its own flags unchanged, the treated share as in the
    whole selection, and the planted lift still inside the adjusted interval."""
    n_closed = tt.closed_leads(demo_store, ALL, LEADER)
    assert n_closed == demo_impact.n_leads == demo_impact.n_closed and not demo_impact.sampled
    half = tt.impact(demo_store, ALL, LEADER, max_leads=n_closed // 2, n_boot=200)
    assert half.sampled and half.n_closed == n_closed
    sd = math.sqrt(n_closed * 0.25)  # binomial(n, 1/2)
    assert abs(half.n_leads - n_closed / 2) < 4 * sd
    again = tt.impact(demo_store, ALL, LEADER, max_leads=n_closed // 2, n_boot=200)
    pd.testing.assert_frame_equal(half.effects, again.effects)
    # the sampled leads carry the same flags as in the whole table, and are about as often treated
    full, tags, n_open = tt.lead_table(demo_store, ALL, LEADER)
    part, tags_part, n_open_part = tt.lead_table(demo_store, ALL, LEADER, sample_share=(n_closed // 2) / n_closed)
    assert tags_part == tags and n_open_part == n_open and len(part) == half.n_leads
    merged = part.merge(full, on="lead_id", suffixes=("", "_full"), validate="one_to_one")
    assert len(merged) == len(part)
    for i in range(len(tags)):
        assert (merged[f"t_{i}"] == merged[f"t_{i}_full"]).all()
        p_full, p_part = full[f"t_{i}"].mean(), part[f"t_{i}"].mean()
        assert abs(p_part - p_full) < 4 * math.sqrt(p_full * (1 - p_full) / len(part))
    truth = planted["talk_track"]["relative_lift"]
    row = half.effects.set_index("tag").loc[planted["talk_track"]["tag"]]
    assert row["reported"] and row["adj_lift_lo"] <= truth <= row["adj_lift_hi"]
    note = tt.sample_note(half)
    assert note.params == {"closed_n": n_closed, "leads_n": half.n_leads, "share_pct": half.n_leads / n_closed}
    assert half.open_share == pytest.approx(n_open / (n_open + n_closed))
    with pytest.raises(ValueError, match="max_leads -5"):
        tt.impact(demo_store, ALL, LEADER, max_leads=-5)


def test_q_values_are_benjamini_hochberg_of_the_p_values(demo_impact):
    p = demo_impact.effects["p_value"].to_numpy()
    order = np.argsort(p)
    m = len(p)
    q_sorted = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1)
    assert demo_impact.effects["q_value"].to_numpy() == pytest.approx(q)


def test_weighting_balances_the_covariates(demo_impact):
    b = demo_impact.balance[demo_impact.balance["tag"] == "product_scenario"].set_index(["covariate", "level"])
    assert b.loc[("segment", "smb"), "smd_before"] > 0.1  # scenario is used more on SMB leads
    assert b.loc[("rep_skill_proxy", ""), "smd_before"] > 0.3  # ... and by stronger reps
    assert b["smd_after"].abs().max() < 0.05
    ov = demo_impact.overlap[demo_impact.overlap["tag"] == "product_scenario"]
    e = demo_impact.effects.set_index("tag").loc["product_scenario"]
    assert ov.loc[ov["group"] == "treated", "leads"].sum() == e["n_treated"]
    assert ov.loc[ov["group"] == "control", "leads"].sum() == e["n_control"]


def test_headline_reports_adjusted_and_raw(demo_impact):
    i = demo_impact.effects["tag"].tolist().index("product_scenario")
    finding = demo_impact.findings[i]
    e = demo_impact.effects.iloc[i]
    assert finding.template.startswith("Using '{tag}' raises conversion by")
    assert finding.params["lift_pct"] == pytest.approx(e["adj_lift"])
    assert finding.params["raw_signed"] == pytest.approx(e["raw_lift"])
    assert f"{e['adj_lift']:.1%}" in finding.english() and f"{e['raw_lift']:+.1%}" in finding.english()


def analytics_templates() -> list[str]:
    """Finding templates (first argument of Finding(...), or assigned to ``template``) and metric labels."""
    import ast

    from analytics.talk_tracks import drivers, effects, estimator, leads, statements

    found = [
        tt.ADJUSTED_FOR,
        *(m[2] for m in drivers.DRIVER_METRICS.values()),
        *(m[1] for m in drivers.RESULT_METRICS.values()),
    ]
    for module in (effects, statements, estimator, leads, drivers):
        for node in ast.walk(ast.parse(open(module.__file__, encoding="utf-8").read())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "Finding"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value
            ):
                found.append(node.args[0].value)
            if (
                isinstance(node, ast.Assign)
                and any(getattr(x, "id", "") == "template" for x in node.targets)
                and isinstance(node.value, ast.Constant)
            ):
                found.append(node.value.value)
    return found


def test_every_analytics_template_has_a_chinese_translation():
    import re

    zh = catalogue("zh")
    templates = analytics_templates()
    assert len(templates) >= 25 and any(t.startswith("Using '{tag}' raises") for t in templates)
    for msgid in templates:
        assert msgid in zh, msgid
        assert set(re.findall(r"{(\w+)}", msgid)) == set(re.findall(r"{(\w+)}", zh[msgid])), msgid


# -- CLI ---------------------------------------------------------------------------------


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


SPEC_COLUMNS = [
    "tag",
    "n_treated",
    "n_control",
    "raw_rate_treated",
    "raw_rate_control",
    "adj_diff",
    "adj_diff_lo",
    "adj_diff_hi",
    "adj_lift",
    "adj_lift_lo",
    "adj_lift_hi",
    "q_value",
    "reported",
]


def test_cli_talk_tracks_csv_and_json(demo_db_path, demo_store, capsys):
    code, out, _ = run_cli(
        capsys,
        "talk-tracks",
        "--db",
        str(demo_db_path),
        "--from",
        "2024-01-01",
        "--to",
        "2025-12-31",
        "--format",
        "csv",
    )
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert list(df.columns[: len(SPEC_COLUMNS)]) == SPEC_COLUMNS
    ref = tt.impact(demo_store, ALL, LEADER).effects
    assert df["n_treated"].tolist() == ref["n_treated"].tolist()
    assert df["adj_lift"].to_numpy() == pytest.approx(ref["adj_lift"].to_numpy())
    code, out, _ = run_cli(
        capsys,
        "talk-tracks",
        "--db",
        str(demo_db_path),
        "--quarter",
        "2025Q2",
        "--format",
        "json",
        "--table",
        "findings",
    )
    rows = json.loads(out)
    assert code == 0 and {r["tag"] for r in rows} >= {"product_scenario", "price_anchor"}
    assert all(r["statement"] for r in rows)


def test_cli_too_few_leads_is_valid_output_with_reasons(demo_db_path, capsys):
    code, out, err = run_cli(
        capsys,
        "talk-tracks",
        "--db",
        str(demo_db_path),
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-03",
        "--region",
        "R12",
        "--format",
        "json",
    )
    rows = json.loads(out)
    assert code == 0 and rows and not any(r["reported"] for r in rows)
    assert all("at least 100 are needed" in r["reason"] for r in rows)
    code, out, err = run_cli(capsys, "talk-tracks", "--db", str(demo_db_path), "--region", "R99", "--format", "csv")
    assert code == 0 and out.startswith("tag,n_treated,") and "note: No closed leads" in err


def test_cli_says_when_it_analysed_a_sample(demo_db_path, demo_store, capsys):
    n_closed = tt.closed_leads(demo_store, Filters.for_quarter("2025Q2"), LEADER)
    code, _, err = run_cli(
        capsys, "talk-tracks", "--db", str(demo_db_path), "--quarter", "2025Q2", "--max-leads", str(n_closed // 3)
    )
    assert code == 0 and f"note: The selection has {n_closed:,} closed leads;" in err and "random sample" in err
    code, _, err = run_cli(capsys, "talk-tracks", "--db", str(demo_db_path), "--quarter", "2025Q2", "--max-leads", "0")
    assert code == 0 and "random sample" not in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--trim", "0.7"], "--trim 0.7 must be"),
        (["--boot", "3"], "--boot at least 10"),
        (["--max-leads", "-1"], "--max-leads -1 must be 0"),
        (["--from", "2025-13-01"], "is not a date"),
    ],
)
def test_cli_rejects_bad_options(demo_db_path, capsys, args, message):
    code, _, err = run_cli(capsys, "talk-tracks", "--db", str(demo_db_path), *args)
    assert code == 2 and err.startswith("error:") and message in err


CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize("table", ["effects", "balance", "overlap", "findings"])
def test_cli_table_headers_are_chinese_with_lang_zh(demo_db_path, capsys, table):
    args = ["talk-tracks", "--db", str(demo_db_path), "--quarter", "2025Q2", "--boot", "10", "--table", table]
    code, out, _ = run_cli(capsys, "--lang", "zh", *args, "--format", "table")
    header = out.splitlines()[0].split()
    assert code == 0 and header and all(CJK.search(word) for word in header), header
    code, out, _ = run_cli(capsys, "--lang", "zh", *args, "--format", "csv")
    frame = pd.read_csv(io.StringIO(out))
    assert code == 0 and all(c.isascii() for c in frame.columns)
    if table == "effects":
        assert list(frame.columns) == list(tt.EFFECT_COLUMNS)
    if table == "findings":
        # the statements follow --lang, the adjusted-for phrase included; tags stay identifiers
        assert list(frame.columns) == ["tag", "statement"]
        assert all(CJK.search(s) for s in frame["statement"])
        assert any(
            "来源、客户细分、区域、季度、金额档位和销售" in s and "product_scenario" in s for s in frame["statement"]
        )
