"""Access control through the CLI: every role x every analysis command (``--as USER``)."""

from __future__ import annotations

import shutil

import pytest

from analytics import users
from analytics.cli.common import main
from analytics.incentives import plans
from analytics.store import Store

#: command -> (the command words, its options)
COMMANDS = {
    "overview": (["overview"], ["--quarter", "2025Q3", "--format", "csv"]),
    "simulate": (["simulate"], ["--plan", "data/plans/reference.toml", "--quarter", "2025Q3", "--format", "csv"]),
    "scorecard": (["scorecard"], ["--quarter", "2025Q3", "--format", "csv"]),
    "drivers": (["drivers"], ["--quarter", "2025Q3", "--table", "reps", "--format", "csv"]),
    "attribution": (["attribution", "sources"], ["--format", "csv"]),
    "anomalies": (["anomalies"], ["--format", "csv"]),
    "talk-tracks": (["talk-tracks"], ["--boot", "30", "--format", "csv"]),
    "pilot": (
        ["pilot"],
        ["--teams", "T002,T006", "--start", "2025Q2", "--metric", "collaboration_score", "--format", "json"],
    ),
}


@pytest.fixture(scope="module")
def secured(tmp_path_factory, demo_db_path):
    db = tmp_path_factory.mktemp("climatrix") / "c.duckdb"
    shutil.copy(demo_db_path, db)
    with Store(db) as s:
        reps = s.query("SELECT rep_id, rep_name, region_id FROM v_reps")
        rep = reps[reps["region_id"] == "R02"].sort_values("rep_id").iloc[2]
        users.add_account(s, "lead", "leader password", "leader")
        users.add_account(s, "west", "manager password", "manager", region_ids=["R02"])
        users.add_account(s, "rep1", "rep password", "rep", rep_id=rep["rep_id"])
        users.add_account(s, "gone", "gone password", "rep", rep_id=rep["rep_id"])
        s.control.execute("UPDATE users SET disabled = 1 WHERE username = 'gone'")
    allowed = {
        "lead": set(reps["rep_id"]),
        "west": set(reps.loc[reps["region_id"] == "R02", "rep_id"]),
        "rep1": {rep["rep_id"]},
        "gone": set(),
        "stranger": set(),
    }
    return db, reps, allowed


@pytest.mark.parametrize("user", ["lead", "west", "rep1", "gone", "stranger"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_cli_output_stays_in_scope(secured, capsys, user, command):
    db, reps, allowed = secured
    words, options = COMMANDS[command]
    assert main(["--as", user, *words, "--db", str(db), *options]) in (0, 2)
    out = capsys.readouterr().out
    outside = reps[~reps["rep_id"].isin(allowed[user])]
    leaked = [r.rep_id for r in outside.itertuples() if r.rep_id in out or r.rep_name in out]
    assert not leaked, f"{user} / {command} leaks {leaked[:5]}"


def test_the_cli_leak_check_can_see_reps(secured, capsys):
    db, reps, _ = secured
    assert (
        main(
            [
                "simulate",
                "--db",
                str(db),
                "--plan",
                "data/plans/reference.toml",
                "--quarter",
                "2025Q3",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert sum(r in out for r in reps["rep_id"]) > 50


def test_unknown_user_sees_no_pay_lines(secured, capsys):
    db, _, _ = secured
    assert main(
        [
            "--as",
            "stranger",
            "simulate",
            "--db",
            str(db),
            "--plan",
            "data/plans/reference.toml",
            "--quarter",
            "2025Q3",
            "--format",
            "csv",
        ]
    ) in (0, 2)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    assert len(lines) <= 1  # at most a header


@pytest.fixture(scope="module")
def with_analyst(secured):
    db, reps, _ = secured
    with Store(db) as s:
        if users.get_account(s, "ana") is None:
            users.add_account(s, "ana", "analyst password", "analyst")
            plans.save_scenario(s, "ref", plans.reference_plan(), "lead")
    return db, reps


PAY_OUTPUTS = {
    "simulate csv": ["simulate", "--quarter", "2025Q3", "--format", "csv"],
    "simulate json": ["simulate", "--quarter", "2025Q3", "--format", "json"],
    "simulate table": ["simulate", "--quarter", "2025Q3"],
    "simulate baseline": ["simulate", "--quarter", "2025Q3", "--baseline", "data/plans/reference.toml"],
    "trace": ["simulate", "--quarter", "2025Q3", "--trace", "S00001", "--format", "csv"],
    "scenarios per rep": ["scenarios", "compare", "ref", "ref", "--quarter", "2025Q3", "--per-rep"],
}


@pytest.mark.parametrize("output", list(PAY_OUTPUTS))
def test_analyst_never_sees_one_reps_pay_over_the_cli(with_analyst, capsys, output):
    """docs/security.md: an analyst sees pay aggregated, never one person's pay line."""
    db, reps = with_analyst
    words = PAY_OUTPUTS[output]
    code = main(["--as", "ana", words[0], "--db", str(db), *words[1:]])
    captured = capsys.readouterr()
    named = [r.rep_id for r in reps.itertuples() if r.rep_id in captured.out or r.rep_name in captured.out]
    assert not named, f"analyst sees individual pay of {named[:5]} through {output}"
    if output in ("trace", "scenarios per rep", "simulate baseline"):
        assert code == 2 and "aggregated only" in captured.err
    else:
        assert code == 0 and "aggregated only" in captured.err
        assert "team_id" in captured.out or "T0" in captured.out  # one row per team instead
