-- 004_access: local accounts, their scopes, and the audit log of pay-data access.

CREATE TABLE users (
    username       VARCHAR PRIMARY KEY,          -- grain: one row per account (login name or OIDC email)
    password_hash  VARCHAR,                      -- argon2id hash; NULL for OIDC-only accounts
    role           VARCHAR NOT NULL CHECK (role IN ('leader', 'manager', 'analyst', 'rep')),
    rep_id         VARCHAR,                      -- the rep a 'rep' account is
    region_ids     VARCHAR[] NOT NULL DEFAULT [], -- a manager's regions
    team_ids       VARCHAR[] NOT NULL DEFAULT [], -- a manager's teams
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL
);

CREATE TABLE access_log (
    logged_at TIMESTAMP NOT NULL,                -- grain: one row per view or export of pay data
    username  VARCHAR NOT NULL,
    role      VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,                  -- view / export / login / login_failed / logout
    object    VARCHAR NOT NULL,                  -- what: page or export name
    detail    VARCHAR                            -- e.g. quarter, rep shown, file format
);
