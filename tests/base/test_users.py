"""Local accounts, scopes, login and the access log (below and through the UI)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from analytics import users
from analytics.access import Scope
from analytics.cli.common import main
from analytics.store import Store
from tests.apptest import open_page
from tests.conftest import ROOT


@pytest.fixture
def org(empty_store):
    s = empty_store
    s.execute("INSERT INTO regions VALUES ('R1', 'East'), ('R2', 'West')")
    s.execute("INSERT INTO teams VALUES ('T1', 'East A', 'R1', 'field', false, NULL)")
    s.execute("INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', '2020-01-01', 10000, NULL)")
    return s


def test_add_verify_and_scope(org):
    users.add_account(org, "ann", "correct horse", "rep", rep_id="S1")
    users.add_account(org, "boss", "battery staple", "manager", region_ids=["R1"])
    assert users.verify_login(org, "ann", "correct horse").scope() == Scope(role="rep", user="ann", rep_id="S1")
    assert users.verify_login(org, "ann", "wrong password") is None
    assert users.verify_login(org, "nobody", "correct horse") is None
    assert users.get_account(org, "boss").scope().region_ids == ("R1",)
    hashes = org.control.query("SELECT password_hash FROM users")["password_hash"]
    assert all(h.startswith("$argon2id$") and "correct" not in h for h in hashes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "rep"}, "needs --rep"),
        ({"role": "rep", "rep_id": "S9"}, "not in the reps table"),
        ({"role": "manager"}, "needs --regions"),
        ({"role": "manager", "region_ids": ["R9"]}, "Unknown region or team: R9"),
        ({"role": "owner"}, "Role 'owner' is unknown"),
    ],
)
def test_bad_accounts_are_refused_with_a_sentence(org, kwargs, message):
    role = kwargs.pop("role")
    with pytest.raises(users.AccountError, match=message):
        users.add_account(org, "x", "long enough pw", role, **kwargs)
    assert users.count_accounts(org) == 0


def test_disabled_or_unmapped_accounts_see_nothing(org):
    users.add_account(org, "ann", "correct horse", "rep", rep_id="S1")
    org.control.execute("UPDATE users SET disabled = 1")
    assert users.verify_login(org, "ann", "correct horse") is None
    assert users.get_account(org, "ann").scope().clause("rep_id") == ("FALSE", [])
    assert users.NOBODY.clause("rep_id") == ("FALSE", [])


def test_cli_users_and_access_log(tmp_path, monkeypatch, capsys):
    db = tmp_path / "u.duckdb"
    with Store(db) as s:
        s.execute("INSERT INTO regions VALUES ('R1', 'East')")
        s.execute("INSERT INTO teams VALUES ('T1', 'East A', 'R1', 'field', false, NULL)")
        s.execute("INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', '2020-01-01', 10000, NULL)")
    monkeypatch.setenv("LAB_PASSWORD", "correct horse")
    assert main(["users", "add", "ann", "--db", str(db), "--role", "rep", "--rep", "S1"]) == 0
    assert main(["users", "set-scope", "ann", "--db", str(db), "--role", "manager", "--regions", "R1"]) == 0
    assert main(["users", "list", "--db", str(db), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "ann,manager,,R1,,False" in out and "argon2" not in out
    assert main(["users", "add", "ann", "--db", str(db), "--role", "leader"]) == 2
    assert "already exists" in capsys.readouterr().err
    with Store(db) as s:
        users.log_access(s, Scope(role="manager", user="ann"), "export", "statements", "2025Q3 csv")
    assert main(["access-log", "--db", str(db), "--format", "csv"]) == 0
    assert "ann,manager,export,statements,2025Q3 csv" in capsys.readouterr().out
    assert main(["users", "remove", "ann", "--db", str(db)]) == 0


#: Column identifiers of ``users list`` and ``access-log`` (the schema of 004_access.sql).
USERS_COLUMNS = "username,role,rep_id,region_ids,team_ids,disabled,created_at"
ACCESS_LOG_COLUMNS = "logged_at,username,role,action,object,detail"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def accounts_db(tmp_path, monkeypatch):
    """A store file with one manager account and one access-log line."""
    db = tmp_path / "u.duckdb"
    with Store(db) as s:
        s.execute("INSERT INTO regions VALUES ('R1', 'East')")
        s.execute("INSERT INTO teams VALUES ('T1', 'East A', 'R1', 'field', false, NULL)")
        users.add_account(s, "ann", "correct horse", "manager", region_ids=["R1"])
        users.log_access(s, Scope(role="manager", user="ann"), "export", "statements", "2025Q3 csv")
    return db


@pytest.mark.parametrize(
    ("command", "columns"),
    [(["users", "list"], USERS_COLUMNS), (["access-log"], ACCESS_LOG_COLUMNS)],
    ids=["users-list", "access-log"],
)
def test_cli_tables_in_chinese_have_chinese_headers_and_csv_stays_english(accounts_db, capsys, command, columns):
    assert main(["--lang", "zh", *command, "--db", str(accounts_db), "--format", "table"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    words = header.split()
    assert len(words) == len(columns.split(",")) and len(rows) == 1
    assert all(CJK.search(w) for w in words), words
    assert main(["--lang", "zh", *command, "--db", str(accounts_db), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == columns


@pytest.fixture
def secured_db(demo_db_path, tmp_path):
    """A copy of the demo store with a leader, a rep and a manager account."""
    db = tmp_path / "secured.duckdb"
    shutil.copy(demo_db_path, db)
    with Store(db) as s:
        rep_id = s.scalar("SELECT min(rep_id) FROM reps WHERE manager_id IS NOT NULL")
        users.add_account(s, "lead", "leader password", "leader")
        users.add_account(s, "rep1", "rep password", "rep", rep_id=rep_id)
    return db


def _login(at, name, password):
    at.text_input(key="auth_user").set_value(name)
    at.text_input(key="auth_password").set_value(password)
    at.button[0].click().run()
    return at


def test_app_with_accounts_shows_only_the_login_form(secured_db):
    at = open_page(secured_db)
    assert at.title[0].value == "Sign in" and len(at.metric) == 0


def test_wrong_password_renders_no_data_and_is_logged(secured_db):
    at = _login(open_page(secured_db), "rep1", "not the password")
    assert len(at.metric) == 0 and "Wrong user name or password." in [e.value for e in at.error]
    with Store(secured_db, read_only=True) as s:
        assert (
            s.control.scalar("SELECT count(*) FROM access_log WHERE action = 'login_failed' AND username = 'rep1'") == 1
        )


def test_rep_login_sees_only_their_own_numbers(secured_db):
    at = _login(open_page(secured_db, query={"quarter": "2025Q3"}), "rep1", "rep password")
    assert not at.exception and at.title[0].value == "Overview"
    from analytics import overview
    from analytics.filters import Filters
    from ui import format as fmt

    with Store(secured_db, read_only=True) as s:
        acc = users.get_account(s, "rep1")
        mine = overview.kpis(s, Filters.for_quarter("2025Q3"), acc.scope()).current
        everyone = overview.kpis(s, Filters.for_quarter("2025Q3"), Scope.leader()).current
    shown = {m.label: m.value for m in at.metric}
    assert shown["Leads"] == fmt.count(mine.leads, lang="en") != fmt.count(everyone.leads, lang="en")


def test_tampered_session_state_renders_no_data(secured_db):
    at = open_page(secured_db)
    at.session_state["auth_token"] = "forged-token"
    at.session_state["scope"] = Scope.leader(user="mallory")
    at.run()
    assert at.title[0].value == "Sign in" and len(at.metric) == 0


def _app_with_token(db, token: str, last_seen: float):
    """An app session holding ``token``, registered as the leader's with the given last activity."""
    import os

    from streamlit.testing.v1 import AppTest

    from ui import auth

    auth._registry().sessions[token] = ("lead", last_seen)
    os.environ["LAB_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["auth_token"] = token
    return at.run()


def test_live_session_token_is_accepted(secured_db):
    import time

    at = _app_with_token(secured_db, "live-token", time.time())
    assert at.title[0].value == "Overview" and len(at.metric) == 4


def test_expired_session_asks_to_sign_in_again(secured_db):
    from ui import auth

    at = _app_with_token(secured_db, "old-token", 0.0)  # last activity long ago
    assert at.title[0].value == "Sign in" and len(at.metric) == 0
    assert any("expired" in w.value for w in at.warning)
    assert "old-token" not in auth._registry().sessions


def test_logout_ends_the_session(secured_db):
    import time

    from ui import auth

    at = _app_with_token(secured_db, "bye-token", time.time())
    at.sidebar.button(key="auth_logout").click().run()
    assert at.title[0].value == "Sign in" and len(at.metric) == 0
    assert "bye-token" not in auth._registry().sessions


def test_xsrf_protection_and_upload_limit_in_the_effective_config():
    out = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    lines = [ln.strip() for ln in out.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert "enableXsrfProtection = true" in lines
    assert "maxUploadSize = 200" in lines
    assert "gatherUsageStats = false" in lines
    assert 'address = "127.0.0.1"' in lines


def test_viewing_pay_is_logged_once_per_session(secured_db):
    import time

    at = _app_with_token(secured_db, "view-token", time.time())
    at.switch_page("views/incentive_lab.py")
    at.run()
    at.run()
    with Store(secured_db, read_only=True) as s:
        rows = s.control.query("SELECT username, action, object FROM access_log WHERE action = 'view'")
    assert rows.values.tolist() == [["lead", "view", "incentive_lab"]]


def _oidc_app(db, user: dict):
    """The app with an [auth] section configured and the given OIDC user (AppTest seeds st.user)."""
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["LAB_DB"] = str(db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "lab",
        "client_secret": "s",
        "server_metadata_url": "http://idp/.well-known",
    }
    at.user = user
    return at.run()


def test_oidc_user_mapped_to_an_account_gets_its_scope(secured_db):
    with Store(secured_db, read_only=True) as s:
        rep_id = users.get_account(s, "rep1").rep_id
        users.add_account(s, "alice@example.com", None, "rep", rep_id=rep_id)
    at = _oidc_app(secured_db, {"is_logged_in": True, "email": "alice@example.com"})
    assert not at.exception and at.title[0].value == "Overview" and len(at.metric) == 4
    from analytics import overview
    from analytics.filters import Filters
    from ui import format as fmt

    with Store(secured_db, read_only=True) as s:
        quarter = s.query("SELECT max(quarter) AS q FROM targets")["q"].iloc[0]
        mine = overview.kpis(s, Filters.for_quarter(quarter), Scope(role="rep", rep_id=rep_id)).current
    assert {m.label: m.value for m in at.metric}["Leads"] == fmt.count(mine.leads, lang="en")


def test_oidc_user_without_an_account_sees_nothing(secured_db):
    at = _oidc_app(secured_db, {"is_logged_in": True, "email": "mallory@example.com"})
    assert len(at.metric) == 0
    assert any("no access to any data" in e.value for e in at.error)


def test_oidc_signed_out_user_gets_the_sign_in_button(secured_db):
    at = _oidc_app(secured_db, {"is_logged_in": False})
    assert at.title[0].value == "Sign in" and len(at.metric) == 0
    assert at.button[0].label == "Sign in with your company account"
