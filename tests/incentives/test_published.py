"""Published quarter results: frozen, read-only, scoped, compared with live data, in every output.

A copy of the demo store is published for 2025Q3 under the reference plan with the whole team
pool split equally (so one rep's won amount moves nobody else's pay), then a writer raises one
won deal of one rep ("X") by 1,000 CNY, chosen by plain SQL so that no other rep of X's role
lies between X's old and new won amount or attainment (percentile ranks, hence every score,
stay the same) and X stays inside one commission tier. Expected: the published file is
byte-identical and read-only, the frozen numbers equal those computed before the change, and
the differences are exactly X, whose pay rises by the tier's rate x 1,000.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import stat

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics import access, incentives, runs, snapshots, users
from analytics.access import AccessDenied, Scope
from analytics.cli import main
from analytics.filters import Filters
from analytics.incentives import plans, published, scorecard
from analytics.store import Store
from tests.apptest import TIMEOUT_S
from tests.conftest import ROOT

QUARTER = "2025Q3"
Q_START, Q_END = "2025-07-01", "2025-09-30"
DELTA = 1000.0
IDENTITIES = ("lead", "east", "teams", "ana", "rep1", "stranger")
FORMATS = ("csv", "json", "table")
LEAD = Scope.leader("lead")


def equal_split_plan() -> plans.Plan:
    """The reference plan with the team pool split equally (no share by won amount)."""
    ref = plans.reference_plan()
    return dataclasses.replace(ref, team=dataclasses.replace(ref.team, equal_share=1.0))


def sql(db, query: str, params: list[object]) -> pd.DataFrame:
    with Store(db, read_only=True) as s:
        return s.query(query, params)


def pick_rep(db) -> tuple[str, str]:
    """A rep and one of their won deals whose +DELTA keeps every rank and the commission tier (plain SQL)."""
    reps = sql(
        db,
        """SELECT r.rep_id, r.role, t.target_amount::DOUBLE AS target,
                  coalesce((SELECT sum(amount) FROM deals AS d WHERE d.rep_id = r.rep_id
                            AND d.signed_at BETWEEN ? AND ?), 0)::DOUBLE AS gmv
           FROM reps AS r JOIN targets AS t ON t.rep_id = r.rep_id AND t.quarter = ? WHERE t.target_amount > 0""",
        [Q_START, Q_END, QUARTER],
    )
    reps["att"] = reps["gmv"] / reps["target"]
    for row in reps.sort_values("rep_id").itertuples():
        new_att = (row.gmv + DELTA) / row.target
        peers = reps[(reps["role"] == row.role) & (reps["rep_id"] != row.rep_id)]
        between = ((peers["gmv"] >= row.gmv) & (peers["gmv"] <= row.gmv + DELTA)).any() or (
            (peers["att"] >= row.att) & (peers["att"] <= new_att)
        ).any()
        tier_kept = all((row.att < b) == (new_att < b) for b in (0.8, 1.2))
        if row.gmv > 0 and not between and tier_kept and row.att > 0.85:
            deal = sql(
                db,
                "SELECT min(deal_id) AS d FROM deals WHERE rep_id = ? AND signed_at BETWEEN ? AND ?",
                [row.rep_id, Q_START, Q_END],
            )["d"].iloc[0]
            return row.rep_id, deal
    raise AssertionError("no rep qualifies")


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory, demo_db_path):
    """The published copy before and after the change, with one account per identity."""
    db = tmp_path_factory.mktemp("published") / "pub.duckdb"
    shutil.copy(demo_db_path, db)
    x, deal = pick_rep(db)
    with Store(db) as s:
        reps = s.query("SELECT r.rep_id, r.team_id, t.region_id FROM reps AS r JOIN teams AS t USING (team_id)")
        users.add_account(s, "lead", "leader password", "leader")
        users.add_account(s, "east", "manager password", "manager", region_ids=["R01"])
        users.add_account(s, "teams", "manager password", "manager", team_ids=["T002", "T007"])
        users.add_account(s, "ana", "analyst password", "analyst")
        users.add_account(s, "rep1", "rep password", "rep", rep_id=x)
    plan = equal_split_plan()
    plan_file = db.parent / "equal.toml"
    plan_file.write_text(plans.to_toml(plan), encoding="utf-8")
    with Store(db, read_only=True) as s:
        before_card = scorecard.scorecard(s, Filters.for_quarter(QUARTER), LEAD, plan=plan)
        before_pay = incentives.simulate(s, plan, QUARTER, LEAD)
        won_x = s.scalar(
            "SELECT sum(amount)::DOUBLE FROM deals WHERE rep_id = ? AND signed_at BETWEEN ? AND ?", [x, Q_START, Q_END]
        )
        first = published.publish(s, QUARTER, plan, by=LEAD, note="quarter close")
        file = published.file_of(s, first.publication)
    digest = sha(file)
    with Store(db) as w:
        w.execute("UPDATE deals SET amount = amount + ? WHERE deal_id = ?", [DELTA, deal])
    every = set(reps["rep_id"])
    scope = {
        "lead": every,
        "east": set(reps.loc[reps["region_id"] == "R01", "rep_id"]),
        "teams": set(reps.loc[reps["team_id"].isin(["T002", "T007"]), "rep_id"]),
        "ana": every,
        "rep1": {x},
        "stranger": set(),
    }
    return {
        "db": db,
        "x": x,
        "team_x": reps.set_index("rep_id").loc[x, "team_id"],
        "won_x": won_x,
        "plan": plan,
        "plan_file": plan_file,
        "card": before_card,
        "pay": before_pay,
        "first": first.publication,
        "file": file,
        "digest": digest,
        "scope": scope,
    }


def scope_of(db, name: str) -> Scope:
    with Store(db, read_only=True) as s:
        account = users.get_account(s, name)
    return account.scope() if account else access.NOBODY


# -- the frozen file ------------------------------------------------------------------------------
def test_the_published_file_is_read_only_and_unchanged_by_the_change(world):
    mode = world["file"].stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert sha(world["file"]) == world["digest"]
    assert world["file"].name == f"{QUARTER}-1.duckdb"
    assert world["file"].parent == world["db"].parent / "pub.duckdb.d" / "published"
    row = sql(world["db"], "SELECT 1", []).shape  # the store still opens
    assert row == (1, 1)


def test_the_control_row_says_who_what_and_on_which_data(world):
    with Store(world["db"], read_only=True) as s:
        rows = published.list_published(s, quarter=QUARTER)
        first = rows[rows["publish_id"] == world["first"].publish_id].iloc[0]
        assert first["published_by"] == "lead" and first["note"] == "quarter close"
        assert first["plan_hash"] == plans.plan_hash(world["plan"])
        assert first["file"] == f"published/{QUARTER}-1.duckdb"
        assert first["data_version"] == s.version - 1  # the writer published one version since


def test_frozen_numbers_equal_those_computed_before_the_change(world):
    with Store(world["db"], read_only=True) as s:
        frozen = published.load_published(s, world["first"].publish_id, LEAD)
        live_won = s.scalar(
            "SELECT sum(amount)::DOUBLE FROM deals WHERE rep_id = ? AND signed_at BETWEEN ? AND ?",
            [world["x"], Q_START, Q_END],
        )
    assert live_won == pytest.approx(world["won_x"] + DELTA)
    pay = frozen.pay_lines().set_index("rep_id")
    want = world["pay"].per_rep.set_index("rep_id")
    assert list(pay.index) == list(want.index)
    for col in ("won_amount", "attainment", *incentives.COMPONENTS, "total_pay"):
        assert pay[col].to_numpy() == pytest.approx(want[col].to_numpy(), abs=1e-9), col
    assert (pay["grade"].fillna("") == want["grade"].fillna("")).all()
    assert pay.loc[world["x"], "won_amount"] == pytest.approx(world["won_x"])  # plain SQL before the change
    card = frozen.scorecard.per_rep.set_index("rep_id").sort_index()
    want_card = world["card"].per_rep.set_index("rep_id").sort_index()
    assert card["total_score"].to_numpy() == pytest.approx(want_card["total_score"].to_numpy())
    assert (card["grade"] == want_card["grade"]).all()
    assert len(frozen.scorecard.metrics) == len(world["card"].metrics)
    assert len(frozen.scorecard.improvement) == len(world["card"].improvement)
    lines = frozen.statement()
    sums = lines.groupby("rep_id")["amount"].sum().round(2)
    assert sums.to_numpy() == pytest.approx(pay.loc[sums.index, "total_pay"].to_numpy(), abs=0.005)
    assert frozen.plan == world["plan"]


def test_differences_are_exactly_the_changed_rep(world):
    with Store(world["db"], read_only=True) as s:
        diff = published.differences(s, world["first"].publish_id, LEAD)
    assert list(diff.reps["rep_id"]) == [world["x"]]
    row = diff.reps.iloc[0]
    before = world["pay"].per_rep.set_index("rep_id").loc[world["x"]]
    rate = 0.018 if before["attainment"] >= 1.2 else 0.012
    assert row["status"] == "changed"
    assert row["pay_before"] == pytest.approx(before["total_pay"])
    assert row["pay_delta"] == pytest.approx(rate * DELTA, abs=0.02)
    assert row["pay_after"] == pytest.approx(before["total_pay"] + rate * DELTA, abs=0.02)
    assert row["score_before"] == row["score_after"] and row["grade_before"] == row["grade_after"]
    assert diff.counts["reps_changed"] == 1 and diff.counts["pay_changed"] == 1
    assert diff.counts["score_changed"] == 0 and diff.counts["grade_changed"] == 0
    assert list(diff.teams["team_id"]) == [world["team_x"]]


# -- access ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("user", IDENTITIES)
def test_every_role_sees_its_scope_of_the_publication(world, user):
    db, scope = world["db"], world["scope"]
    viewer = scope_of(db, user)
    graded = set(world["card"].per_rep["rep_id"])
    in_plan = set(world["pay"].per_rep["rep_id"])
    with Store(db, read_only=True) as s:
        frozen = published.load_published(s, world["first"].publish_id, viewer)
        diff = published.differences(s, world["first"].publish_id, viewer)
        if user != "lead":
            with pytest.raises(AccessDenied):
                published.publish(s, QUARTER, world["plan"], by=viewer)
    assert set(frozen.scorecard.per_rep["rep_id"]) == graded & scope[user]
    team_totals = world["pay"].per_rep[world["pay"].per_rep["rep_id"].isin(scope[user])]
    assert frozen.total_pay() == pytest.approx(team_totals["total_pay"].sum(), abs=0.01)
    if user in ("ana", "stranger"):
        for door in (frozen.pay_lines, frozen.statement):
            with pytest.raises(AccessDenied):
                door()
        assert "pay_before" not in diff.reps.columns and diff.reps.empty
        if user == "ana":
            by_team = frozen.pay_by_team().set_index("team_id")["total_pay"]
            want = world["pay"].per_rep.groupby("team_id")["total_pay"].sum()
            assert by_team.to_numpy() == pytest.approx(want.loc[by_team.index].to_numpy(), abs=0.01)
            assert list(diff.teams["team_id"]) == [world["team_x"]]
        return
    assert set(frozen.pay_lines()["rep_id"]) == in_plan & scope[user]
    assert set(frozen.statement()["rep_id"]) == in_plan & scope[user]
    assert set(diff.reps["rep_id"]) == {world["x"]} & scope[user]


# -- the CLI --------------------------------------------------------------------------------------
def cli(capsys, db, user: str | None, *words: str) -> tuple[int, str, str]:
    code = main([*(["--as", user] if user else []), *words, "--db", str(db)])
    out = capsys.readouterr()
    return code, out.out, out.err


def rows(text: str, fmt: str) -> list[dict]:
    if fmt == "csv":
        return pd.read_csv(io.StringIO(text)).to_dict("records") if text.strip() else []
    if fmt == "json":
        return json.loads(text)
    raise ValueError(fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("user", IDENTITIES)
def test_cli_diff_follows_scope_in_every_format(world, capsys, user, fmt):
    db, x = world["db"], world["x"]
    pid = str(world["first"].publish_id)
    code, out, err = cli(capsys, db, user, "published", "diff", "--id", pid, "--format", fmt)
    if user == "stranger":
        assert code == 2 and not out and err.startswith("error:")
        return
    assert code == 0, err
    want = {x} & world["scope"][user] if user != "ana" else set()
    if fmt == "table":
        assert (x in out) == bool(want)
        assert ("Pay change" in out) == (user != "ana" and bool(want))
        return
    got = rows(out, fmt)
    assert {r["rep_id"] for r in got} == want
    if user == "ana":
        assert "pay delta" not in err and "per team" in err
        code, out, err = cli(capsys, db, user, "published", "diff", "--id", pid, "--by", "team", "--format", fmt)
        assert code == 0 and [r["team_id"] for r in rows(out, fmt)] == [world["team_x"]]
        assert not any(c.startswith("S0") for c in out.split(","))


@pytest.mark.parametrize("user", IDENTITIES)
def test_cli_published_statement_holds_the_frozen_lines_of_the_scope(world, capsys, tmp_path, user):
    db = world["db"]
    pid = str(world["first"].publish_id)
    code, out, err = cli(capsys, db, user, "statements", "--quarter", QUARTER, "--published", pid)
    if user in ("ana", "stranger"):
        assert code == 2 and not out and err.startswith("error:")
        return
    assert code == 0, err
    lines = pd.read_csv(io.StringIO(out))
    in_plan = set(world["pay"].per_rep["rep_id"])
    assert set(lines["rep_id"]) == in_plan & world["scope"][user]
    want = world["pay"].per_rep.set_index("rep_id")["total_pay"]
    sums = lines.groupby("rep_id")["amount"].sum()
    assert sums.to_numpy() == pytest.approx(want.loc[sums.index].to_numpy(), abs=0.01)  # before the change
    xlsx = tmp_path / "s.xlsx"
    assert cli(capsys, db, user, "statements", "--published", pid, "--quarter", QUARTER, "--out", str(xlsx))[0] == 0
    assert set(pd.read_excel(xlsx)["rep_id"]) == in_plan & world["scope"][user]


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_list_and_scorecard_published_in_every_format(world, capsys, fmt):
    db = world["db"]
    code, out, err = cli(capsys, db, "east", "published", "list", "--quarter", QUARTER, "--format", fmt)
    assert code == 0, err
    if fmt != "table":
        assert world["first"].publish_id in {int(r["publish_id"]) for r in rows(out, fmt)}
    else:
        assert "quarter close" in out
    pid = str(world["first"].publish_id)
    code, out, err = cli(capsys, db, "east", "scorecard", "--quarter", QUARTER, "--published", pid, "--format", fmt)
    assert code == 0, err
    graded = set(world["card"].per_rep["rep_id"]) & world["scope"]["east"]
    if fmt != "table":
        assert {r["rep_id"] for r in rows(out, fmt)} == graded


@pytest.mark.parametrize("user", ("east", "ana", "rep1", "stranger"))
def test_only_a_leader_publishes(world, capsys, user):
    code, out, err = cli(capsys, world["db"], user, "publish", "--quarter", QUARTER)
    assert code == 2 and not out and err.startswith("error:")


def test_publishing_again_keeps_the_first(world, capsys):
    db = world["db"]
    code, out, err = cli(
        capsys, db, "lead", "publish", "--quarter", QUARTER, "--plan", str(world["plan_file"]), "--format", "json"
    )
    assert code == 0, err
    second = json.loads(out)[0]
    assert second["publish_id"] > world["first"].publish_id and second["file"] != world["first"].file
    assert sha(world["file"]) == world["digest"]
    with Store(db, read_only=True) as s:
        assert published.latest(s, QUARTER).publish_id == second["publish_id"]
        old = published.load_published(s, world["first"].publish_id, LEAD).pay_lines().set_index("rep_id")
        new = published.load_published(s, QUARTER, LEAD).pay_lines().set_index("rep_id")
        assert published.differences(s, QUARTER, LEAD).reps.empty  # the newest equals live data
        log = runs.recent_runs(s.control)
    x = world["x"]
    assert new.loc[x, "total_pay"] - old.loc[x, "total_pay"] == pytest.approx(
        (0.018 if old.loc[x, "attainment"] >= 1.2 else 0.012) * DELTA, abs=0.02
    )
    assert ((log["kind"] == "publish") & (log["status"] == "ok")).any()
    files = sorted(p.name for p in world["file"].parent.glob(f"{QUARTER}-*.duckdb"))
    assert len(files) >= 2 and f"{QUARTER}-1.duckdb" in files


def test_publications_at_once_never_share_a_file(tmp_path, demo_db_path):
    db = tmp_path / "race.duckdb"
    shutil.copy(demo_db_path, db)
    with Store(db, read_only=True) as s:
        folder = snapshots.layout(db).published
        folder.mkdir(parents=True)
        (folder / f"{QUARTER}-1.duckdb").write_bytes(b"taken")  # another process got there first
        pub = published.publish(s, QUARTER, plans.reference_plan(), by=LEAD)
    assert pub.publication.file == f"published/{QUARTER}-2.duckdb"
    assert (folder / f"{QUARTER}-1.duckdb").read_bytes() == b"taken"


def test_a_store_in_memory_publishes_into_a_given_folder(tmp_path, demo_db_path):
    from analytics import demo

    with Store(":memory:") as s:
        demo.generate(s, seed=3, n_leads=3000)
        with pytest.raises(published.PublishError):
            published.publish(s, QUARTER, plans.reference_plan(), by=LEAD)
        pub = published.publish(s, QUARTER, plans.reference_plan(), by=LEAD, folder=tmp_path)
        assert os.path.dirname(pub.publication.file) == str(tmp_path)
        again = published.load_published(s, QUARTER, LEAD)
        assert again.total_pay() == pytest.approx(pub.total_pay())


# -- the pages ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def page_db(tmp_path_factory, demo_db_path):
    """A copy without accounts (the local leader), published and then changed like ``world``."""
    db = tmp_path_factory.mktemp("published_pages") / "pages.duckdb"
    shutil.copy(demo_db_path, db)
    _, deal = pick_rep(db)
    with Store(db, read_only=True) as s:
        published.publish(s, QUARTER, equal_split_plan(), by=LEAD, note="quarter close")
    with Store(db) as w:
        w.execute("UPDATE deals SET amount = amount + ? WHERE deal_id = ?", [DELTA, deal])
    return db


def open_page(db, page: str) -> AppTest:
    os.environ["LAB_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    at.query_params["quarter"] = QUARTER
    at.run()
    at.switch_page(page)
    at.session_state["f_quarter"] = QUARTER
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_scorecard_shows_the_publication_and_its_numbers(page_db):
    with Store(page_db, read_only=True) as s:
        frozen = published.load_published(s, QUARTER, LEAD)
        live = scorecard.scorecard(s, Filters.for_quarter(QUARTER), LEAD, plan=plans.reference_plan())
    at = open_page(page_db, "views/scorecard.py")
    assert any(i.value.startswith("Published on") and "by lead" in i.value for i in at.info)
    assert any(e.label.startswith("Differences between published and live data (1 reps)") for e in at.expander)
    at.radio(key="scorecard_published_mode").set_value("published").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = next(df.value for df in at.dataframe if "Rank in role" in df.value.columns)
    want = frozen.scorecard.per_rep
    assert list(shown["Rep"]) == list(want["rep_name"])
    assert shown["Total score"].to_numpy() == pytest.approx(want["total_score"].to_numpy())
    assert len(want) == len(live.per_rep)


def test_the_incentive_lab_shows_the_published_pay(page_db):
    with Store(page_db, read_only=True) as s:
        frozen = published.load_published(s, QUARTER, LEAD).pay_lines()
        live = incentives.simulate(s, published.load_published(s, QUARTER, LEAD).plan, QUARTER, LEAD).per_rep
    assert live["total_pay"].sum() - frozen["total_pay"].sum() >= 0.012 * DELTA - 0.02
    at = open_page(page_db, "views/incentive_lab.py")
    at.radio(key="incentives_published_mode").set_value("published").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = next(df.value for df in at.dataframe if "Innovation pool" in df.value.columns)
    assert len(shown) == len(frozen)
    assert shown["Total pay"].sum() == pytest.approx(frozen["total_pay"].sum(), abs=0.01)


def test_a_leader_publishes_from_the_scorecard(tmp_path, demo_db_path):
    db = tmp_path / "button.duckdb"
    shutil.copy(demo_db_path, db)
    at = open_page(db, "views/scorecard.py")
    assert at.button(key="scorecard_publish").disabled  # not before the confirmation
    at.checkbox(key="scorecard_publish_sure").check().run()
    at.button(key="scorecard_publish").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with Store(db, read_only=True) as s:
        rows = published.list_published(s, quarter=QUARTER)
        assert len(rows) == 1 and runs.recent_runs(s.control)["kind"].iloc[0] == "publish"
    assert any(m.value.startswith(f"Published {QUARTER} as publication") for m in at.success)
    assert any(i.value.startswith("Published on") for i in at.info)
