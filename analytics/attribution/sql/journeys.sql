-- Customer journeys for multi-touch attribution.
-- A journey is one lead's touchpoints ordered by time (ties by channel), up to and including its
-- close date, or the data end while it is open; converted = the lead was won. Leads of the cohort
-- (created in the filter window, scoped) without any touchpoint have no journey.
-- Grain: one row per converting journey (journeys = 1, its revenue, its full path and, per touch,
-- the days from the touch to the close), plus one row per distinct non-converting chain path
-- (the path with consecutive repeats of a channel merged; journeys = how many).
-- chain_key names the journey's chain row: 'c:' or 'n:' (converted or not) + the merged path;
-- touches counts the touches before merging.
-- Parameters (positional): the predicate's parameters, the channel list, the data end twice.
WITH cohort AS (
    SELECT l.lead_id, l.status = 'won' AS converted, l.closed_at
    FROM v_leads AS l
    WHERE {where}
),
touches AS (
    SELECT c.lead_id, c.converted, t.touched_at,
           (list_position(?::VARCHAR[], t.channel) - 1)::SMALLINT AS channel_index,
           greatest(datediff('day', CAST(t.touched_at AS DATE), coalesce(c.closed_at, ?::DATE)), 0)::INTEGER
               AS days_before_close
    FROM touchpoints AS t
    JOIN cohort AS c ON c.lead_id = t.lead_id
    WHERE CAST(t.touched_at AS DATE) <= coalesce(c.closed_at, ?::DATE)
),
paths AS (
    SELECT lead_id, any_value(converted) AS converted,
           list(channel_index ORDER BY touched_at, channel_index) AS path,
           list(days_before_close ORDER BY touched_at, channel_index) FILTER (WHERE converted) AS days
    FROM touches
    GROUP BY lead_id
),
chains AS (
    SELECT *, list_filter(path, lambda x, i: i = 1 OR x <> path[i - 1]) AS chain
    FROM paths
),
won_value AS (
    SELECT lead_id, sum(amount)::DOUBLE AS won_amount
    FROM deals
    WHERE deal_type = 'new' AND lead_id IS NOT NULL
    GROUP BY lead_id
)
SELECT c.path, TRUE AS converted, 1::BIGINT AS journeys, coalesce(w.won_amount, 0)::DOUBLE AS revenue, c.days,
       'c:' || array_to_string(c.chain, ',') AS chain_key, len(c.path)::BIGINT AS touches
FROM chains AS c
LEFT JOIN won_value AS w ON w.lead_id = c.lead_id
WHERE c.converted
UNION ALL
SELECT chain, FALSE, count(*)::BIGINT, 0.0::DOUBLE, NULL::INTEGER[], 'n:' || array_to_string(chain, ','),
       sum(len(path))::BIGINT
FROM chains
WHERE NOT converted
GROUP BY chain
