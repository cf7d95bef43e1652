"""The general CLI commands, run in-process like a user would run them."""

from __future__ import annotations

import json

import pytest

from analytics import overview
from analytics.access import Scope
from analytics.cli.common import main
from analytics.filters import Filters


def test_demo_builds_a_store_and_refuses_to_overwrite(tmp_path, capsys):
    db = tmp_path / "d.duckdb"
    assert main(["demo", "--db", str(db), "--leads", "3000", "--seed", "5", "--quiet"]) == 0
    assert "leads 3,000" in capsys.readouterr().out
    assert main(["demo", "--db", str(db), "--leads", "3000"]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert main(["info", "--db", str(db)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["tables"]["leads"] == 3000 and info["info"]["demo_seed"] == "5"


def test_overview_json_matches_the_analytics(demo_db_path, demo_store, capsys):
    assert (
        main(["overview", "--db", str(demo_db_path), "--quarter", "2025Q2", "--region", "R01", "--format", "json"]) == 0
    )
    rows = {r["metric"]: r for r in json.loads(capsys.readouterr().out)}
    k = overview.kpis(demo_store, Filters.for_quarter("2025Q2", region_ids=("R01",)), Scope.leader())
    assert rows["leads"]["value"] == k.current.leads
    assert rows["won_revenue"]["value"] == pytest.approx(k.current.won_revenue)
    assert rows["attainment"]["previous"] == pytest.approx(k.previous.attainment)


def test_overview_weekly_csv_has_stable_headers(demo_db_path, capsys):
    assert main(["overview", "--db", str(demo_db_path), "--quarter", "2025Q3", "--weekly", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == (
        "week_start,leads,closed,won,conversion_rate,conversion_lo,conversion_hi,won_revenue,"
        "cum_won_revenue,target_pace,band_lo,band_hi"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["overview", "--db", "/nonexistent/x.duckdb"], "does not exist"),
        (["overview", "--quarter", "2025Q9"], "write it like 2025Q3"),
        (["overview", "--from", "2025-13-01"], "is not a date"),
        (["overview", "--from", "2025-07-01", "--to", "2025-06-01"], "after the end date"),
    ],
)
def test_bad_input_is_a_sentence_with_exit_code_2(demo_db_path, capsys, argv, message):
    if "--db" not in argv:
        argv = [*argv, "--db", str(demo_db_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_empty_selection_gives_an_empty_but_valid_result(demo_db_path, capsys):
    assert (
        main(["overview", "--db", str(demo_db_path), "--quarter", "2025Q3", "--region", "NOPE", "--format", "json"])
        == 0
    )
    rows = {r["metric"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["leads"]["value"] == 0 and rows["conversion_rate"]["value"] is None
