"""Plan files: the reference plan's values, validation sentences, TOML round trips, saved scenarios."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from analytics.incentives import plans
from analytics.incentives.plans import PlanError, Tier, load_plan, reference_plan


def test_reference_plan_encodes_the_product_brief():
    p = reference_plan()
    assert p.deal_types == ("new", "renewal", "upsell")
    assert (p.base_bonus.threshold, p.base_bonus.salary_share) == (0.80, 0.10)
    assert p.commission.mode == "marginal"
    assert p.commission.tiers == (Tier(0.0, 0.012), Tier(1.2, 0.018))
    assert p.commission.cap_amount is None and p.commission.cap_attainment is None
    assert p.innovation.excess_profit_share == 0.10
    assert (p.team.equal_share, p.team.collaboration_top_share, p.team.collaboration_uplift) == (0.70, 0.20, 0.05)
    assert (p.budget.release_attainment, p.budget.release_share, p.budget.over_budget) == (1.50, 0.10, "flag")
    assert p.scorecard.default.metric_weights("results")["renewal_rate"] == 0.10
    tele = p.scorecard.weights_for("telesales")
    assert tele.metric_weights("behaviour")["call_efficiency"] > 0 and tele.metric_weights("results")["close_rate"] > 0
    ka = p.scorecard.weights_for("key_account").metric_weights("results")
    assert ka["clv_proxy"] > 0 and ka["strategic_project_score"] > 0
    assert p.accelerator_start == 1.2


def test_retention_focus_raises_renewal_weight_to_30_percent():
    p = load_plan(plans.PLANS_DIR / "retention_focus.toml")
    for role in ("field", "telesales", "key_account"):
        assert p.scorecard.weights_for(role).metric_weights("results")["renewal_rate"] == pytest.approx(0.30)


@pytest.mark.parametrize("name", sorted(plans.bundled_plans()))
def test_bundled_plans_round_trip_through_toml(name):
    p = load_plan(plans.bundled_plans()[name])
    text = plans.to_toml(p)
    assert load_plan(text) == p
    assert plans.plan_hash(load_plan(text)) == plans.plan_hash(p)


def test_hash_changes_with_any_parameter():
    p = reference_plan()
    q = replace(p, base_bonus=replace(p.base_bonus, threshold=0.81))
    assert plans.plan_hash(p) != plans.plan_hash(q) and len(plans.plan_hash(p)) == 12


MINIMAL = """
[plan]
name = "t"
[[commission.tiers]]
from = 0.0
rate = 0.01
"""


def test_a_plan_without_scorecard_weights_uses_the_reference_scorecard():
    p = load_plan(MINIMAL)
    assert p.scorecard == reference_plan().scorecard
    assert p.commission.tiers == (Tier(0.0, 0.01),)
    assert math.isnan(p.accelerator_start)


def _ref_text() -> str:
    return plans.REFERENCE_PLAN.read_text("utf-8")


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        (
            "attainment = 0.5\nclose_rate = 0.2",
            "attainment = 0.6\nclose_rate = 0.2",
            "scorecard.metrics.results",
            "sum to 1.1",
        ),
        ("rate = 0.018", "rate = -0.018", "commission.tiers[2].rate", "negative"),
        ("from = 1.20 ", "from = 0.0  ", "commission.tiers[2].from", "tier breaks must increase"),
        (
            "renewal_rate = 0.1\n\n[scorecard.metrics.behaviour]",
            "renewal_rte = 0.1\n\n[scorecard.metrics.behaviour]",
            "scorecard.metrics.results.renewal_rte",
            "not a known metric",
        ),
        (
            "needs_discovery = 0.35",
            "mentoring_hours = 0.35",
            "scorecard.metrics.behaviour.mentoring_hours",
            "collaboration metric",
        ),
        (
            "results = 0.5\nbehaviour = 0.3\ncollaboration = 0.2\n\n[scorecard.metrics.results]",
            "results = 0.5\nbehaviour = 0.3\ncollaboration = 0.3\n\n[scorecard.metrics.results]",
            "scorecard.dimensions",
            "sum to 1.1",
        ),
        ('mode = "marginal"', 'mode = "stepped"', "commission.mode", "marginal or retroactive"),
        ('over_budget = "flag"', 'over_budget = "cap"', "budget.over_budget", "flag or scale"),
        ("salary_share = 0.10", "salary_shar = 0.10", "base_bonus.salary_shar", "not a field of [base_bonus]"),
        (
            "base_share_of_target = 0.030",
            "base_share_of_target = 0.030\nbase_amount = 1000.0",
            "budget",
            "exactly one of",
        ),
        ('"A+" = 80.0\nA = 65.0', '"A+" = 60.0\nA = 65.0', 'scorecard.thresholds."A"', "must be below"),
        ('"A+" = 0.05\nA = 0.20', '"A+" = 0.10\nA = 0.20', "scorecard.forced", "sum to 1.05"),
        ("threshold = 0.80 ", 'threshold = "80%"', "base_bonus.threshold", "must be a number"),
        ("equal_share = 0.70", "equal_share = 1.70", "team.equal_share", "at most 1"),
        ("[innovation]", "[innovations]\n[innovation]", "innovations", "not a plan section"),
    ],
)
def test_invalid_plans_are_refused_with_a_sentence_naming_the_field(old, new, field, words):
    text = _ref_text()
    assert old in text, old
    with pytest.raises(PlanError) as err:
        load_plan(text.replace(old, new, 1))
    msg = str(err.value)
    assert msg.startswith(f"Plan field {field}:"), msg
    assert words in msg and msg.endswith(".")


def test_programmatic_changes_are_validated_too():
    p = reference_plan()
    with pytest.raises(PlanError, match=r"commission.tiers\[2\].from"):
        replace(p, commission=replace(p.commission, tiers=(Tier(0.0, 0.01), Tier(0.0, 0.02))))
    with pytest.raises(PlanError, match=r"plan\.name"):
        replace(p, name=" ")


def test_bad_toml_and_missing_files_are_sentences(tmp_path):
    with pytest.raises(PlanError, match="not valid TOML"):
        load_plan("[plan\nname = 1\n")
    with pytest.raises(PlanError, match="does not exist"):
        load_plan(str(tmp_path / "nope.toml"))


def test_rescale_weights_keeps_the_sum_and_the_proportions():
    pairs = (("a", 0.5), ("b", 0.2), ("c", 0.2), ("r", 0.1))
    out = dict(plans.rescale_weights(pairs, "r", 0.3))
    assert out["r"] == 0.3 and sum(out.values()) == pytest.approx(1.0)
    assert out["a"] == pytest.approx(0.5 * 0.7 / 0.9) and out["b"] == pytest.approx(0.2 * 0.7 / 0.9)
    assert dict(plans.rescale_weights((("a", 0.0), ("b", 0.0), ("r", 1.0)), "r", 0.4)) == pytest.approx(
        {"a": 0.3, "b": 0.3, "r": 0.4}
    )
    with pytest.raises(PlanError):
        plans.rescale_weights(pairs, "r", 1.5)


def test_with_metric_weight_changes_every_role_or_one():
    p = reference_plan()
    q = plans.with_metric_weight(p, "renewal_rate", 0.3)
    for role in ("field", "telesales", "key_account"):
        w = q.scorecard.weights_for(role).metric_weights("results")
        assert w["renewal_rate"] == pytest.approx(0.3) and sum(w.values()) == pytest.approx(1.0)
    only = plans.with_metric_weight(p, "renewal_rate", 0.3, role="telesales")
    assert only.scorecard.weights_for("telesales").metric_weights("results")["renewal_rate"] == pytest.approx(0.3)
    assert only.scorecard.weights_for("field").metric_weights("results")["renewal_rate"] == pytest.approx(0.1)
    d = plans.with_dimension_weight(p, "collaboration", 0.4).scorecard.default.dimension_weights()
    assert d["collaboration"] == 0.4 and d["results"] == pytest.approx(0.5 * 0.6 / 0.8)


def test_scenarios_are_saved_as_revisions_and_read_back(empty_store):
    p = reference_plan()
    q = plans.with_metric_weight(p, "renewal_rate", 0.3)
    assert plans.save_scenario(empty_store, " retention ", p, "ann", quarter="2025Q3") == 1
    assert plans.save_scenario(empty_store, "retention", q, "bo", note="30%") == 2
    listed = plans.list_scenarios(empty_store)
    assert list(listed.columns) == list(plans.SCENARIO_COLUMNS)
    assert sorted(listed["revision"]) == [1, 2] and set(listed["author"]) == {"ann", "bo"}
    assert set(listed["plan_hash"]) == {plans.plan_hash(p), plans.plan_hash(q)}
    assert plans.load_scenario(empty_store, "retention") == q
    assert plans.load_scenario(empty_store, "retention", 1) == p
    assert plans.parse_scenario_ref("retention@1") == ("retention", 1)
    assert plans.parse_scenario_ref("a@b") == ("a@b", None)
    with pytest.raises(PlanError, match="no saved scenario"):
        plans.load_scenario(empty_store, "nope")
    with pytest.raises(PlanError, match="name"):
        plans.save_scenario(empty_store, "  ", p, "ann")
