"""simulate, scorecard and scenarios commands, run in-process like a user would run them."""

from __future__ import annotations

import io
import json
import re
import shutil

import pandas as pd
import pytest

from analytics import incentives, users
from analytics.access import Scope
from analytics.cli.common import main
from analytics.cli.incentives import CLI_SCORECARD_COLUMNS, CLI_SIMULATE_COLUMNS
from analytics.filters import Filters
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
    res = scorecard.scorecard(demo_store, Filters.for_quarter(QUARTER), Scope.leader())
    assert [r["rep_id"] for r in rows] == res.per_rep["rep_id"].tolist()
    assert set(rows[0]) == set(CLI_SCORECARD_COLUMNS)
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
    assert capsys.readouterr().out.strip() == ",".join(CLI_SIMULATE_COLUMNS)
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


# -- --lang zh: table headers in Chinese, csv headers in English ------------------------------
CJK = re.compile(r"[\u4e00-\u9fff]")


def _zh_table_header(argv: list[str], capsys) -> list[str]:
    """The words of the header line that ``--lang zh ... --format table`` prints."""
    assert main(["--lang", "zh", *argv, "--format", "table"]) == 0
    return capsys.readouterr().out.splitlines()[0].split()


def _zh_csv_header(argv: list[str], capsys) -> list[str]:
    assert main(["--lang", "zh", *argv, "--format", "csv"]) == 0
    return capsys.readouterr().out.splitlines()[0].split(",")


@pytest.fixture(scope="module")
def lab_db(tmp_path_factory, demo_db_path):
    """A copy of the demo store with two saved scenarios and an analyst account."""
    db = tmp_path_factory.mktemp("lab") / "lab.duckdb"
    shutil.copy(demo_db_path, db)
    with Store(db) as s:
        plans.save_scenario(s, "ref", plans.reference_plan(), "ann")
        plans.save_scenario(s, "retro", plans.load_plan(RETRO), "ann", quarter=QUARTER)
        users.add_account(s, "ana", "analyst password", "analyst")
    return str(db)


WEAKEST = [f"weakest_{k}{s}" for k in (1, 2, 3) for s in ("", "_score")]


@pytest.mark.parametrize(
    ("argv", "columns"),
    [
        (["simulate", "--quarter", QUARTER], list(CLI_SIMULATE_COLUMNS)),
        (
            ["simulate", "--quarter", QUARTER, "--plan", RETRO, "--baseline", REF],
            [*CLI_SIMULATE_COLUMNS[:-2], "budget_scaling", "total_pay", "grade", "baseline_total_pay", "delta"],
        ),
        (["simulate", "--quarter", QUARTER, "--trace", "S00001"], list(incentives.TRACE_COLUMNS)),
        (["--as", "ana", "simulate", "--quarter", QUARTER], list(incentives.TEAM_PAY_COLUMNS)),
        (["scorecard", "--quarter", QUARTER], list(CLI_SCORECARD_COLUMNS)),
        (
            ["scorecard", "--quarter", QUARTER, "--list", "improvement"],
            ["rep_id", "rep_name", "team_id", "region_id", "role", "grade", "total_score", *WEAKEST],
        ),
        (["scenarios", "list"], list(plans.SCENARIO_COLUMNS)),
        (["scenarios", "compare", "ref", "retro", "--quarter", QUARTER], ["figure", "a", "b", "delta"]),
        (
            ["scenarios", "compare", "ref", "retro", "--quarter", QUARTER, "--per-rep"],
            [
                "rep_id",
                "rep_name",
                "team_id",
                "role",
                "attainment",
                "total_pay_baseline",
                "total_pay_scenario",
                "delta",
                "delta_pct",
                *(f"d_{c}" for c in incentives.COMPONENTS),
                "grade_baseline",
                "grade_scenario",
                "reason",
            ],
        ),
    ],
    ids=[
        "simulate",
        "simulate-baseline",
        "trace",
        "simulate-aggregated",
        "scorecard",
        "improvement",
        "scenarios-list",
        "scenarios-compare",
        "scenarios-per-rep",
    ],
)
def test_tables_in_chinese_have_chinese_headers_and_csv_stays_english(lab_db, capsys, argv, columns):
    full = [*argv, "--db", lab_db]
    header = _zh_table_header(full, capsys)
    assert len(header) == len(columns), header
    assert all(CJK.search(w) for w in header), header
    assert _zh_csv_header(full, capsys) == columns


def test_messages_follow_the_output_language(lab_db, capsys):
    assert main(["--lang", "zh", "simulate", "--db", lab_db, "--quarter", QUARTER, "--trace", "NOBODY"]) == 2
    err = capsys.readouterr().err
    assert "NOBODY" in err and "没有激励" in err and "has no pay" not in err
    assert main(["--lang", "zh", "--as", "ana", "simulate", "--db", lab_db, "--quarter", QUARTER]) == 0
    assert "每个团队一行" in capsys.readouterr().err
    assert main(["--lang", "zh", "scenarios", "compare", "ref", "--db", lab_db]) == 2
    assert "请指定两个要比较的方案" in capsys.readouterr().err
