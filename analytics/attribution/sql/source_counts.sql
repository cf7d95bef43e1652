-- Lead-source cohort counts. Grain: one row per group x converted x duration_days, with the
-- won leads' deal values (the sum of each won lead's 'new' deals, CNY) as a list.
-- Leads are the cohort created in the filter window ({leads}: the leads table, or v_leads when a
-- team split or filter needs the rep's team; filtered and scoped by the caller's {where}).
-- duration_days: creation to the win for won leads (the conversion event); creation to the data
-- end for open and lost leads, which are censored there (a lost lead never converts, so it stays
-- in the risk set until the data end: Fine & Gray's "censoring complete" data, on which the
-- Kaplan-Meier estimate of 1 - S(t) equals the cumulative incidence of conversion).
-- Two passes, then a join of two small results: counting every lead needs no deals, and only
-- the won leads of the window need their deal values. won_leads is materialised so that the
-- deals join builds its hash table on those few leads and probes the deals, instead of
-- probing every lead's id (the single-pass LEFT JOIN of every lead to deals cost about twice
-- the whole query at 10M leads; benchmarks in docs/benchmarks.md).
-- Parameters (positional): the data end (DATE) twice, the predicate's parameters, the data end
-- once more, the predicate's parameters again.
WITH counts AS (
    SELECT
        {group_select},
        l.status = 'won' AS converted,
        greatest(datediff('day', l.created_at,
                          CASE WHEN l.status = 'won' THEN coalesce(l.closed_at, ?::DATE) ELSE ?::DATE END), 0)
            AS duration_days,
        count(*) AS leads,
        count(*) FILTER (WHERE l.status = 'open') AS open_leads
    FROM {leads} AS l
    WHERE {where}
    GROUP BY ALL
),
won_leads AS MATERIALIZED (
    SELECT
        l.lead_id,
        {group_select},
        greatest(datediff('day', l.created_at, coalesce(l.closed_at, ?::DATE)), 0) AS duration_days
    FROM {leads} AS l
    WHERE l.status = 'won' AND ({where})
),
valued AS (
    SELECT
        w.* EXCLUDE (lead_id, won_amount),
        TRUE AS converted,
        count(*) AS valued_wins,
        sum(w.won_amount) AS revenue,
        list(w.won_amount) AS won_amounts
    FROM (
        SELECT wl.*, sum(d.amount)::DOUBLE AS won_amount
        FROM won_leads AS wl
        JOIN deals AS d ON d.lead_id = wl.lead_id AND d.deal_type = 'new'
        GROUP BY ALL
    ) AS w
    GROUP BY ALL
)
SELECT
    c.*,
    coalesce(v.valued_wins, 0) AS valued_wins,
    coalesce(v.revenue, 0)::DOUBLE AS revenue,
    coalesce(v.won_amounts, []::DOUBLE[]) AS won_amounts
FROM counts AS c
LEFT JOIN valued AS v ON {join_on} AND v.converted = c.converted AND v.duration_days = c.duration_days
