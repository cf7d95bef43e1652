"""Payout statements export in the chosen language; machine identifiers stay in the CLI."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from analytics import incentives
from analytics.access import Scope
from analytics.incentives import plans
from ui import incentives_charts


@pytest.mark.parametrize(
    ("lang", "rule", "header"), [("en", "Base bonus", "Amount (CNY)"), ("zh", "基础奖金", "金额（元）")]
)
def test_statement_export_is_localised(demo_store, monkeypatch, lang, rule, header):
    monkeypatch.setattr("ui.i18n.DEFAULT_LANG", lang)
    result = incentives.simulate(demo_store, plans.load_plan("data/plans/reference.toml"), "2025Q3", Scope.leader())
    rep = result.per_rep.loc[result.per_rep["base_bonus"] > 0, "rep_id"].iloc[0]
    raw = incentives.statement(result, [rep])
    shown = incentives_charts.localised_statement(raw)
    assert header in shown.columns and len(shown) == len(raw)
    assert rule in set(shown.iloc[:, list(raw.columns).index("rule")])
    back = pd.read_csv(io.BytesIO(incentives.to_csv_bytes(shown)), encoding="utf-8-sig")
    assert list(back.columns) == list(shown.columns)
    assert back.iloc[:, list(raw.columns).index("amount")].sum() == pytest.approx(raw["amount"].sum())
