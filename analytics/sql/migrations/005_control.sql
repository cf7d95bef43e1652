-- 005_control: accounts, the access log and saved scenarios move to the control database
-- (analytics/control.py, SQLite), which many processes can write while the dashboards serve;
-- their rows are copied there just before this migration runs (analytics/store.py).

DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS access_log;
DROP TABLE IF EXISTS scenarios;
