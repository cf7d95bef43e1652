-- Lead-source cohort counts. Grain: one row per group x converted x duration_days, with the
-- won leads' deal values (the sum of each won lead's 'new' deals, CNY) as a list.
-- Leads are the cohort created in the filter window (v_leads, filtered and scoped by the caller).
-- duration_days: creation to the win for won leads (the conversion event); creation to the data
-- end for open and lost leads, which are censored there (a lost lead never converts, so it stays
-- in the risk set until the data end: Fine & Gray's "censoring complete" data, on which the
-- Kaplan-Meier estimate of 1 - S(t) equals the cumulative incidence of conversion).
-- Parameters (positional): the data end (DATE) twice, then the predicate's parameters.
WITH won_value AS (
    SELECT lead_id, sum(amount)::DOUBLE AS won_amount
    FROM deals
    WHERE deal_type = 'new' AND lead_id IS NOT NULL
    GROUP BY lead_id
)
SELECT
    {group_select},
    l.status = 'won' AS converted,
    greatest(datediff('day', l.created_at,
                      CASE WHEN l.status = 'won' THEN coalesce(l.closed_at, ?::DATE) ELSE ?::DATE END), 0)
        AS duration_days,
    count(*) AS leads,
    count(*) FILTER (WHERE l.status = 'open') AS open_leads,
    count(w.won_amount) AS valued_wins,
    coalesce(sum(w.won_amount), 0)::DOUBLE AS revenue,
    list(w.won_amount) FILTER (WHERE w.won_amount IS NOT NULL) AS won_amounts
FROM v_leads AS l
LEFT JOIN won_value AS w ON w.lead_id = l.lead_id AND l.status = 'won'
WHERE {where}
GROUP BY ALL
