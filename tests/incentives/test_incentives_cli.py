"""simulate, scorecard and scenarios commands, run in-process like a user would run them."""

from __future__ import annotations

import io
import json
import shutil

import pandas as pd
import pytest

from analytics import incentives
from analytics.access import Scope
from analytics.cli.common import main
from analytics.incentives import plans, scorecard
from analytics.store import Store

QUARTER = "2025Q3"
REF = str(plans.REFERENCE_PLAN)
RETRO = str(plans.PLANS_DIR / "retroactive_capped.toml")


def test_simulate_csv_has_the_issue_columns_and_the_engine_values(demo_db_path, demo_store, capsys):
    assert main(["simulate", "--db", str(demo_db_path), "--plan", REF, "--quarter", QUARTER, "--format", "csv"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(out.columns) == [
        "rep_id",
        "team_id",
        "attainment",
        "base_bonus",
        "commission",
        "team_bonus",
        "innovation_bonus",
        "total_pay",
        "grade",
    ]
    sim = incentives.simulate(demo_store, plans.reference_plan(), QUARTER, Scope.leader()).per_rep
    assert out["rep_id"].tolist() == sim["rep_id"].tolist()
    assert out["total_pay"].to_numpy() == pytest.approx(sim["total_pay"].to_numpy())
    assert out["grade"].fillna("").tolist() == sim["grade"].fillna("").tolist()


def test_simulate_with_baseline_adds_the_delta(demo_db_path, capsys):
    argv = [
        "simulate",
        "--db",
        str(demo_db_path),
        "--plan",
        RETRO,
        "--baseline",
        REF,
        "--quarter",
        QUARTER,
        "--format",
        "json",
    ]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"baseline_total_pay", "delta", "budget_scaling"} <= set(rows[0])
    for r in rows:
        assert r["delta"] == pytest.approx(r["total_pay"] - r["baseline_total_pay"], abs=0.011)
        parts = r["base_bonus"] + r["commission"] + r["team_bonus"] + r["innovation_bonus"] + r["budget_scaling"]
        assert parts == pytest.approx(r["total_pay"], abs=1e-6)


def test_simulate_summary_trace_and_risk(demo_db_path, demo_store, capsys):
    db = str(demo_db_path)
    assert main(["simulate", "--db", db, "--quarter", QUARTER, "--summary"]) == 0
    summary = json.loads(capsys.readouterr().out)
    sim = incentives.simulate(demo_store, plans.reference_plan(), QUARTER, Scope.leader())
    assert summary["total_cost"] == pytest.approx(sim.summary.total_cost)
    assert summary["company_attainment"] == pytest.approx(sim.summary.company_attainment)
    rep = sim.per_rep["rep_id"].iloc[0]
    assert main(["simulate", "--db", db, "--quarter", QUARTER, "--trace", rep, "--format", "csv"]) == 0
    lines = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert lines["amount"].sum() == pytest.approx(sim.per_rep["total_pay"].iloc[0])
    assert main(["simulate", "--db", db, "--quarter", QUARTER, "--risk", "--draws", "200", "--seed", "3"]) == 0
    risk = json.loads(capsys.readouterr().out)
    expected = incentives.simulate_risk(demo_store, plans.reference_plan(), QUARTER, Scope.leader(), draws=200, seed=3)
    assert risk["p50_cost"] == pytest.approx(expected.p50) and risk["draws"] == 200


def test_scorecard_command_matches_the_analytics(demo_db_path, demo_store, capsys):
    assert main(["scorecard", "--db", str(demo_db_path), "--quarter", QUARTER, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    res = scorecard.scorecard(demo_store, QUARTER, Scope.leader())
    assert [r["rep_id"] for r in rows] == res.per_rep["rep_id"].tolist()
    assert set(rows[0]) == set(incentives.CLI_SCORECARD_COLUMNS)
    assert [r["total_score"] for r in rows] == pytest.approx(res.per_rep["total_score"].tolist())
    assert (
        main(["scorecard", "--db", str(demo_db_path), "--quarter", QUARTER, "--list", "promotion", "--format", "csv"])
        == 0
    )
    promo = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert promo["rep_id"].tolist() == res.promotion["rep_id"].tolist()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--quarter", "2025Q7"], "write it like 2025Q3"),
        (["--plan", "/nonexistent/plan.toml"], "does not exist"),
        (["--trace", "NOBODY"], "has no pay"),
    ],
)
def test_bad_input_is_a_sentence_with_exit_code_2(demo_db_path, capsys, extra, message):
    assert main(["simulate", "--db", str(demo_db_path), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_an_invalid_plan_names_the_field(demo_db_path, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(plans.REFERENCE_PLAN.read_text("utf-8").replace("rate = 0.018", "rate = -0.018"), "utf-8")
    assert main(["simulate", "--db", str(demo_db_path), "--plan", str(bad)]) == 2
    assert "Plan field commission.tiers[2].rate" in capsys.readouterr().err


def test_empty_store_gives_empty_but_valid_output(tmp_path, capsys):
    db = tmp_path / "empty.duckdb"
    Store(db).close()
    assert main(["simulate", "--db", str(db), "--quarter", QUARTER, "--format", "csv"]) == 0
    assert capsys.readouterr().out.strip() == ",".join(incentives.CLI_SIMULATE_COLUMNS)
    assert main(["scorecard", "--db", str(db), "--quarter", QUARTER, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_scenarios_save_list_compare(demo_db_path, tmp_path, capsys):
    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_db_path, db)
    d = str(db)
    assert main(["scenarios", "save", "--db", d, "--name", "ref", "--plan", REF, "--author", "ann"]) == 0
    assert json.loads(capsys.readouterr().out)["revision"] == 1
    assert main(["scenarios", "save", "--db", d, "--name", "retro", "--plan", RETRO, "--quarter", QUARTER]) == 0
    capsys.readouterr()
    assert main(["scenarios", "list", "--db", d, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(r["name"] for r in listed) == ["ref", "retro"]
    assert main(["scenarios", "compare", "ref", "retro@1", "--db", d, "--quarter", QUARTER, "--format", "json"]) == 0
    rows = {r["figure"]: r for r in json.loads(capsys.readouterr().out)}
    with Store(db, read_only=True) as s:
        a = incentives.simulate(s, plans.reference_plan(), QUARTER, Scope.leader()).summary
    assert rows["total_cost"]["a"] == pytest.approx(a.total_cost)
    assert rows["total_cost"]["delta"] == pytest.approx(rows["total_cost"]["b"] - rows["total_cost"]["a"])
    assert main(["scenarios", "compare", "ref", "--db", d]) == 2
    assert "Name two scenarios" in capsys.readouterr().err
    assert main(["scenarios", "compare", "ref", "nope", "--db", d]) == 2
    assert "no saved scenario" in capsys.readouterr().err
