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


@pytest.mark.parametrize(("lang", "header"), [("en", "Amount (USD)"), ("zh", "金额（USD）")])
def test_statement_amount_header_names_the_configured_currency(demo_store, monkeypatch, lang, header):
    monkeypatch.setattr("ui.i18n.DEFAULT_LANG", lang)
    monkeypatch.setenv("LAB_CURRENCY", "USD")
    result = incentives.simulate(demo_store, plans.load_plan("data/plans/reference.toml"), "2025Q3", Scope.leader())
    shown = incentives_charts.localised_statement(incentives.statement(result, list(result.per_rep["rep_id"][:1])))
    assert header in shown.columns


def test_statement_language_is_an_argument(demo_store, monkeypatch):
    """Download files are built on a thread without the session: the language is passed in, not read."""
    monkeypatch.setattr("ui.i18n.DEFAULT_LANG", "en")
    result = incentives.simulate(demo_store, plans.load_plan("data/plans/reference.toml"), "2025Q3", Scope.leader())
    rep = result.per_rep.loc[result.per_rep["base_bonus"] > 0, "rep_id"].iloc[0]
    shown = incentives_charts.localised_statement(incentives.statement(result, [rep]), lang="zh")
    assert "金额（元）" in shown.columns and "基础奖金" in set(shown["规则"])
