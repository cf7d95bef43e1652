"""Talk-track impact (adjusted effects) and the key drivers of top performers."""

from analytics.talk_tracks.effects import (
    ADJUSTED_FOR,
    EFFECT_COLUMNS,
    MIN_GROUP_LEADS,
    N_FOLDS,
    OPEN_SHARE_WARNING,
    TRIM,
    aipw,
    closed_leads,
    impact,
    lead_table,
    one_hot,
    sample_note,
    standardised_difference,
)

__all__ = [
    "ADJUSTED_FOR",
    "EFFECT_COLUMNS",
    "MIN_GROUP_LEADS",
    "N_FOLDS",
    "OPEN_SHARE_WARNING",
    "TRIM",
    "aipw",
    "closed_leads",
    "impact",
    "lead_table",
    "one_hot",
    "sample_note",
    "standardised_difference",
]
