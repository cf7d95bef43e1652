-- 001_initial: the core data model. docs/data-model.md documents every table.
-- Money columns are CNY with two decimals; dates are calendar dates (no time zone);
-- *_at timestamps are local wall-clock time.

CREATE TABLE regions (
    region_id      VARCHAR PRIMARY KEY,          -- grain: one row per sales region
    region_name    VARCHAR NOT NULL
);

CREATE TABLE teams (
    team_id              VARCHAR PRIMARY KEY,    -- grain: one row per team
    team_name            VARCHAR NOT NULL,
    region_id            VARCHAR NOT NULL,
    team_type            VARCHAR NOT NULL CHECK (team_type IN ('telesales', 'key_account', 'field', 'channel')),
    is_pilot             BOOLEAN NOT NULL DEFAULT FALSE,
    pilot_start_quarter  VARCHAR                 -- e.g. 2025Q2; NULL when not a pilot team
);

CREATE TABLE reps (
    rep_id          VARCHAR PRIMARY KEY,         -- grain: one row per sales rep
    rep_name        VARCHAR NOT NULL,
    team_id         VARCHAR NOT NULL,
    role            VARCHAR NOT NULL,            -- telesales / key_account / field / channel / ...
    hire_date       DATE NOT NULL,
    monthly_salary  DECIMAL(18, 2) NOT NULL CHECK (monthly_salary >= 0),  -- CNY per month
    manager_id      VARCHAR                      -- rep_id of the line manager; NULL for team leads
);

CREATE TABLE accounts (
    account_id    VARCHAR PRIMARY KEY,           -- grain: one row per customer account
    account_name  VARCHAR,
    segment       VARCHAR,
    region_id     VARCHAR
);

CREATE TABLE leads (
    lead_id     VARCHAR PRIMARY KEY,             -- grain: one row per lead
    created_at  DATE NOT NULL,
    source      VARCHAR NOT NULL,
    region_id   VARCHAR NOT NULL,
    segment     VARCHAR NOT NULL,
    rep_id      VARCHAR NOT NULL,
    status      VARCHAR NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    closed_at   DATE,                            -- NULL while open
    account_id  VARCHAR,
    max_stage   VARCHAR                          -- furthest funnel stage reached (optional)
);

CREATE TABLE touchpoints (
    lead_id     VARCHAR NOT NULL,                -- grain: one row per marketing touch of a lead
    touched_at  TIMESTAMP NOT NULL,
    channel     VARCHAR NOT NULL,
    PRIMARY KEY (lead_id, touched_at, channel)
);

CREATE TABLE deals (
    deal_id          VARCHAR PRIMARY KEY,        -- grain: one row per signed contract
    lead_id          VARCHAR,
    account_id       VARCHAR,
    rep_id           VARCHAR NOT NULL,
    signed_at        DATE NOT NULL,
    amount           DECIMAL(18, 2) NOT NULL CHECK (amount >= 0),       -- CNY, contract value
    gross_profit     DECIMAL(18, 2),                                    -- CNY
    deal_type        VARCHAR NOT NULL CHECK (deal_type IN ('new', 'renewal', 'upsell')),
    approval_errors  INTEGER NOT NULL DEFAULT 0 CHECK (approval_errors >= 0)
);

CREATE TABLE calls (
    call_id                VARCHAR PRIMARY KEY,  -- grain: one row per recorded call
    lead_id                VARCHAR NOT NULL,
    rep_id                 VARCHAR NOT NULL,
    called_at              TIMESTAMP NOT NULL,
    duration_s             INTEGER NOT NULL CHECK (duration_s >= 0),
    talk_tracks            VARCHAR[] NOT NULL,   -- tags found by call analysis; may be empty
    needs_discovery_score  DOUBLE                -- 0-100, from call analysis
);

CREATE TABLE rep_metrics (
    rep_id    VARCHAR NOT NULL,                  -- grain: one row per rep per quarter per metric
    quarter   VARCHAR NOT NULL,                  -- e.g. 2025Q3
    metric    VARCHAR NOT NULL,
    value     DOUBLE NOT NULL,
    evidence  VARCHAR,
    PRIMARY KEY (rep_id, quarter, metric)
);

CREATE TABLE targets (
    rep_id               VARCHAR NOT NULL,       -- grain: one row per rep per quarter
    quarter              VARCHAR NOT NULL,
    target_amount        DECIMAL(18, 2) NOT NULL CHECK (target_amount >= 0),  -- CNY
    target_gross_profit  DECIMAL(18, 2),                                     -- CNY
    PRIMARY KEY (rep_id, quarter)
);

CREATE TABLE nps (
    account_id    VARCHAR NOT NULL,              -- grain: one row per survey response
    responded_at  DATE NOT NULL,
    score         INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    PRIMARY KEY (account_id, responded_at)
);

CREATE TABLE innovations (
    rep_id       VARCHAR NOT NULL,               -- grain: one row per innovation credit
    quarter      VARCHAR NOT NULL,
    points       DOUBLE NOT NULL CHECK (points >= 0),
    description  VARCHAR NOT NULL DEFAULT '',
    PRIMARY KEY (rep_id, quarter, description)
);

-- Optional per-language display names for stored values (region names, tags, ...).
CREATE TABLE display_names (
    kind          VARCHAR NOT NULL,              -- region / team / source / segment / talk_track / channel
    value         VARCHAR NOT NULL,              -- the value as stored
    lang          VARCHAR NOT NULL,              -- en / zh
    display_name  VARCHAR NOT NULL,
    PRIMARY KEY (kind, value, lang)
);

-- Provenance of the store: demo parameters, import log.
CREATE TABLE store_info (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);

CREATE TABLE import_log (
    imported_at  TIMESTAMP NOT NULL,
    table_name   VARCHAR NOT NULL,
    file_name    VARCHAR NOT NULL,
    rows_read    BIGINT NOT NULL,
    rows_stored  BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL
);
