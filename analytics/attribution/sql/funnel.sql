-- Furthest funnel step per lead source. Grain: one row per source x step_index.
-- step_index: 0-4 = position of max_stage in the stage list (unknown or missing = 0, 'new'),
-- 5 = won (a won lead has passed every stage).
-- Parameters (positional): the number of stages, the stage list, then the predicate's parameters.
SELECT
    l.source,
    CASE WHEN l.status = 'won' THEN ?::INTEGER
         ELSE coalesce(list_position(?::VARCHAR[], l.max_stage) - 1, 0) END AS step_index,
    count(*) AS leads
FROM v_leads AS l
WHERE {where}
GROUP BY ALL
