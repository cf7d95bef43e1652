-- 003_scenarios: incentive-plan scenarios saved from the Incentive lab or the CLI
-- (docs/methods/incentives.md, "Saved scenarios"). Saving a name again adds a revision;
-- nothing is overwritten, so every plan that was ever compared stays reproducible.

CREATE TABLE scenarios (
    name          VARCHAR NOT NULL,            -- grain: one row per saved revision of a named scenario
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    plan_name     VARCHAR NOT NULL,            -- [plan] name inside the TOML
    plan_version  VARCHAR NOT NULL,            -- [plan] version inside the TOML
    plan_hash     VARCHAR NOT NULL,            -- sha256 (12 hex digits) of the canonical plan TOML
    plan_toml     VARCHAR NOT NULL,            -- the whole plan, as analytics.plans.to_toml writes it
    author        VARCHAR NOT NULL,            -- who saved it (the identity's user name)
    created_at    TIMESTAMP NOT NULL,          -- local wall-clock time of the save
    quarter       VARCHAR,                     -- quarter it was simulated on when saved (optional)
    note          VARCHAR NOT NULL DEFAULT '',
    PRIMARY KEY (name, revision)
);
