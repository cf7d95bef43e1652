"""Plan validation errors and bundled plan names in Chinese (analytics.plans_i18n)."""

from __future__ import annotations

import ast
import re
from dataclasses import replace

import pytest

from analytics.i18n import catalogue
from analytics.incentives import plans
from analytics.incentives.plan_messages import (
    BUNDLED_PLAN_NAMES,
    FIELD_PROBLEMS,
    PLAN_ERRORS,
    all_msgids,
    plan_name,
    translate_plan_error,
)
from tests.conftest import ROOT

_PLACEHOLDER = re.compile(r"{(\w+)}")


def plan_error(fn) -> str:
    with pytest.raises(plans.PlanError) as info:
        fn()
    return str(info.value)


@pytest.mark.parametrize("msgid", all_msgids())
def test_every_template_has_chinese_with_the_same_placeholders(msgid):
    zh = catalogue("zh").get(msgid)
    assert isinstance(zh, str) and zh != msgid, msgid
    assert set(_PLACEHOLDER.findall(zh)) == set(_PLACEHOLDER.findall(msgid)), (msgid, zh)


@pytest.mark.parametrize("msgid", [*PLAN_ERRORS.msgids, *FIELD_PROBLEMS.msgids])
def test_every_template_round_trips_with_sample_values(msgid):
    sample = {n: f"v{i}" for i, n in enumerate(dict.fromkeys(_PLACEHOLDER.findall(msgid)))}
    group = PLAN_ERRORS if msgid in PLAN_ERRORS.msgids else FIELD_PROBLEMS
    english = msgid.format(**sample)
    assert group.match(english) == (msgid, sample)
    assert group.translate(english, "zh") == catalogue("zh")[msgid].format(**sample)


def test_a_field_error_is_translated_in_two_steps():
    ref = plans.reference_plan()
    tiers = (plans.Tier(0.0, 0.01), plans.Tier(0.0, 0.02))
    message = plan_error(lambda: plans.validate(replace(ref, commission=replace(ref.commission, tiers=tiers))))
    assert message == (
        "Plan field commission.tiers[2].from: tier breaks must increase, but 0 follows 0; order the tiers by their "
        "'from' attainment."
    )
    assert translate_plan_error(message, "zh") == (
        "方案字段 commission.tiers[2].from：档位起点必须递增，但 0 排在 0 之后；请按 'from' 达成率对档位排序。"
    )
    assert translate_plan_error(message, "en") == message


def test_real_errors_are_recognised_and_translated():
    ref = plans.reference_plan()
    messages = [
        plan_error(lambda: plans.load_plan("[plan]\nname = 1\n")),
        plan_error(lambda: plans.load_plan("[budget]\nover_budget = 'ignore'\nbase_amount = 1\n")),
        plan_error(lambda: plans.load_plan("[nonsense]\nx = 1\n")),
        plan_error(lambda: plans.load_plan("[base_bonus]\nthreshold = -1\n")),
        plan_error(lambda: plans.load_plan("[plan\n")),
        plan_error(lambda: plans.rescale_weights((("a", 0.5), ("b", 0.5)), "a", 2.0)),
        plan_error(lambda: plans.with_metric_weight(ref, "nonsense", 0.5)),
    ]
    for message in messages:
        zh = translate_plan_error(message, "zh")
        found = PLAN_ERRORS.match(message)
        assert found is not None, message
        rest = zh
        for value in found[1].values():  # values are data (a TOML parser's own message included)
            rest = rest.replace(value, " ")
        assert zh != message and not re.search(r"\b(must|is not|the|give|use)\b", rest), (message, zh)


def test_every_sentence_fragment_of_plans_is_in_a_template():
    """The literal text of every PlanError in analytics/incentives/plans/ appears in a template."""
    known = [*PLAN_ERRORS.msgids, *FIELD_PROBLEMS.msgids]
    fragments = {}
    trees = [
        ast.parse(path.read_text("utf-8"))
        for path in sorted((ROOT / "analytics" / "incentives" / "plans").glob("*.py"))
    ]
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("PlanError", "_fail"):
            args = node.args[1:] if node.func.id == "_fail" else node.args
            for arg in args:
                for part in ast.walk(arg):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str) and len(part.value.strip()) > 3:
                        fragments.setdefault(part.value, node.lineno)
    assert len(fragments) > 40
    sentences = {f: line for f, line in fragments.items() if " " in f.strip()}  # not path parts (".metrics.")
    missing = {f: line for f, line in sentences.items() if not any(f in m for m in known)}
    assert not missing, missing


def test_bundled_plan_names_are_the_shipped_plans_and_translated():
    assert sorted(plans.load_plan(p).name for p in plans.bundled_plans().values()) == sorted(BUNDLED_PLAN_NAMES)
    assert plan_name("Reference plan", "zh") == "参考方案"
    assert plan_name("My own plan", "zh") == "My own plan"  # a saved scenario's name is data


def test_plan_choices_label_bundled_plans_in_the_language(empty_store):
    zh = plans.plan_choices(empty_store, lang="zh")
    assert zh["file:reference"] == "参考方案"
    assert plans.plan_choices(empty_store)["file:reference"] == "Reference plan"
