-- 002_views: staging views that attach region, team and segment to every fact, so one
-- filter applies the same way everywhere (docs/data-model.md, "Views").

-- One row per lead, with the rep's team.
CREATE OR REPLACE VIEW v_leads AS
SELECT
    l.*,
    r.team_id,
    datediff('day', l.created_at, l.closed_at) AS cycle_days
FROM leads AS l
LEFT JOIN reps AS r USING (rep_id);

-- One row per deal; region and segment come from the lead, else the account, else the
-- rep's team (region only).
CREATE OR REPLACE VIEW v_deals AS
SELECT
    d.*,
    r.team_id,
    coalesce(l.region_id, a.region_id, t.region_id) AS region_id,
    coalesce(l.segment, a.segment) AS segment,
    l.source
FROM deals AS d
LEFT JOIN reps AS r ON r.rep_id = d.rep_id
LEFT JOIN teams AS t ON t.team_id = r.team_id
LEFT JOIN leads AS l ON l.lead_id = d.lead_id
LEFT JOIN accounts AS a ON a.account_id = d.account_id;

-- One row per call, with the lead's region and segment and the rep's team.
CREATE OR REPLACE VIEW v_calls AS
SELECT
    c.*,
    r.team_id,
    l.region_id,
    l.segment,
    l.source
FROM calls AS c
LEFT JOIN reps AS r ON r.rep_id = c.rep_id
LEFT JOIN leads AS l ON l.lead_id = c.lead_id;

-- One row per rep, with team and region.
CREATE OR REPLACE VIEW v_reps AS
SELECT r.*, t.team_name, t.team_type, t.region_id, t.is_pilot, t.pilot_start_quarter
FROM reps AS r
LEFT JOIN teams AS t USING (team_id);
